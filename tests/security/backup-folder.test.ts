/**
 * `npm run backup` / `npm run restore` as an attacker on the same machine, or a typo, would meet
 * them: the backup's folder and everything in it owner-only whatever the umask, an existing
 * --out folder taken only when empty and ours, a symlink planted in it never followed, wrong
 * options said in one line (exit 2), refusals in one line (exit 1), never a stack trace. The
 * real commands, against this file's own database; the Temporal persistence a small SQLite file
 * standing for the dev server's.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../support/commands';
import { privateModeProblems } from '../support/file-modes';
import { freshDatabase } from '../support/stack';

let root: string;
let env: Record<string, string>;

/** A stack trace's frames: the commands must never print one for what an operator got wrong. */
const STACK = /^\s+at /m;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'duban-backup-folder-'));
  const dataDir = path.join(root, 'data');
  const evidence = Buffer.from('%PDF-1.4\nevidence\n');
  const sha = createHash('sha256').update(evidence).digest('hex');
  await mkdir(path.join(dataDir, 'evidence', sha.slice(0, 2), sha.slice(2, 4)), { recursive: true });
  await writeFile(path.join(dataDir, 'evidence', sha.slice(0, 2), sha.slice(2, 4), sha), evidence);
  const temporal = new DatabaseSync(path.join(dataDir, 'temporal.db'));
  temporal.exec('CREATE TABLE t (v TEXT); INSERT INTO t VALUES (1)');
  temporal.close();
  const { url, db } = await freshDatabase();
  await db.$disconnect();
  env = { DATA_DIR: dataDir, DATABASE_URL: url };
}, 30_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const backup = (args: string[], options: { umask?: number } = {}) =>
  runCommand('scripts/backup.ts', args, env, options);
const restore = (args: string[]) => runCommand('scripts/restore.ts', args, env);

describe('npm run backup: the folder', () => {
  it('writes every folder 0700 and every file 0600 into an existing 0755 --out folder, even under umask 000', async () => {
    const out = path.join(root, 'existing');
    await mkdir(out);
    await chmod(out, 0o755);
    const made = await backup(['--out', out], { umask: 0 });
    expect(made.code, made.output).toBe(0);
    // db/*.copy.gz, temporal.db, evidence/xx/yy/<sha256>, manifest.json: all there, all owner-only.
    expect((await readdir(out)).sort()).toEqual(['db', 'evidence', 'manifest.json', 'temporal.db']);
    expect((await readdir(path.join(out, 'db'))).length).toBeGreaterThan(10);
    expect(await privateModeProblems(out)).toEqual([]);
  });

  it('makes a new --out folder (and the default one) owner-only under umask 000', async () => {
    const out = path.join(root, 'new', 'b');
    const made = await backup(['--out', out], { umask: 0 });
    expect(made.code, made.output).toBe(0);
    expect(await privateModeProblems(out)).toEqual([]);
    const byDefault = await backup([], { umask: 0 });
    expect(byDefault.code, byDefault.output).toBe(0);
    const [folder] = await readdir(path.join(env.DATA_DIR!, 'backups'));
    expect(await privateModeProblems(path.join(env.DATA_DIR!, 'backups', folder!))).toEqual([]);
  });

  it('refuses a folder with a planted db symlink and writes nothing through it', async () => {
    const out = path.join(root, 'planted');
    const elsewhere = path.join(root, 'someone-elses');
    await mkdir(out);
    await mkdir(elsewhere);
    await symlink(elsewhere, path.join(out, 'db'));
    const made = await backup(['--out', out]);
    expect(made.code).toBe(1);
    expect(made.output).toContain(`[backup] refused: ${out} is not empty (db)`);
    expect(made.output).not.toMatch(STACK);
    expect(await readdir(elsewhere)).toEqual([]);
  });

  it('refuses --out that is itself a symlink, even to an empty folder', async () => {
    const target = path.join(root, 'empty-target');
    await mkdir(target);
    await chmod(target, 0o755);
    const link = path.join(root, 'link');
    await symlink(target, link);
    const made = await backup(['--out', link]);
    expect(made.code).toBe(1);
    expect(made.output).toContain(`[backup] refused: ${link} is a symbolic link`);
    expect(made.output).not.toMatch(STACK);
    expect(await readdir(target)).toEqual([]);
    expect((await stat(target)).mode & 0o777).toBe(0o755);
  });

  it('refuses a folder that is not empty, in one line', async () => {
    const out = path.join(root, 'full');
    await mkdir(out);
    await writeFile(path.join(out, 'notes.txt'), 'x');
    const made = await backup(['--out', out]);
    expect(made.code).toBe(1);
    expect(made.output.trim()).toBe(`[backup] refused: ${out} is not empty (notes.txt)`);
    expect(await readdir(out)).toEqual(['notes.txt']);
  });
});

describe('wrong options', () => {
  it.each([
    ['backup', ['--bogus'], '--bogus'],
    ['backup', ['--out'], '--out'],
    ['backup', ['--out', ''], '--out'],
    ['backup', ['somewhere'], 'somewhere'],
    ['restore', ['--bogus', 'x'], '--bogus'],
    ['restore', ['--force=yes', 'x'], '--force'],
    ['restore', [], 'backup folder'],
    ['restore', ['a', 'b'], 'a b'],
  ])('npm run %s -- %j: one line naming it, the usage, exit 2', async (command, args, named) => {
    const r = await (command === 'backup' ? backup(args) : restore(args));
    expect(r.code, r.output).toBe(2);
    const lines = r.output.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(`[${command}]`);
    expect(lines[0]).toContain(named);
    expect(lines[1]).toMatch(new RegExp(`^usage: npm run ${command} `));
  });

  it('npm run restore of a folder that is not a backup: refused in one line, exit 1', async () => {
    const r = await restore([root]);
    expect(r.code).toBe(1);
    expect(r.output.trim()).toBe(
      `[restore] refused: ${path.join(root, 'manifest.json')} is missing: not a backup folder`,
    );
  });
});
