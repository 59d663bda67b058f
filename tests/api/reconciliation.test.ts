/**
 * Reconciliation on the real stack (Temporal dev server, PostgreSQL, worker, API): rows
 * deliberately corrupted, a fired rung's notification request deleted, an open row without a
 * workflow, a workflow terminated under an open row; the check — run by its Temporal Schedule, by `npm run reconcile` and directly — finds
 * each, marks the items as needing attention (API list, detail, dashboard), shows them at
 * GET /api/reconciliation; once fixed, the next run resolves them and lowers the marks.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReconciliation } from '../../activities/reconcile';
import type { Item } from '../../domain/item';
import { ROOT } from '../../lib/root';
import { ensureReconcileSchedule, reconcileScheduleId } from '../../workflows/client/reconcile';
import { itemWorkflowId } from '../../workflows/ids';
import { admin, districtSupervisor, leadA, supervisor } from '../support/actors';
import { bearer, startApiStack, type ApiStack } from '../support/api';
import { DUE } from '../support/dates';
import { openOverdue } from '../support/items';
import { TEST_PAYLOAD_KEY, uniqueTaskQueue } from '../support/stack';
import { waitFor } from '../support/wait';

let stack: ApiStack;
const taskQueue = uniqueTaskQueue('reconcile');
beforeAll(async () => {
  stack = await startApiStack(taskQueue);
}, 60_000);
afterAll(async () => {
  await stack?.t.client.schedule
    .getHandle(reconcileScheduleId(taskQueue))
    .delete()
    .catch(() => undefined);
  await stack?.close();
});

const get = (url: string, actor = supervisor) => stack.app.inject({ method: 'GET', url, headers: bearer(actor) });
const check = () => runReconciliation(stack.db, stack.t.client, { trigger: 'manual', taskQueue, recheckDelayMs: 300 });

/** `npm run reconcile` against this file's database and task queue: its exit code and output. */
function reconcileCli(args = ['--recheck-ms', '300']): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(ROOT, 'scripts/reconcile.ts'), ...args],
      {
        env: {
          PATH: process.env.PATH,
          DATABASE_URL: stack.dbUrl,
          TEMPORAL_ADDRESS: stack.t.address,
          TEMPORAL_TASK_QUEUE: taskQueue,
          PAYLOAD_KEY: TEST_PAYLOAD_KEY,
        },
        encoding: 'utf8',
        timeout: 90_000,
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? -1) : 0, out: stdout + stderr }),
    );
  });
}

describe('reconciliation', () => {
  const ids = { status: '', seq: '', rung: '', clean: '', ended: '', ghost: 'ghost-1' };
  let overdue: Item;
  let deleted: Record<string, unknown> | undefined;
  let rungKey = '';

  beforeAll(async () => {
    const opened = async (title: string) => {
      const res = await stack.app.inject({
        method: 'POST',
        url: '/api/items',
        headers: bearer(supervisor),
        payload: { title, leadUnitId: 'unit-a', dueDate: DUE },
      });
      expect(res.statusCode, res.body).toBe(201);
      return res.json().item.id as string;
    };
    ids.status = await opened('状态被改动的事项');
    ids.seq = await opened('步骤被改动的事项');
    ids.clean = await opened('一致的事项');
    ids.ended = await opened('流程被终止的事项');
    const signed = await stack.app.inject({
      method: 'POST',
      url: `/api/items/${ids.clean}/sign`,
      headers: bearer(leadA),
      payload: {},
    });
    expect(signed.statusCode, signed.body).toBe(200);
    // Four working days past its deadline: its 催办 and 红灯 rungs fired on the real server as it opened.
    overdue = await openOverdue(stack, taskQueue, 4, { title: '超期事项' });
    ids.rung = overdue.id;
  }, 60_000);

  it('finds nothing on consistent items', async () => {
    const report = await check();
    expect(report.findings).toEqual([]);
    expect(report.itemsChecked).toBeGreaterThanOrEqual(4);
  });

  it('finds a corrupted status and sequence, a missing rung notice, a row without a workflow and a terminated one, through its Schedule', async () => {
    await stack.db.$executeRaw`UPDATE items SET status = 'verifying' WHERE id = ${ids.status}`;
    await stack.db.$executeRaw`UPDATE items SET seq = seq + 3 WHERE id = ${ids.seq}`;
    const [row] = await stack.db.$queryRaw<Array<Record<string, unknown>>>`
      SELECT * FROM notification_requests WHERE subject_id = ${ids.rung} AND kind = 'red'`;
    expect(row, 'the red rung fired and asked for its notice').toBeDefined();
    rungKey = String(row!.key);
    expect(rungKey).toMatch(new RegExp(`^${itemWorkflowId(ids.rung)}/rung/closure/\\d+/closure-red$`));
    deleted = row;
    await stack.db.$executeRaw`DELETE FROM notification_requests WHERE key = ${rungKey}`;
    const clean = await stack.db.item.findUniqueOrThrow({ where: { id: ids.clean } });
    await stack.db.item.create({
      data: {
        ...clean,
        id: ids.ghost,
        number: undefined,
        numberPrefix: undefined,
        numberYear: undefined,
        numberSeq: undefined,
        searchText: undefined,
        searchGrams: undefined,
        snapshot: clean.snapshot ?? {},
        title: '没有流程的记录',
      },
    });
    await stack.t.client.workflow.getHandle(itemWorkflowId(ids.ended)).terminate('对账测试：流程被终止');

    // The Schedule, as every worker process creates it, run now.
    await ensureReconcileSchedule(stack.t.client, taskQueue, 15);
    await stack.t.client.schedule.getHandle(reconcileScheduleId(taskQueue)).trigger();
    const run = await waitFor(
      () => stack.db.reconciliationRun.findFirst({ where: { trigger: 'schedule', finishedAt: { not: null } } }),
      60_000,
    );
    expect(run.findings).toBe(5);

    const open = await stack.db.reconciliationFinding.findMany({
      where: { resolvedAt: null },
      orderBy: { subjectId: 'asc' },
    });
    expect(open.map((f) => [f.subjectId, f.kind]).sort()).toEqual(
      [
        [ids.status, 'status_mismatch'],
        [ids.seq, 'record_ahead'],
        [ids.rung, 'rung_notice_missing'],
        [ids.ghost, 'no_workflow'],
        [ids.ended, 'workflow_ended'],
      ].sort(),
    );
    expect(open.find((f) => f.kind === 'rung_notice_missing')?.key).toBe(rungKey);

    // Flagged on the items, in Chinese, where people look: the list, the detail, the dashboard.
    const list = (await get('/api/items?attention=true&pageSize=100')).json();
    expect(list.items.map((i: { id: string }) => i.id).sort()).toEqual(
      [ids.status, ids.seq, ids.rung, ids.ghost, ids.ended].sort(),
    );
    const detail = (await get(`/api/items/${ids.status}`)).json();
    expect(detail.attention.reason).toBe('对账发现：数据库记录的状态（待核查）与流程（待签收）不一致，同为第 1 步');
    expect((await get(`/api/items/${ids.rung}`)).json().attention.reason).toMatch(
      /^对账发现：「红灯预警」已于 .* 触发，但没有对应的通知请求/,
    );
    expect((await get(`/api/items/${ids.ended}`)).json().attention.reason).toBe(
      '对账发现：记录显示事项尚在办理（待签收，第 1 步），但流程已结束（TERMINATED）',
    );
    expect((await get('/api/dashboard')).json().attention).toBe(5);
    expect((await get(`/api/items/${ids.clean}`)).json().attention).toBeNull();

    // The supervisors' and the administrator's read; nobody else's.
    const seen = await get('/api/reconciliation');
    expect(seen.statusCode, seen.body).toBe(200);
    expect(seen.json()).toMatchObject({ lastRun: { trigger: 'schedule', findings: 5 }, openFindings: 5 });
    expect(
      seen
        .json()
        .findings.map((f: { kindLabel: string }) => f.kindLabel)
        .sort(),
    ).toEqual(['催督通知缺失', '状态不一致', '记录无流程', '记录领先于流程', '流程已结束'].sort());
    expect((await get('/api/reconciliation', admin)).json()).toMatchObject({
      lastRun: { findings: 5, itemsChecked: seen.json().lastRun.itemsChecked },
      openFindings: 5,
    });
    expect(seen.json().lastRun.itemsChecked).toBeGreaterThan(0);
    expect((await get('/api/reconciliation', leadA)).statusCode).toBe(403);

    // A district's supervisor: none of these items is the district's, so nothing of them, not even
    // the run's system-wide counts; when it ran, yes.
    const district = await get('/api/reconciliation', districtSupervisor);
    expect(district.statusCode, district.body).toBe(200);
    const body = district.json();
    expect(body).toMatchObject({ openFindings: 0, findings: [] });
    expect(body.lastRun).toEqual({
      id: expect.any(String),
      trigger: expect.any(String),
      startedAt: expect.any(String),
      finishedAt: expect.any(String),
      itemsChecked: null,
      findings: null,
    });
    expect(district.body).not.toMatch(/"(itemsChecked|findings)":\s*[1-9]/);
  });

  it('npm run reconcile refuses a bad option in one line naming it, with 2 (could not run), before connecting', async () => {
    const runs = await stack.db.reconciliationRun.count();
    for (const [args, named] of [
      [['--bogus'], '--bogus'],
      [['--recheck-ms', '-5'], '--recheck-ms'],
      [['--recheck-ms=-5'], '--recheck-ms'],
      [['--recheck-ms', '1.5'], '--recheck-ms'],
      [['--recheck-ms', 'soon'], '--recheck-ms'],
      [['--recheck-ms'], '--recheck-ms'],
      [['stray'], 'stray'],
    ] as const) {
      const cli = await reconcileCli([...args]);
      expect(cli.code, `${args.join(' ')}: ${cli.out}`).toBe(2);
      expect(cli.out.trim().split('\n'), cli.out).toHaveLength(1);
      expect(cli.out).toContain(named);
      expect(cli.out).not.toMatch(/\bat .*\.(ts|js):\d+/);
    }
    // No run was started by any of them.
    expect(await stack.db.reconciliationRun.count()).toBe(runs);
  }, 120_000);

  it('npm run reconcile prints them and exits 1', async () => {
    const cli = await reconcileCli();
    expect(cli.code, cli.out).toBe(1);
    expect(cli.out).toContain('状态不一致');
    expect(cli.out).toContain(ids.ghost);
    expect(cli.out).toMatch(/5 findings, 0 earlier findings resolved/);
    // Seen again, not found twice.
    expect(await stack.db.reconciliationFinding.count()).toBe(5);
  }, 120_000);

  it('resolves what was fixed and lowers the marks it set, and only those', async () => {
    await stack.db.$executeRaw`UPDATE items SET status = 'assigned' WHERE id = ${ids.status}`;
    await stack.db.$executeRaw`UPDATE items SET seq = seq - 3 WHERE id = ${ids.seq}`;
    const d = deleted!;
    await stack.db.$executeRaw`
      INSERT INTO notification_requests (key, subject_kind, subject_id, kind, targets, unit_ids, payload, status, created_at)
      VALUES (${d.key}, ${d.subject_kind}, ${d.subject_id}, ${d.kind}, ${d.targets}::text[], ${d.unit_ids}::text[],
              ${JSON.stringify(d.payload)}::jsonb, ${d.status}, ${d.created_at})`;
    // A failing write's mark is not reconciliation's to lower.
    await stack.db.item.update({
      where: { id: ids.clean },
      data: { attention: 'recordTransition: connection refused', attentionSince: new Date() },
    });
    const report = await check();
    expect(report.findings.map((f) => [f.subjectId, f.kind]).sort()).toEqual(
      [
        [ids.ghost, 'no_workflow'],
        [ids.ended, 'workflow_ended'],
      ].sort(),
    );
    expect(report.resolved).toBe(3);
    const open = await stack.db.reconciliationFinding.findMany({ where: { resolvedAt: null } });
    expect(open.map((f) => f.subjectId).sort()).toEqual([ids.ghost, ids.ended].sort());
    const list = (await get('/api/items?attention=true&pageSize=100')).json();
    expect(list.items.map((i: { id: string }) => i.id).sort()).toEqual([ids.clean, ids.ghost, ids.ended].sort());

    // The rows without a running workflow closed by hand (as an operator would, after looking).
    await stack.db.$executeRaw`UPDATE items SET status = 'withdrawn' WHERE id IN (${ids.ghost}, ${ids.ended})`;
    await stack.db.item.update({ where: { id: ids.clean }, data: { attention: null, attentionSince: null } });
    expect((await check()).resolved).toBe(2);
    expect((await get('/api/items?attention=true')).json().items).toEqual([]);
    expect((await get('/api/reconciliation')).json()).toMatchObject({ openFindings: 0, findings: [] });
    const cli = await reconcileCli();
    expect(cli.code, cli.out).toBe(0);
  }, 120_000);
});
