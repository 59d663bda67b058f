/**
 * Restores a backup made by scripts/backup.ts (README, "Backup and restore").
 *   npm run restore -- <backup dir> [--force]
 * Without DATABASE_URL / TEMPORAL_ADDRESS: sets up the embedded default's data folder (PostgreSQL,
 * the Temporal dev server's file, evidence, secrets) so that ./scripts/start.sh runs the restored
 * system (demo data is not loaded over it). With DATABASE_URL: loads that database; with
 * TEMPORAL_ADDRESS: says what to do for the cluster's own persistence.
 * Refuses to restore over data unless --force (which replaces it).
 * Exit 0 done, 1 refused (a line saying why), 2 bad options.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  nonEmptyTables,
  readManifest,
  restoreDatabase,
  restoreEvidence,
  restoreSecrets,
  verifyBackup,
} from '../lib/backup';
import { parseCommandArgs, usageError } from '../lib/cli-args';
import { loadConfig } from '../lib/config';
import { ROOT } from '../lib/root';
import { startEmbeddedPostgres } from '../dev/embedded-postgres';
import { freePort } from '../dev/ports';

const USAGE = 'usage: npm run restore -- <backup dir> [--force]';
const { values, positionals } = parseCommandArgs('restore', USAGE, {
  options: { force: { type: 'boolean' } },
  allowPositionals: true,
});
const dir = positionals[0];
if (!dir?.trim()) usageError('restore', USAGE, 'the backup folder is missing');
if (positionals.length > 1)
  usageError('restore', USAGE, `one backup folder, not ${positionals.length}: ${positionals.join(' ')}`);
const log = (line: string) => console.log(`[restore] ${line}`);
const refuse = (why: string) => {
  console.error(`[restore] refused: ${why}`);
  process.exit(1);
};
const config = loadConfig();
const dataDir = path.resolve(ROOT, config.DATA_DIR);
const embeddedPg = !config.DATABASE_URL;
const embeddedTemporal = !process.env.TEMPORAL_ADDRESS;
const backupDir = path.resolve(dir);
// A folder that is not a backup, or a damaged one: one line, no stack.
const manifest = await readManifest(backupDir).catch((err: Error) => refuse(err.message));
log(
  `backup of ${manifest.createdAt} (commit ${manifest.versions.commit ?? 'unknown'}, PostgreSQL ${manifest.versions.postgres})`,
);
await verifyBackup(backupDir, manifest).catch((err: Error) => refuse(err.message));
log('every file matches the manifest');

const pgDir = path.join(dataDir, 'postgres');
const temporalFile = path.join(dataDir, 'temporal.db');
const evidenceDir = path.resolve(ROOT, config.DATA_DIR, config.EVIDENCE_DIR);
if (embeddedTemporal && manifest.temporal.kind !== 'sqlite')
  refuse(
    'this backup does not hold a Temporal dev server file (it was made against a cluster): set TEMPORAL_ADDRESS to the restored cluster',
  );

// What is there already: refused unless --force, which removes it.
const present = [
  ...(embeddedPg && existsSync(pgDir) ? [pgDir] : []),
  ...(embeddedTemporal ? [temporalFile, `${temporalFile}-wal`, `${temporalFile}-shm`].filter(existsSync) : []),
];
const tablesWithRows = embeddedPg ? [] : await nonEmptyTables(config.DATABASE_URL!);
if ((present.length || tablesWithRows.length) && !values.force)
  refuse(
    `there is data already (${[...present, ...tablesWithRows.map((t) => `table ${t}`)].join(', ')}); ` +
      'restoring replaces it: stop the product and run again with --force, or restore on an empty machine',
  );
if (embeddedPg && existsSync(path.join(pgDir, 'postmaster.pid')))
  refuse(`the embedded PostgreSQL in ${pgDir} is running: stop ./scripts/start.sh first`);
for (const p of present) await rm(p, { recursive: true, force: true });
await mkdir(dataDir, { recursive: true });

const started = performance.now();
let counts: Record<string, number>;
if (embeddedPg) {
  log(`creating the embedded PostgreSQL in ${pgDir}`);
  const pg = await startEmbeddedPostgres({ dir: pgDir, port: await freePort(), quiet: true });
  try {
    await pg.createDatabase('duban');
    counts = await restoreDatabase(pg.url('duban'), backupDir, manifest);
  } finally {
    await pg.stop();
  }
} else {
  counts = await restoreDatabase(config.DATABASE_URL!, backupDir, manifest);
}
const wrong = Object.entries(manifest.tables).filter(([t, { rows }]) => counts[t] !== rows);
if (wrong.length)
  refuse(
    `row counts differ from the manifest: ${wrong.map(([t, { rows }]) => `${t} ${counts[t]} ≠ ${rows}`).join(', ')}`,
  );
log(
  `database: ${Object.keys(counts).length} tables, ${Object.values(counts).reduce((a, b) => a + b, 0)} rows, as in the manifest`,
);

if (embeddedTemporal && manifest.temporal.kind === 'sqlite') {
  await copyFile(path.join(backupDir, manifest.temporal.file), temporalFile);
  log(`Temporal dev server file: ${temporalFile}`);
} else {
  log(
    manifest.temporal.kind === 'snapshot-command'
      ? `Temporal: restore the cluster's persistence from the snapshot taken with the backup (${manifest.temporal.command}) before starting the workers`
      : "Temporal: this backup does not hold the cluster's persistence; restore it from the cluster's own backup taken while the product's writers were held (README), before starting the workers",
  );
}
log(`evidence: ${await restoreEvidence(backupDir, manifest, evidenceDir)} files in ${evidenceDir}`);
if (embeddedPg && embeddedTemporal) {
  await restoreSecrets(backupDir, manifest, dataDir);
  if (manifest.secrets.length) log(`secrets: ${manifest.secrets.join(', ')} in ${dataDir}`);
}
if (!manifest.secrets.includes('payload-key'))
  log(
    'the payload key was not in the backup: start with the PAYLOAD_KEY (and PAYLOAD_KEYS_OLD) in use when it was made',
  );
log(`done in ${Math.round(performance.now() - started)} ms; now start the product (./scripts/start.sh)`);
process.exit(0);
