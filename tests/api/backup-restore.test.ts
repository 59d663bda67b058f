/**
 * Backup, wipe, restore on a running stack, as an operator does it: the embedded default
 * (scripts/dev.ts: its own PostgreSQL, the Temporal dev server with its file, a worker, the API)
 * in a data folder of its own; items opened and moved, one with a rung due within the minute;
 * `npm run backup` while actions are in flight; the stack stopped and its data folder removed;
 * `npm run restore` into the empty folder; the stack started again. The items continue, the
 * rung fires after the restore (once), every chain verifies, the row counts match the manifest.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProductProcess } from '../../dev/product-process';
import { freePort } from '../../dev/ports';
import { shanghaiDate } from '../../domain/calendar';
import { DEFAULT_POLICY, type Policy } from '../../domain/policy';
import type { BackupManifest } from '../../lib/backup';
import { verifyItemChain } from '../../lib/chain';
import { createDb, type Db } from '../../lib/db';
import { createEvidenceStore } from '../../lib/evidence-store';
import { openItem } from '../../workflows/client/items';
import { itemWorkflowId } from '../../workflows/ids';
import { itemQuery } from '../../workflows/messages';
import { leadA, supervisor } from '../support/actors';
import { TEST_PAYLOAD_KEY, TEST_SECRET } from '../support/config';
import { act, newItemId, spec } from '../support/items';
import { runCommand } from '../support/commands';
import { privateModeProblems } from '../support/file-modes';
import { connectTemporal, type TemporalHandles } from '../support/stack';
import { waitFor } from '../support/wait';

let dataDir: string;
let backupDir: string;
let env: Record<string, string>;
let stack: ChildProcess | undefined;

/** scripts/backup.ts or scripts/restore.ts on this test's data folder and ports. */
function run(script: string, args: string[], more: Record<string, string> = {}) {
  return runCommand(script, args, { ...env, ...more });
}

/** The embedded stack as ./scripts/start.sh runs it, on this test's ports and data folder. */
function startStack(): Promise<ChildProcess> {
  return startProductProcess('scripts/dev.ts', env, '督查督办 is running');
}

/** Ctrl+C: the stack stops its worker, API, Temporal dev server and PostgreSQL. */
async function stopStack(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'duban-restore-data-'));
  // As .data is: run as root, the embedded PostgreSQL's own user must reach its folder inside.
  await chmod(dataDir, 0o755);
  backupDir = path.join(await mkdtemp(path.join(os.tmpdir(), 'duban-restore-backup-')), 'b1');
  const [pgPort, temporalPort, uiPort, apiPort, smtpPort] = await Promise.all(
    Array.from({ length: 5 }, () => freePort()),
  );
  env = {
    DATA_DIR: dataDir,
    DEMO_DATA: 'off',
    PG_PORT: String(pgPort),
    TEMPORAL_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: String(uiPort),
    API_PORT: String(apiPort),
    SMTP_SINK_PORT: String(smtpPort),
    METRICS_ADDRESS: 'off',
  };
  // The secrets the embedded default keeps in its data folder (generated on first start): the
  // tests' own, so this test's clients read the payloads. The restore must bring them back.
  await writeFile(path.join(dataDir, 'auth-secret'), TEST_SECRET, { mode: 0o600 });
  await writeFile(path.join(dataDir, 'payload-key'), TEST_PAYLOAD_KEY, { mode: 0o600 });
}, 30_000);

afterAll(async () => {
  if (stack) await stopStack(stack);
  await rm(dataDir, { recursive: true, force: true });
  await rm(path.dirname(backupDir), { recursive: true, force: true });
});

async function connect(): Promise<{ t: TemporalHandles; db: Db }> {
  const t = await connectTemporal(`127.0.0.1:${env.TEMPORAL_PORT}`);
  const db = createDb(`postgresql://duban:duban@127.0.0.1:${env.PG_PORT}/duban`);
  return { t, db };
}

/** Each item's record (status, seq) is its workflow's, once pending records have run; else the differences. */
async function recordsMatchWorkflows(t: TemporalHandles, db: Db, ids: string[]): Promise<void> {
  const differences = async () => {
    const found: string[] = [];
    for (const id of ids) {
      const wf = await t.client.workflow.getHandle(itemWorkflowId(id)).query(itemQuery);
      const row = await db.item.findUnique({ where: { id }, select: { status: true, seq: true } });
      if (row?.status !== wf.status || row.seq !== wf.seq)
        found.push(`${id}: PostgreSQL ${row?.status}/${row?.seq}, workflow ${wf.status}/${wf.seq}`);
    }
    return found;
  };
  const until = Date.now() + 45_000;
  let found = await differences();
  while (found.length && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 250));
    found = await differences();
  }
  expect(found).toEqual([]);
}

describe('backup and restore of the embedded stack', () => {
  it('brings the items, timers, evidence and chains back on an empty data folder', async () => {
    stack = await startStack();
    let { t, db } = await connect();

    // A rung due on the first minute boundary at least 25 s away (rungs fall due on minutes):
    // today a working day, the closure deadline today at that minute.
    const dueAt = Math.ceil((Date.now() + 25_000) / 60_000) * 60_000;
    const today = shanghaiDate(Date.now());
    if (shanghaiDate(dueAt) !== today) return expect.fail('too close to midnight in Shanghai: run again in a minute');
    const year = Number(today.slice(0, 4));
    await db.calendarYear.upsert({
      where: { year },
      create: { year, holidays: [], workdays: [{ date: today, name: 'drill' }], source: 'drill', updatedBy: 'drill' },
      update: { holidays: [], workdays: [{ date: today, name: 'drill' }] },
    });
    const policy: Policy = {
      ...DEFAULT_POLICY,
      id: 'restore-timer',
      workdayEnd: new Date(dueAt + 8 * 3600_000).toISOString().slice(11, 16),
      ladder: [{ key: 'closure-urge', step: 'closure', offset: 0, action: 'urge', targets: ['handler'] }],
    };
    const timed = await openItem(t.client, 'duban-items', {
      id: newItemId(),
      problemListId: null,
      spec: spec({ dueDate: today }),
      createdBy: supervisor,
      config: { maxDeclines: 2 },
      policy,
    });
    const items = [];
    for (let i = 0; i < 6; i++)
      items.push(
        await openItem(t.client, 'duban-items', {
          id: newItemId(),
          problemListId: null,
          spec: spec(),
          createdBy: supervisor,
          config: { maxDeclines: 2 },
        }),
      );
    for (const item of items.slice(0, 3)) await act(t.client, item, 'sign', leadA);
    const evidence = await createEvidenceStore(path.join(dataDir, 'evidence')).put(
      Readable.from([Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(2000)])]),
      1 << 20,
    );
    const ids = [timed.id, ...items.map((i) => i.id)];

    // The backup while actions are in flight: 催办 (a step that changes only the record) on
    // every item, round after round, from before the backup starts until it has ended.
    let backingUp = true;
    const latencies: number[] = [];
    const rounds = (async () => {
      while (backingUp)
        await Promise.all(
          items.map(async (item) => {
            const started = performance.now();
            await act(t.client, item, 'urge', supervisor);
            latencies.push(performance.now() - started);
          }),
        );
    })();
    const made = await run('scripts/backup.ts', ['--out', backupDir]);
    backingUp = false;
    await rounds;
    expect(made.code, made.output).toBe(0);
    const manifest = JSON.parse(await readFile(path.join(backupDir, 'manifest.json'), 'utf8')) as BackupManifest;
    expect(manifest.temporal.kind).toBe('sqlite');
    expect(manifest.tables.items?.rows).toBe(7);
    expect(manifest.evidence.files).toBe(1);
    expect(manifest.secrets.sort()).toEqual(['auth-secret', 'payload-key']);
    expect(manifest.migrations.length).toBeGreaterThan(10);
    // It holds the payload key and every item: nothing in it readable by another user.
    expect(await privateModeProblems(backupDir)).toEqual([]);
    latencies.sort((a, b) => a - b);
    console.log(
      `backup-restore: writers held ${manifest.writersHeldMs} ms; ${latencies.length} actions during the backup, ` +
        `p50 ${Math.round(latencies[latencies.length >> 1]!)} ms, max ${Math.round(latencies.at(-1)!)} ms; ` +
        made.output.split('\n').find((l) => l.includes('in all')),
    );
    // Against a Temporal cluster (TEMPORAL_ADDRESS set) the cluster's own snapshot command runs
    // while the writers are held; here it only leaves a mark in the backup folder.
    const clusterDir = path.join(path.dirname(backupDir), 'cluster');
    const cluster = await run(
      'scripts/backup.ts',
      ['--out', clusterDir, '--temporal-snapshot', 'echo held > "$BACKUP_DIR/temporal-snapshot.txt"'],
      { TEMPORAL_ADDRESS: `127.0.0.1:${env.TEMPORAL_PORT}` },
    );
    expect(cluster.code, cluster.output).toBe(0);
    expect(await readFile(path.join(clusterDir, 'temporal-snapshot.txt'), 'utf8')).toBe('held\n');
    const clusterManifest = JSON.parse(
      await readFile(path.join(clusterDir, 'manifest.json'), 'utf8'),
    ) as BackupManifest;
    expect(clusterManifest.temporal.kind).toBe('snapshot-command');
    expect(clusterManifest.files['temporal.db']).toBeUndefined();

    // Not yet due when the backup was made.
    expect(await db.itemEvent.count({ where: { itemId: timed.id, action: 'escalate' } })).toBe(0);
    await t.close();
    await db.$disconnect();

    // Over the running stack's data: refused.
    const refused = await run('scripts/restore.ts', [backupDir]);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('refused: there is data already');

    await stopStack(stack);
    stack = undefined;
    await rm(dataDir, { recursive: true, force: true });

    const restored = await run('scripts/restore.ts', [backupDir]);
    expect(restored.code, restored.output).toBe(0);
    expect(restored.output).toContain('as in the manifest');

    stack = await startStack();
    ({ t, db } = await connect());
    expect(await db.item.count()).toBe(manifest.tables.items!.rows);
    await recordsMatchWorkflows(t, db, ids);
    expect(await createEvidenceStore(path.join(dataDir, 'evidence')).exists(evidence.sha256)).toBe(true);

    // The items continue: each takes its next action.
    for (const item of items) {
      const now = await t.client.workflow.getHandle(itemWorkflowId(item.id)).query(itemQuery);
      const next = now.status === 'assigned' ? 'sign' : now.status === 'signed' ? 'filePlan' : 'reportProgress';
      const after = await act(t.client, item, next, leadA);
      expect(after.seq).toBe(now.seq + 1);
    }
    await recordsMatchWorkflows(t, db, ids);

    // The rung fires after the restore, once, with one notice.
    await waitFor(() => db.itemEvent.count({ where: { itemId: timed.id, action: 'escalate' } }), 100_000);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await db.itemEvent.count({ where: { itemId: timed.id, action: 'escalate' } })).toBe(1);
    expect(
      await db.notificationRequest.count({ where: { subjectKind: 'item', subjectId: timed.id, kind: 'urge' } }),
    ).toBe(1);

    for (const id of ids) expect((await verifyItemChain(db, id))?.intact, id).toBe(true);
    await t.close();
    await db.$disconnect();
  }, 240_000);
});
