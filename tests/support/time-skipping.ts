import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll } from 'vitest';
import { workerOptions } from '../../app/compose';
import type { Config, ConfigEnv } from '../../lib/config';
import type { Db } from '../../lib/db';
import { createWorker } from '../../worker/create';
import { testConfig } from './config';
import { timeSkippingEnv } from '../../dev/time-skipping';
import { freshDatabase, workflowBundle } from './stack';

export { timeSkippingEnv };

/**
 * The tests' config for the time-skipping server: its namespace, no payload encryption (its client
 * has none), and no workflow cache, so no sticky task queue: the test server skips no time while a
 * task waits on the sticky queue of a worker that is gone, and a restarted worker would stall it.
 */
export function timeSkippingConfig(env: TestWorkflowEnvironment, taskQueue: string, settings: ConfigEnv = {}): Config {
  return testConfig({
    TEMPORAL_NAMESPACE: env.namespace ?? 'default',
    TEMPORAL_TASK_QUEUE: taskQueue,
    PAYLOAD_KEY: undefined,
    WORKER_MAX_CACHED_WORKFLOWS: '0',
    ...settings,
  });
}

/** A time-skipping worker, as the composition root builds it, with the test files' shared workflow bundle. */
export async function timeSkippingWorker(env: TestWorkflowEnvironment, db: Db, taskQueue: string): Promise<Worker> {
  return createWorker(
    workerOptions(timeSkippingConfig(env, taskQueue), {
      connection: env.nativeConnection,
      db,
      temporal: env.client,
      workflowBundle: await workflowBundle(),
    }),
  );
}

/**
 * The time-skipping server and a fresh database for the test file that calls this (at its top
 * level): started before its tests, which read `env` and `db`, and torn down after them.
 */
export function timeSkippingFile(): { env: TestWorkflowEnvironment; db: Db } {
  const file = {} as { env: TestWorkflowEnvironment; db: Db };
  beforeAll(async () => {
    file.env = await timeSkippingEnv();
    file.db = (await freshDatabase()).db;
  });
  afterAll(async () => {
    await file.db?.$disconnect();
    await file.env?.teardown();
  });
  return file;
}
