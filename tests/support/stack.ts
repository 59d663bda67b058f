import type { Client, Connection } from '@temporalio/client';
import { type NativeConnection, Runtime, type Worker, type WorkflowBundle, DefaultLogger } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { workerOptions, workflowCode } from '../../app/compose';
import type { ConfigEnv } from '../../lib/config';
import { createDb, type Db } from '../../lib/db';
import { connectClient, connectNative } from '../../lib/temporal-connect';
import { createWorker } from '../../worker/create';
import { EncryptionCodec, parseKey } from '../../lib/payload-codec';
import { TEST_PAYLOAD_KEY, testConfig } from './config';

export { TEST_PAYLOAD_KEY } from './config';
/** For a test's own clients: the payload codec the tests' config gives the workers and worker processes. */
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
/**
 * The workflow code, loaded once per test file as a worker process loads it: the prebuilt bundle
 * when it is current (scripts/setup.sh builds it), otherwise bundled here.
 */
export function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= workflowCode(testConfig()).then((code) => code.bundle);
  return bundle;
}

export interface TemporalHandles {
  client: Client;
  connection: Connection;
  nativeConnection: NativeConnection;
  address: string;
  close(): Promise<void>;
}

/** A client and a worker connection to the tests' Temporal server (or the one at `address`), from the tests' config. */
export async function connectTemporal(address: string = inject('temporalAddress')): Promise<TemporalHandles> {
  installRuntime();
  const config = testConfig({ TEMPORAL_ADDRESS: address });
  const { client, connection } = await connectClient(config);
  const nativeConnection = await connectNative(config);
  return {
    client,
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

/** A worker on `taskQueue` as the composition root builds it from the tests' config and these settings. */
export async function startTestWorker(
  t: TemporalHandles,
  db: Db,
  taskQueue: string,
  settings: ConfigEnv = {},
): Promise<Worker> {
  const config = testConfig({ TEMPORAL_TASK_QUEUE: taskQueue, ...settings });
  return createWorker(
    workerOptions(config, {
      connection: t.nativeConnection,
      db,
      temporal: t.client,
      workflowBundle: await workflowBundle(),
    }),
  );
}
