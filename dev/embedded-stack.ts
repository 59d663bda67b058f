import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createDb, type Db } from '../lib/db';
import { startEmbeddedPostgres } from './embedded-postgres';
import { migrate } from '../lib/migrate';
import { freePort } from './ports';
import { startTemporalDevServer } from './temporal-dev-server';
import { ensureSearchAttributes } from '../lib/search-attributes-setup';

export interface EmbeddedStack {
  db: Db;
  databaseUrl: string;
  client: Client;
  nativeConnection: NativeConnection;
  temporalAddress: string;
  stop(): Promise<void>;
}

/**
 * A throwaway copy of the embedded stack as the product runs it (PostgreSQL, the Temporal dev
 * server with a file) on free ports, with the supervision office and one unit: for benchmarks
 * and for recording histories. `temporalAddress`: an external Temporal (e.g. scripts/temporal-cluster.ts,
 * namespace `default`) instead of a dev server; the product's search attributes are registered when missing.
 */
export async function startEmbeddedStack(opts: { temporalAddress?: string } = {}): Promise<EmbeddedStack> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'duban-bench-'));
  const pgDir = await mkdtemp(path.join(os.tmpdir(), 'duban-bench-pg-'));
  const pg = await startEmbeddedPostgres({ dir: pgDir, port: await freePort(), persistent: false, quiet: true });
  await pg.createDatabase('duban');
  await migrate(pg.url('duban'));
  const temporal = opts.temporalAddress
    ? { address: opts.temporalAddress, stop: async () => {} }
    : await startTemporalDevServer({ port: await freePort(), dbFile: path.join(dir, 'temporal.db') });
  const db = createDb(pg.url('duban'), 20);
  await db.unit.createMany({
    data: [
      { id: 'dcs', name: '市委督查室', parentId: null, kind: 'supervision' },
      { id: 'unit-a', name: '市民政局', parentId: null, kind: 'bureau' },
    ],
  });
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection });
  if (opts.temporalAddress) await ensureSearchAttributes(connection, 'default', { log: console.log });
  const nativeConnection = await NativeConnection.connect({ address: temporal.address });
  return {
    db,
    databaseUrl: pg.url('duban'),
    client,
    nativeConnection,
    temporalAddress: temporal.address,
    async stop() {
      await db.$disconnect();
      await connection.close();
      await nativeConnection.close();
      await temporal.stop();
      await pg.stop();
      await rm(dir, { recursive: true, force: true });
      await rm(pgDir, { recursive: true, force: true });
    },
  };
}
