import { Client } from '@temporalio/client';
import type { Worker, WorkflowBundle } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildApp, type App } from '../api/app';
import { apiServices, appOptions, workerOptions, workflowCode } from '../app/compose';
import type { EmbeddedStack } from '../dev/embedded-stack';
import { configWith } from '../lib/config';
import { createEvidenceStore } from '../lib/evidence-store';
import { temporalOptions } from '../lib/temporal-connect';
import { createWorker } from '../worker/create';

export const BENCH_SECRET = 'bench-secret-bench-secret-bench-secret!!';

export interface Ours {
  client: Client;
  worker: Worker;
  app: App;
  /** The API's base URL. */
  base: string;
}

/**
 * The product as it runs, built by the composition root from the config's defaults and what a
 * benchmark sets: payloads encrypted, a worker, the API listening; under load the API waits
 * longer on Temporal and its rate limits are lifted.
 */
export async function startOurs(
  stack: EmbeddedStack,
  taskQueue: string,
  opts: { startsItems?: boolean; workflowBundle?: WorkflowBundle } = {},
): Promise<Ours> {
  const config = configWith({
    TEMPORAL_TASK_QUEUE: taskQueue,
    PAYLOAD_KEY: randomBytes(32).toString('base64'),
    AUTH_SECRET: BENCH_SECRET,
    TEMPORAL_TIMEOUT_MS: '60000',
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_MAIL_PER_MINUTE: '1000000',
  });
  const client = new Client({
    connection: stack.client.connection,
    namespace: config.TEMPORAL_NAMESPACE,
    dataConverter: temporalOptions(config).dataConverter,
  });
  const worker = await createWorker({
    ...workerOptions(config, {
      connection: stack.nativeConnection,
      db: stack.db,
      temporal: client,
      workflowBundle: opts.workflowBundle ?? (await workflowCode(config)).bundle,
    }),
    // Only a benchmark whose activities open items (red indicators) gives them a client.
    ...(opts.startsItems ? {} : { temporal: undefined }),
  });
  const app = await buildApp({
    ...appOptions(config, apiServices(config, { db: stack.db, temporal: client })),
    evidence: createEvidenceStore(await mkdtemp(path.join(os.tmpdir(), 'duban-bench-evidence-'))),
  });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  return { client, worker, app, base };
}
