import { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildApp, type App } from '../api/app';
import type { EmbeddedStack } from '../dev/embedded-stack';
import { createEvidenceStore } from '../lib/evidence-store';
import { dataConverterFor } from '../lib/payload-codec';
import { bundleWorkflows, createWorker } from '../worker/create';

export const BENCH_SECRET = 'bench-secret-bench-secret-bench-secret!!';

export interface Ours {
  client: Client;
  worker: Worker;
  app: App;
  /** The API's base URL. */
  base: string;
}

/** The product as it runs, for a benchmark: payloads encrypted, a worker, the API listening, rate limits lifted for the load. */
export async function startOurs(
  stack: EmbeddedStack,
  taskQueue: string,
  opts: { startsItems?: boolean } = {},
): Promise<Ours> {
  const dataConverter = dataConverterFor(randomBytes(32));
  const client = new Client({ connection: stack.client.connection, ...(dataConverter ? { dataConverter } : {}) });
  const worker = await createWorker({
    connection: stack.nativeConnection,
    taskQueue,
    db: stack.db,
    workflowBundle: await bundleWorkflows(),
    ...(opts.startsItems ? { temporal: client } : {}),
    ...(dataConverter ? { dataConverter } : {}),
  });
  const app = await buildApp({
    services: { db: stack.db, temporal: client, taskQueue, maxDeclines: 2, temporalTimeoutMs: 60_000 },
    auth: { secret: BENCH_SECRET },
    evidence: createEvidenceStore(await mkdtemp(path.join(os.tmpdir(), 'duban-bench-evidence-'))),
    limits: { perMinute: 1_000_000, mailPerMinute: 1_000_000 },
  });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  return { client, worker, app, base };
}
