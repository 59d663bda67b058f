import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../dev/embedded-postgres';
import { migrate } from '../../lib/migrate';
import { startTemporalDevServer } from '../../dev/temporal-dev-server';
import { freePort } from '../../dev/ports';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    templateDb: string;
    temporalAddress: string;
  }
}

/** One real PostgreSQL and one real Temporal dev server for the whole run; each test file gets its own database. */
export default async function setup(project: TestProject) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'duban-test-pg-'));
  const pg = await startEmbeddedPostgres({ dir, port: await freePort(), persistent: false, quiet: true });
  await pg.createDatabase('duban_template');
  await migrate(pg.url('duban_template'));
  const temporal = await startTemporalDevServer({ port: await freePort() });
  project.provide('pgAdminUrl', pg.url('postgres'));
  project.provide('templateDb', 'duban_template');
  project.provide('temporalAddress', temporal.address);
  return async () => {
    await temporal.stop();
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
