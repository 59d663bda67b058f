/**
 * Writes a new migration: the SQL diff from the schema as last committed to the working copy's
 * schema (prisma migrate dev needs a shadow database, which our engine-less set-up lacks).
 * Usage: npm run db:new-migration -- <name>
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { startEmbeddedPostgres } from '../dev/embedded-postgres';
import { freePort } from '../dev/ports';
import { ROOT } from '../lib/root';

const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) throw new Error('usage: npm run db:new-migration -- <name_in_snake_case>');
const previous = path.join(os.tmpdir(), `schema-${Date.now()}.prisma`);
writeFileSync(previous, execFileSync('git', ['show', 'HEAD:prisma/schema.prisma'], { cwd: ROOT }));
// The diff itself needs no database, but Prisma's driver adapter connects to one: a throwaway one.
const pgDir = mkdtempSync(path.join(os.tmpdir(), 'duban-diff-'));
const pg = await startEmbeddedPostgres({ dir: pgDir, port: await freePort(), persistent: false, quiet: true });
const sql = execFileSync(
  process.execPath,
  [
    path.join(ROOT, 'node_modules/prisma/build/index.js'),
    'migrate',
    'diff',
    '--from-schema-datamodel',
    previous,
    '--to-schema-datamodel',
    'prisma/schema.prisma',
    '--script',
  ],
  { cwd: ROOT, env: { ...process.env, CHECKPOINT_DISABLE: '1', DATABASE_URL: pg.url('postgres') } },
).toString();
await pg.stop();
rmSync(pgDir, { recursive: true, force: true });
const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
const dir = path.join(ROOT, 'prisma', 'migrations', `${stamp}_${name}`);
mkdirSync(dir, { recursive: true });
writeFileSync(path.join(dir, 'migration.sql'), sql);
console.log(`wrote ${path.relative(ROOT, dir)}/migration.sql`);
