import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { Db } from '../../lib/db';
import { toolPath } from '../../lib/tools';
import { createActivities } from '../../activities';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { workflowBundle } from './stack';

const TYPES: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Datetime: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
};

let runtimeInstalled = false;

/**
 * The time-skipping test server (the Java SDK's, native) from .tools: months of timers pass in
 * seconds. It takes no search attributes at start, so they are registered through its operator
 * service first.
 */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  if (!runtimeInstalled) {
    try {
      Runtime.install({ logger: new DefaultLogger('WARN') });
    } catch {
      // already installed in this process
    }
    runtimeInstalled = true;
  }
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: toolPath('temporal-test-server') } } });
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(Object.entries(SEARCH_ATTRIBUTES).map(([k, v]) => [k, TYPES[v]!])),
  });
  return env;
}

/**
 * No workflow cache, so no sticky task queue: the test server skips no time while a task waits on
 * the sticky queue of a worker that is gone, and a restarted worker would otherwise stall it.
 */
export async function timeSkippingWorker(env: TestWorkflowEnvironment, db: Db, taskQueue: string): Promise<Worker> {
  return Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities({ db, temporal: env.client }),
    maxCachedWorkflows: 0,
  });
}
