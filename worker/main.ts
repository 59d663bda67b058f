import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../lib/config';
import { createDb } from '../lib/db';
import { bundleWorkflows, createWorker } from './create';

/** A worker process: `DATABASE_URL`, `TEMPORAL_ADDRESS`, `TEMPORAL_TASK_QUEUE` from the environment. */
const config = loadConfig();
if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required for a worker process');
const db = createDb(config.DATABASE_URL);
const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
const worker = await createWorker({
  connection,
  namespace: config.TEMPORAL_NAMESPACE,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  db,
  workflowBundle: await bundleWorkflows(),
  maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
});
console.log(`worker ready on task queue ${config.TEMPORAL_TASK_QUEUE}`);
await worker.run();
await db.$disconnect();
await connection.close();
