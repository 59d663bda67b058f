import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, type Worker, type WorkflowBundle, DefaultLogger } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createDb, type Db } from '../../lib/db';
import { bundleWorkflows, createWorker } from '../../worker/create';
import { EncryptionCodec, parseKey } from '../../lib/payload-codec';

/** Tests run with payload encryption on, as the product does: one key for clients, workers and worker processes. */
export const TEST_PAYLOAD_KEY = Buffer.alloc(32, 7).toString('base64');
export const TEST_DATA_CONVERTER = { payloadCodecs: [new EncryptionCodec(parseKey(TEST_PAYLOAD_KEY))] };

let runtimeInstalled = false;
function installRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  runtimeInstalled = true;
}

/** A fresh database for one test file, cloned from the migrated template. */
export async function freshDatabase(): Promise<{ url: string; db: Db; name: string }> {
  const name = `t_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${inject('templateDb')}"`);
  } finally {
    await admin.end();
  }
  const url = inject('pgAdminUrl').replace(/\/postgres$/, `/${name}`);
  return { url, db: createDb(url), name };
}

let bundle: Promise<WorkflowBundle> | undefined;
/** Workflow code is bundled once per test file. */
export function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= bundleWorkflows();
  return bundle;
}

export interface TemporalHandles {
  client: Client;
  connection: Connection;
  nativeConnection: NativeConnection;
  address: string;
  close(): Promise<void>;
}

export async function connectTemporal(): Promise<TemporalHandles> {
  installRuntime();
  const address = inject('temporalAddress');
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  return {
    client: new Client({ connection, dataConverter: TEST_DATA_CONVERTER }),
    connection,
    nativeConnection,
    address,
    async close() {
      await connection.close();
      await nativeConnection.close();
    },
  };
}

export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function startTestWorker(t: TemporalHandles, db: Db, taskQueue: string): Promise<Worker> {
  return createWorker({
    connection: t.nativeConnection,
    taskQueue,
    db,
    workflowBundle: await workflowBundle(),
    dataConverter: TEST_DATA_CONVERTER,
    temporal: t.client,
  });
}
