import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, open, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { migrate } from './migrate';

/**
 * Backup and restore of the product's data: the PostgreSQL database (every table of the public
 * schema, `_prisma_migrations` included, as COPY text, gzipped), the Temporal persistence, the
 * evidence files and the embedded default's kept secrets, described by `manifest.json`.
 *
 * Consistency rests on the product's invariant "PostgreSQL is never ahead of Temporal": every
 * write that records a workflow step is made by an activity Temporal has already scheduled. The
 * backup holds every writer of the product's tables (LOCK … IN SHARE MODE: readers go on), takes
 * a snapshot, copies Temporal's persistence while they wait, lets them go, then dumps the tables
 * from that snapshot. Every step recorded in the dump is therefore in the Temporal copy; a step
 * Temporal accepted whose record was waiting on the lock is an activity still pending in the
 * copy, run again after a restore (activities are idempotent).
 */

export const MANIFEST = 'manifest.json';
const FORMAT = 1;

export interface BackupManifest {
  format: typeof FORMAT;
  createdAt: string;
  versions: { product: string; commit: string | null; node: string; postgres: string };
  /** `_prisma_migrations` in order: a restore needs the code that has exactly these. */
  migrations: Array<{ name: string; checksum: string }>;
  tables: Record<string, { file: string; rows: number }>;
  /** Each sequence's last value (null: never used), set again by a restore. */
  sequences: Record<string, string | null>;
  temporal:
    | { kind: 'sqlite'; file: string; pages: number }
    | { kind: 'snapshot-command'; command: string }
    | { kind: 'not-included'; address: string };
  evidence: { dir: string; files: number; bytes: number };
  /** Files of the embedded default's data folder (token secret, payload key) kept in secrets/. */
  secrets: string[];
  /** How long the product's writers waited on the backup: lock taken to commit. */
  writersHeldMs: number;
  /** SHA-256 of every file of the backup except the evidence files, which are named by theirs. */
  files: Record<string, string>;
}

/** Where the Temporal persistence is and how to copy it while the product's writers are held. */
export type TemporalSource =
  | { kind: 'sqlite'; file: string }
  /** A shell command (e.g. the cluster's own backup) run while the writers are held; BACKUP_DIR is set. */
  | { kind: 'snapshot-command'; command: string }
  | { kind: 'not-included'; address: string };

export interface BackupSource {
  databaseUrl: string;
  temporal: TemporalSource;
  evidenceDir: string;
  /** The embedded default's data folder, for its kept secrets; null with an external set-up. */
  secretsDir: string | null;
  product: { version: string; commit: string | null };
  log?: (line: string) => void;
}

const SECRET_FILES = ['auth-secret', 'payload-key'];
const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/** A backup folder that cannot be used as asked (not empty, a symlink, someone else's): said in one line, no stack. */
export class BackupTargetError extends Error {}

/**
 * Backup files hold the payload key and every item: each folder is 0700 and each file 0600,
 * set by chmod as well (the umask can only take bits away, and an operator's umask may be odd).
 */
const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;

/** A new folder, owner-only; fails if anything (a symlink planted there included) already has the name. */
async function mkdirPrivate(dir: string): Promise<void> {
  await mkdir(dir, { mode: PRIVATE_DIR });
  await chmod(dir, PRIVATE_DIR);
}

/**
 * A new file, owner-only, opened with O_EXCL ('wx'): never follows a symlink nor writes over an
 * entry someone else put there. Callers chmod it once written (the umask).
 */
function createPrivateFile(file: string) {
  return createWriteStream(file, { flags: 'wx', mode: PRIVATE_FILE });
}

async function copyPrivate(from: string, to: string): Promise<void> {
  await pipeline(createReadStream(from), createPrivateFile(to));
  await chmod(to, PRIVATE_FILE);
}

/**
 * Makes `out` the backup's folder: created 0700 if absent (its parents too, owner-only), or, if
 * it exists, taken only when it is a real folder of ours (not a symlink) and empty — made 0700
 * before it is read, so nothing can be added after the check. `db/` is then created inside.
 */
export async function prepareBackupDir(out: string): Promise<void> {
  const found = await lstat(out).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (!found) {
    // Parents as the umask makes them (.data must stay reachable by the embedded PostgreSQL's
    // own user when run as root); the backup's folder itself is owner-only.
    await mkdir(path.dirname(out), { recursive: true });
    await mkdirPrivate(out);
  } else {
    if (found.isSymbolicLink()) throw new BackupTargetError(`${out} is a symbolic link: give a real folder`);
    if (!found.isDirectory()) throw new BackupTargetError(`${out} is not a folder`);
    const uid = process.getuid?.();
    if (uid !== undefined && found.uid !== uid)
      throw new BackupTargetError(`${out} belongs to another user (uid ${found.uid}): give a folder of your own`);
    await chmod(out, PRIVATE_DIR);
    const entries = await readdir(out);
    if (entries.length)
      throw new BackupTargetError(
        `${out} is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''})`,
      );
  }
  await mkdirPrivate(path.join(out, 'db'));
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** Counts the rows of a COPY text stream as it passes: one line per row (newlines inside values are escaped). */
class RowCounter extends Transform {
  rows = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (err: null, chunk: Buffer) => void): void {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.rows++;
    done(null, chunk);
  }
}

async function publicTables(client: pg.Client): Promise<string[]> {
  const r = await client.query<{ tablename: string }>(
    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
  );
  return r.rows.map((row) => row.tablename);
}

async function copyTemporal(source: TemporalSource, out: string): Promise<BackupManifest['temporal']> {
  if (source.kind === 'sqlite') {
    // node:sqlite's online backup: all pages in one step (rate -1) under one read transaction,
    // so the copy is the database as of one commit; in WAL mode the server keeps writing meanwhile.
    const { DatabaseSync, backup } = await import('node:sqlite');
    const db = new DatabaseSync(source.file, { readOnly: true, timeout: 10_000 });
    try {
      // Created first, exclusively and owner-only: SQLite then writes into this empty file (an
      // empty file is an empty database) and gives its journal the same mode.
      const target = path.join(out, 'temporal.db');
      await (await open(target, 'wx', PRIVATE_FILE)).close();
      const pages = await backup(db, target, { rate: -1 });
      await chmod(target, PRIVATE_FILE);
      return { kind: 'sqlite', file: 'temporal.db', pages };
    } finally {
      db.close();
    }
  }
  if (source.kind === 'snapshot-command') {
    const { spawn } = await import('node:child_process');
    await new Promise<void>((resolve, reject) => {
      const child = spawn('sh', ['-c', source.command], { stdio: 'inherit', env: { ...process.env, BACKUP_DIR: out } });
      child.once('error', reject);
      child.once('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`the Temporal snapshot command exited with ${code}`)),
      );
    });
    return { kind: 'snapshot-command', command: source.command };
  }
  return source;
}

interface HeldCopy {
  tables: BackupManifest['tables'];
  sequences: BackupManifest['sequences'];
  migrations: BackupManifest['migrations'];
  temporal: BackupManifest['temporal'];
  writersHeldMs: number;
}

/** Lock waits and deadlocks with a writer end the attempt (ours, not the writer's); the backup tries again. */
const RETRYABLE = new Set(['55P03', '40P01']);
const ATTEMPTS = 3;

/**
 * One attempt. `holder` locks every product table against writers (SHARE: readers go on), then
 * takes its snapshot — LOCK needs none, so the snapshot is taken after the lock is granted and
 * sees every write committed before it — and exports it; the Temporal persistence is copied while
 * the writers wait; `reader` adopts the snapshot, and the writers are let go. The tables are then
 * dumped from that snapshot: the same data as if dumped under the lock, without holding the
 * writers for the dump's length.
 */
async function copyHeld(
  holder: pg.Client,
  reader: pg.Client,
  tables: string[],
  source: BackupSource,
  out: string,
): Promise<HeldCopy> {
  let writersHeldMs: number;
  let temporal: BackupManifest['temporal'];
  let sequences: BackupManifest['sequences'];
  await holder.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
  try {
    // While this waits for a writer, the writers queued behind it wait too: not for long.
    await holder.query("SET LOCAL lock_timeout = '5s'");
    await holder.query(`LOCK TABLE ${tables.map(quote).join(', ')} IN SHARE MODE`);
    const lockedAt = performance.now();
    const snapshot = (await holder.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0]!.id;
    source.log?.('writers held; copying the Temporal persistence');
    temporal = await copyTemporal(source.temporal, out);
    // Sequences are not transactional: read while nothing can draw from them.
    const seqs = await holder.query<{ sequencename: string; last_value: string | null }>(
      "SELECT sequencename, last_value::text AS last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY sequencename",
    );
    sequences = Object.fromEntries(seqs.rows.map((r) => [r.sequencename, r.last_value]));
    await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await reader.query(`SET TRANSACTION SNAPSHOT '${snapshot.replace(/'/g, "''")}'`);
    await holder.query('COMMIT');
    writersHeldMs = Math.round(performance.now() - lockedAt);
    source.log?.(`writers released after ${writersHeldMs} ms; dumping the tables`);
  } catch (err) {
    await holder.query('ROLLBACK').catch(() => {});
    await reader.query('ROLLBACK').catch(() => {});
    throw err;
  }
  try {
    const dumped: BackupManifest['tables'] = {};
    for (const table of tables) {
      const file = `db/${table}.copy.gz`;
      const counter = new RowCounter();
      await pipeline(
        reader.query(copyTo(`COPY ${quote(table)} TO STDOUT`)),
        counter,
        createGzip(),
        createPrivateFile(path.join(out, file)),
      );
      await chmod(path.join(out, file), PRIVATE_FILE);
      dumped[table] = { file, rows: counter.rows };
    }
    const migrations = await appliedMigrations(reader);
    await reader.query('COMMIT');
    return { tables: dumped, sequences, migrations, temporal, writersHeldMs };
  } catch (err) {
    await reader.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

async function appliedMigrations(client: pg.Client): Promise<BackupManifest['migrations']> {
  const r = await client.query<{ migration_name: string; checksum: string }>(
    'SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name',
  );
  return r.rows.map((row) => ({ name: row.migration_name, checksum: row.checksum }));
}

/**
 * Writes a backup of everything into `out` (absent, or an empty folder of ours: see
 * prepareBackupDir; every folder 0700, every file 0600) and returns its manifest.
 */
export async function backup(source: BackupSource, out: string): Promise<BackupManifest> {
  await prepareBackupDir(out);
  const holder = new pg.Client({ connectionString: source.databaseUrl });
  const reader = new pg.Client({ connectionString: source.databaseUrl });
  await holder.connect();
  await reader.connect();
  let held: HeldCopy;
  let postgres: string;
  try {
    postgres = (await holder.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
    const tables = await publicTables(holder);
    for (let attempt = 1; ; attempt++) {
      try {
        held = await copyHeld(holder, reader, tables, source, out);
        break;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (!code || !RETRYABLE.has(code) || attempt === ATTEMPTS) throw err;
        source.log?.(`a writer held a table (${(err as Error).message}); trying again`);
      }
    }
  } finally {
    await holder.end();
    await reader.end();
  }

  // Evidence after the dump, with the writers going again: a file is stored before the row that
  // names it and never removed, so every file the dump refers to is already there.
  const evidence = await copyEvidenceOut(source.evidenceDir, path.join(out, 'evidence'));
  const secrets: string[] = [];
  if (source.secretsDir) {
    for (const name of SECRET_FILES) {
      const from = path.join(source.secretsDir, name);
      if (!(await exists(from))) continue;
      if (!secrets.length) await mkdirPrivate(path.join(out, 'secrets'));
      await copyPrivate(from, path.join(out, 'secrets', name));
      secrets.push(name);
    }
  }
  const files: Record<string, string> = {};
  const listed = [
    ...Object.values(held.tables).map((t) => t.file),
    ...(held.temporal.kind === 'sqlite' ? [held.temporal.file] : []),
    ...secrets.map((s) => `secrets/${s}`),
  ];
  for (const f of listed) files[f] = await sha256File(path.join(out, f));
  const manifest: BackupManifest = {
    format: FORMAT,
    createdAt: new Date().toISOString(),
    versions: { product: source.product.version, commit: source.product.commit, node: process.version, postgres },
    migrations: held.migrations,
    tables: held.tables,
    sequences: held.sequences,
    temporal: held.temporal,
    evidence: { dir: 'evidence', ...evidence },
    secrets,
    writersHeldMs: held.writersHeldMs,
    files,
  };
  await writeFile(path.join(out, MANIFEST), JSON.stringify(manifest, null, 2) + '\n', {
    flag: 'wx',
    mode: PRIVATE_FILE,
  });
  await chmod(path.join(out, MANIFEST), PRIVATE_FILE);
  return manifest;
}

/** The content-addressed files (xx/yy/<sha256>), not the store's tmp/ of uploads in progress. */
async function evidenceFiles(dir: string): Promise<string[]> {
  if (!(await exists(dir))) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && /^[0-9a-f]{64}$/.test(e.name))
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .filter((rel) => !rel.startsWith('tmp' + path.sep))
    .sort();
}

/** The evidence into the backup: a new folder tree, owner-only, nothing written over. */
async function copyEvidenceOut(from: string, to: string): Promise<{ files: number; bytes: number }> {
  let bytes = 0;
  const files = await evidenceFiles(from);
  await mkdirPrivate(to);
  const made = new Set<string>([to]);
  for (const rel of files) {
    const target = path.join(to, rel);
    // xx/ then xx/yy/, each made once.
    const parts = path.dirname(rel).split(path.sep);
    for (let i = 1; i <= parts.length; i++) {
      const dir = path.join(to, ...parts.slice(0, i));
      if (made.has(dir)) continue;
      await mkdirPrivate(dir);
      made.add(dir);
    }
    await copyPrivate(path.join(from, rel), target);
    bytes += (await stat(target)).size;
  }
  return { files: files.length, bytes };
}

/** The backup's evidence into the store's folder (restore): content-addressed, so a file already there is the same. */
async function copyEvidence(from: string, to: string): Promise<{ files: number; bytes: number }> {
  let bytes = 0;
  const files = await evidenceFiles(from);
  for (const rel of files) {
    await mkdir(path.dirname(path.join(to, rel)), { recursive: true });
    await copyFile(path.join(from, rel), path.join(to, rel));
    bytes += (await stat(path.join(to, rel))).size;
  }
  return { files: files.length, bytes };
}

export async function readManifest(dir: string): Promise<BackupManifest> {
  const file = path.join(dir, MANIFEST);
  if (!(await exists(file))) throw new Error(`${file} is missing: not a backup folder`);
  const manifest = JSON.parse(await readFile(file, 'utf8')) as BackupManifest;
  if (manifest.format !== FORMAT)
    throw new Error(`backup format ${manifest.format} is not supported (expected ${FORMAT})`);
  return manifest;
}

/** Every file is as the backup wrote it: its SHA-256 (evidence: its name) and the files listed are there. */
export async function verifyBackup(dir: string, manifest: BackupManifest): Promise<void> {
  for (const [file, sum] of Object.entries(manifest.files)) {
    const p = path.join(dir, file);
    if (!(await exists(p))) throw new Error(`${file} is missing from the backup`);
    if ((await sha256File(p)) !== sum) throw new Error(`${file} is damaged (SHA-256 differs from the manifest)`);
  }
  const evidence = await evidenceFiles(path.join(dir, manifest.evidence.dir));
  if (evidence.length !== manifest.evidence.files)
    throw new Error(`the backup has ${evidence.length} evidence files, the manifest ${manifest.evidence.files}`);
  for (const rel of evidence)
    if ((await sha256File(path.join(dir, manifest.evidence.dir, rel))) !== path.basename(rel))
      throw new Error(`evidence file ${rel} is damaged (its content does not match its name)`);
}

/** Tables with rows in a database, leaving out what the migrations themselves insert. */
export async function nonEmptyTables(databaseUrl: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const found: string[] = [];
    for (const table of await publicTables(client)) {
      if (table === '_prisma_migrations' || table === 'office_settings') continue;
      const r = await client.query(`SELECT 1 FROM ${quote(table)} LIMIT 1`);
      if (r.rowCount) found.push(table);
    }
    return found;
  } finally {
    await client.end();
  }
}

/**
 * Loads a backup's tables into a database: migrated to the backup's migrations (the same list,
 * or the restore stops), then, in one transaction with triggers off (the event log's
 * append-only guards, the tallies, the numbering: the rows are taken as they were), every table
 * emptied and copied back, and the sequences set. Returns each table's row count after the load.
 */
export async function restoreDatabase(
  databaseUrl: string,
  dir: string,
  manifest: BackupManifest,
): Promise<Record<string, number>> {
  await migrate(databaseUrl);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const ours = (await appliedMigrations(client)).map((m) => `${m.name} ${m.checksum}`);
    const theirs = manifest.migrations.map((m) => `${m.name} ${m.checksum}`);
    const missing = theirs.filter((m) => !ours.includes(m));
    const extra = ours.filter((m) => !theirs.includes(m));
    if (missing.length || extra.length)
      throw new Error(
        'this code and the backup have different migrations; restore with the release that made the backup ' +
          `(commit ${manifest.versions.commit ?? 'unknown'}), then start the newer one.` +
          (missing.length ? `\n  only in the backup: ${missing.join(', ')}` : '') +
          (extra.length ? `\n  only in this code: ${extra.join(', ')}` : ''),
      );
    const tables = await publicTables(client);
    const inBackup = Object.keys(manifest.tables).sort();
    if (tables.join() !== inBackup.join())
      throw new Error(`the tables differ from the backup's: ${tables.join(', ')} against ${inBackup.join(', ')}`);
    await client.query('BEGIN');
    try {
      // Needs a superuser (the embedded default's user is one).
      await client.query('SET LOCAL session_replication_role = replica');
      await client.query(`TRUNCATE ${tables.map(quote).join(', ')}`);
      for (const table of tables) {
        await pipeline(
          createReadStream(path.join(dir, manifest.tables[table]!.file)),
          createGunzip(),
          client.query(copyFrom(`COPY ${quote(table)} FROM STDIN`)),
        );
      }
      for (const [seq, last] of Object.entries(manifest.sequences))
        if (last === null) await client.query(`ALTER SEQUENCE ${quote(seq)} RESTART`);
        else await client.query('SELECT setval($1::regclass, $2::bigint, true)', [quote(seq), last]);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
    const counts: Record<string, number> = {};
    for (const table of tables)
      counts[table] = Number(
        (await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${quote(table)}`)).rows[0]!.n,
      );
    return counts;
  } finally {
    await client.end();
  }
}

/** Puts the backup's evidence files into the store's folder (content-addressed: existing ones are the same). */
export async function restoreEvidence(dir: string, manifest: BackupManifest, evidenceDir: string): Promise<number> {
  return (await copyEvidence(path.join(dir, manifest.evidence.dir), evidenceDir)).files;
}

/** Puts the kept secrets back into the embedded default's data folder, readable by the owner only. */
export async function restoreSecrets(dir: string, manifest: BackupManifest, dataDir: string): Promise<void> {
  for (const name of manifest.secrets) {
    await copyFile(path.join(dir, 'secrets', name), path.join(dataDir, name));
    await chmod(path.join(dataDir, name), 0o600);
  }
}
