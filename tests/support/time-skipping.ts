import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { Db } from '../../lib/db';
import { timeSkippingWorker as worker } from '../../dev/time-skipping';
import { workflowBundle } from './stack';

export { timeSkippingEnv } from '../../dev/time-skipping';

/** A time-skipping worker with the test files' shared workflow bundle. */
export async function timeSkippingWorker(env: TestWorkflowEnvironment, db: Db, taskQueue: string): Promise<Worker> {
  return worker(env, db, taskQueue, await workflowBundle());
}
