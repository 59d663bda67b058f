/**
 * Backs up the product's database, the Temporal persistence, the evidence files and the embedded
 * default's kept secrets, consistently, into one folder with a manifest.json (README, "Backup and
 * restore"). Works against the running product.
 *   npm run backup -- [--out <dir>] [--temporal-snapshot '<command>']
 * Default folder: <DATA_DIR>/backups/<timestamp>/. With TEMPORAL_ADDRESS set (a Temporal cluster),
 * the Temporal persistence is not in the backup: --temporal-snapshot runs the cluster's own
 * snapshot command while the product's writers are held (BACKUP_DIR is the backup folder).
 * --out must be absent or an empty folder of the user's own (not a symlink); every folder of the
 * backup is made 0700 and every file 0600. Exit 0 done, 1 refused or failed, 2 bad options.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { backup, BackupTargetError, type TemporalSource } from '../lib/backup';
import { parseCommandArgs, usageError } from '../lib/cli-args';
import { loadConfig } from '../lib/config';
import { ROOT } from '../lib/root';

const USAGE = "usage: npm run backup -- [--out <new or empty folder>] [--temporal-snapshot '<command>']";
const { values } = parseCommandArgs('backup', USAGE, {
  options: { out: { type: 'string' }, 'temporal-snapshot': { type: 'string' } },
});
if (values.out !== undefined && !values.out.trim()) usageError('backup', USAGE, '--out: a folder, not an empty string');
if (values['temporal-snapshot'] !== undefined && !values['temporal-snapshot'].trim())
  usageError('backup', USAGE, '--temporal-snapshot: a shell command, not an empty string');
const config = loadConfig();
const dataDir = path.resolve(ROOT, config.DATA_DIR);
const embeddedTemporal = !process.env.TEMPORAL_ADDRESS;
const out = path.resolve(
  values.out ?? path.join(dataDir, 'backups', new Date().toISOString().replace(/[:.]/g, '-').replace(/Z$/, 'Z')),
);
const temporal: TemporalSource = embeddedTemporal
  ? { kind: 'sqlite', file: path.join(dataDir, 'temporal.db') }
  : values['temporal-snapshot']
    ? { kind: 'snapshot-command', command: values['temporal-snapshot'] }
    : { kind: 'not-included', address: config.TEMPORAL_ADDRESS };
const commit = await promisify(execFile)('git', ['rev-parse', 'HEAD'], { cwd: ROOT }).then(
  (r) => r.stdout.trim(),
  () => null,
);
const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };

const started = performance.now();
// backup() takes the folder first, before anything connects: a wrong --out is said in one line.
const manifest = await backup(
  {
    databaseUrl: config.DATABASE_URL ?? `postgresql://duban:duban@127.0.0.1:${config.PG_PORT}/duban`,
    temporal,
    evidenceDir: path.resolve(ROOT, config.DATA_DIR, config.EVIDENCE_DIR),
    // Only the embedded default keeps its token secret and payload key in the data folder.
    secretsDir: config.DATABASE_URL ? null : dataDir,
    product: { version: pkg.version, commit },
    log: (line) => console.log(`[backup] ${line}`),
  },
  out,
).catch((err: unknown) => {
  if (!(err instanceof BackupTargetError)) throw err;
  console.error(`[backup] refused: ${err.message}`);
  process.exit(1);
});
const rows = Object.values(manifest.tables).reduce((n, t) => n + t.rows, 0);
console.log(
  `[backup] ${out}: ${Object.keys(manifest.tables).length} tables, ${rows} rows, ${manifest.evidence.files} evidence files; ` +
    `writers held ${manifest.writersHeldMs} ms; ${Math.round(performance.now() - started)} ms in all`,
);
if (manifest.temporal.kind === 'not-included')
  console.log(
    `[backup] the Temporal persistence (${manifest.temporal.address}) is NOT in this backup: see README, "Backup and restore" for a cluster`,
  );
if (!config.PAYLOAD_KEY || manifest.secrets.length)
  console.log('[backup] the backup holds the payload key and token secret: keep it as safe as the server itself');
else
  console.log(
    '[backup] PAYLOAD_KEY comes from the environment: keep it with the backup, or Temporal payloads cannot be read',
  );
