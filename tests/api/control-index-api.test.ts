/**
 * 管控力指数 through the API, on a quarter of recorded events (2026-Q2) written as the product
 * records them: the index computed by hand for a small set of units equals the product's, every
 * deduction traced to its event; a rule change creates a version and leaves the published ranking
 * unchanged; appeals; who sees what; the backtest of rules writes nothing; the quarterly workflow
 * writes a run as the Schedule would start it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../domain/actors';
import { DEFAULT_INDEX_RULES } from '../../domain/control-index';
import { createControlIndexActivities, tryLockPeriodPublish } from '../../activities/control-index';
import { controlIndexWorkflow } from '../../workflows/control-index';
import { CONTROL_INDEX_SCHEDULE_ID, ensureControlIndexSchedule } from '../../workflows/client/control-index-schedule';
import * as p from '../support/actors';
import { bearer, startApiStack, type ApiStack } from '../support/api';
import { uniqueTaskQueue } from '../support/stack';

let stack: ApiStack;
const taskQueue = uniqueTaskQueue('control-index');
const PERIOD = '2026-Q2';
const at = (date: string, time = '10:00') => new Date(`${date}T${time}:00+08:00`);

async function item(
  id: string,
  leadUnitId: string,
  o: {
    status?: string;
    deadline?: string;
    createdOn?: string;
    closing?: { deadline: string; handedInOn: string; late: number };
    selfFound?: boolean;
  } = {},
): Promise<void> {
  const deadline = o.deadline ?? '2026-12-31';
  const snapshot = o.closing
    ? {
        deadlines: {
          closing: {
            closedOn: o.closing.handedInOn,
            deadline: o.closing.deadline,
            handedInOn: o.closing.handedInOn,
            lateWorkingDays: o.closing.late,
            plan: [],
          },
        },
      }
    : { deadlines: null };
  const created = at(o.createdOn ?? '2026-03-20');
  await stack.db.$executeRaw`
    INSERT INTO items (id, title, description, category, priority, source, status, lead_unit_id, co_unit_ids, due_date,
                       light, deadline_date, decline_count, return_count, seq, snapshot, created_at, updated_at,
                       closed_at, closed_late_working_days, self_found)
    VALUES (${id}, ${`指数测试事项 ${id}`}, '', 'general', 'normal', '督查检查', ${o.status ?? 'rectifying'}, ${leadUnitId},
            '{}', ${deadline}, 'green', ${deadline}, 0, 0, 9, ${JSON.stringify(snapshot)}::jsonb, ${created}, ${created},
            ${o.closing ? at(o.closing.handedInOn, '16:00') : null}, ${o.closing ? o.closing.late : null}, ${o.selfFound ?? false})`;
}

let seq = 100;
/** An event as the product records it; returns its id. */
async function event(
  itemId: string,
  action: string,
  when: Date,
  actor: Actor | 'system',
  payload: unknown = {},
): Promise<string> {
  const a = actor === 'system' ? { userId: 'system', name: '系统', role: 'system', unitId: null } : actor;
  seq++;
  const [row] = await stack.db.$queryRaw<Array<{ id: bigint }>>`
    INSERT INTO item_events (key, item_id, seq, action, from_status, to_status, actor_user_id, actor_name, actor_role,
                             actor_unit_id, at, payload, attachments)
    VALUES (${`item-${itemId}/test-${seq}`}, ${itemId}, ${seq}, ${action}, 'rectifying', 'rectifying', ${a.userId},
            ${a.name}, ${a.role}, ${a.unitId}, ${when}, ${JSON.stringify(payload)}::jsonb, '[]'::jsonb)
    RETURNING id`;
  return String(row!.id);
}

const ids: Record<string, string> = {};

beforeAll(async () => {
  stack = await startApiStack(taskQueue);
  // unit-a: an item open past its deadline (Mon 06-22) to the quarter's end: Tue 23 … Tue 30 June,
  // six working days × 0.5 = 3, traced to the red rung recorded after the deadline.
  await item('a1', 'unit-a', { deadline: '2026-06-22' });
  ids.a1Red = await event('a1', 'escalate', at('2026-06-26', '00:00'), 'system', {
    step: 'closure',
    epoch: 1,
    key: 'closure-red',
    action: 'red',
    deadline: '2026-06-22',
    targets: ['supervisor'],
    light: 'red',
  });
  // An earlier closure rung, before the deadline passed: not the one that marked it overdue.
  await event('a1', 'escalate', at('2026-06-19', '00:00'), 'system', {
    step: 'closure',
    epoch: 1,
    key: 'closure-remind',
    action: 'remind',
    deadline: '2026-06-22',
    targets: ['handler'],
    light: 'green',
  });
  // unit-a: closed late: deadline Fri 04-10, handed in Wed 04-15: Mon 13, Tue 14, Wed 15 → 1.5, traced to the item.
  await item('a2', 'unit-a', {
    status: 'closed',
    deadline: '2026-04-10',
    closing: { deadline: '2026-04-10', handedInOn: '2026-04-15', late: 3 },
  });
  // unit-b: a return at verification (2), a relapse at 回头看 (5), an urge ignored (1), an urge answered.
  await item('b1', 'unit-b');
  ids.b1Return = await event('b1', 'verifyReturn', at('2026-05-12'), p.verifier, { opinion: '材料不全' });
  await event('b1', 'verifyReturn', at('2026-03-30'), p.verifier, { opinion: '上季度的退回' });
  ids.b1Relapse = await event('b1', 'reinspect', at('2026-06-02'), p.verifier, {
    relapsed: true,
    dueDate: '2026-08-01',
  });
  await event('b1', 'reinspect', at('2026-06-03'), p.verifier, { relapsed: false });
  // Mon 05-18, grace to Thu 05-21, nothing from unit-b: ignored.
  ids.b1Ignored = await event('b1', 'urge', at('2026-05-18'), p.supervisor, { text: '请加快', unitIds: ['unit-b'] });
  // Mon 05-25, unit-b reports on Wed 05-27: answered.
  await event('b1', 'urge', at('2026-05-25'), p.supervisor, { text: '请反馈', unitIds: ['unit-b'] });
  await event('b1', 'reportProgress', at('2026-05-27'), p.leadB, { progress: '已整改一半' });
  // unit-x: a self-found item opened in the quarter (+1).
  await item('x1', 'unit-x', { selfFound: true, createdOn: '2026-04-08' });
  // 举一反三 from b1, answers due Wed 05-20: unit-a on time (+0.5), unit-c silent (3), unit-x late (3).
  await stack.db.$executeRaw`
    INSERT INTO fan_outs (id, origin_item_id, requirements, selection, answer_days, answer_due, item_due_days,
                          spot_check_share, ladder, unit_count, status, created_by, created_by_name, created_at)
    VALUES ('fo-1', 'b1', '排查同类问题', '{}'::jsonb, 5, '2026-05-20', 20, 0.2, '[]'::jsonb, 3, 'answering',
            'u-sup', '王督查', ${at('2026-05-13')})`;
  await stack.db.$executeRaw`
    INSERT INTO fan_out_units (fan_out_id, unit_id, asked_at, answer, reason, answered_by, answered_by_name, answered_at)
    VALUES ('fo-1', 'unit-a', ${at('2026-05-13')}, 'absent', '已排查', 'u-a', '张经办', ${at('2026-05-19')}),
           ('fo-1', 'unit-c', ${at('2026-05-13')}, NULL, NULL, NULL, NULL, NULL),
           ('fo-1', 'unit-x', ${at('2026-05-13')}, 'absent', '已排查', 'u-x', '孙经办', ${at('2026-05-22')})`;
  // unit-x's 不存在 overturned at spot-check on Thu 05-28 (5 under version 2, the defaults in force).
  await stack.db.$executeRaw`
    UPDATE fan_out_units SET sampled = true, spot_check = 'overturned', spot_check_note = '现场发现同类问题',
           spot_check_by = 'u-sup', spot_check_at = ${at('2026-05-28')}
     WHERE fan_out_id = 'fo-1' AND unit_id = 'unit-x'`;
}, 60_000);

afterAll(() => stack?.close());

const get = async (url: string, actor: Actor = p.supervisor) =>
  stack.app.inject({ method: 'GET', url, headers: bearer(actor) });
const post = async (url: string, payload: unknown, actor: Actor = p.supervisor, key?: string) =>
  stack.app.inject({
    method: 'POST',
    url,
    payload: payload as object,
    headers: { ...bearer(actor), ...(key ? { 'idempotency-key': key } : {}) },
  });

async function compute(): Promise<string> {
  const r = await post('/api/index/runs', { period: PERIOD });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().id;
}
const bureaus = async (runId: string, actor: Actor = p.supervisor) => {
  const r = await get(`/api/index/runs/${runId}/ranking?scope=unit`, actor);
  expect(r.statusCode, r.body).toBe(200);
  return r.json().groups.find((g: { group: string }) => g.group === 'kindWithinParent:city:bureau').rows as Array<{
    unitId: string;
    score: number;
    rank: number;
  }>;
};

let first = '';
describe('the 管控力指数 of a quarter', () => {
  it('equals the index computed by hand, every deduction traced to its event', async () => {
    first = await compute();
    const rows = await bureaus(first);
    // Version 2 ranks the city's bureaus apart from the district's (district-a), the 督查室 not at all.
    expect(rows.map((r) => [r.unitId, r.score, r.rank])).toEqual([
      ['unit-c', 97, 1],
      ['unit-a', 96, 2],
      ['unit-x', 93, 3],
      ['unit-b', 92, 4],
    ]);
    const a = (await get(`/api/index/runs/${first}/units/unit-a`)).json();
    expect(a).toMatchObject({ score: 96, base: 100, deducted: 4.5, added: 0.5, rank: 2 });
    expect(
      a.reasons.map((r: Record<string, unknown>) => [r.ruleKey, r.points, r.itemId, r.eventId, r.fanOutId]),
    ).toEqual([
      ['overdueWorkingDay', -1.5, 'a2', null, null],
      ['overdueWorkingDay', -3, 'a1', ids.a1Red, null],
      ['fanOutCoverage', 0.5, 'b1', null, 'fo-1'],
    ]);
    const b = (await get(`/api/index/runs/${first}/units/unit-b`)).json();
    expect(b.reasons.map((r: Record<string, unknown>) => [r.ruleKey, r.points, r.eventId, r.eventAction])).toEqual([
      ['returnAtVerification', -2, ids.b1Return, 'verifyReturn'],
      ['relapse', -5, ids.b1Relapse, 'reinspect'],
      ['ignoredUrge', -1, ids.b1Ignored, 'urge'],
    ]);
    // unit-x: late (3) and overturned (5), both traced to its 举一反三 row; self-found (+1).
    const x = (await get(`/api/index/runs/${first}/units/unit-x`)).json();
    expect(x.reasons.map((r: Record<string, unknown>) => [r.ruleKey, r.points, r.fanOutId ?? r.itemId])).toEqual([
      ['fanOutUnanswered', -3, 'fo-1'],
      ['fanOutOverturned', -5, 'fo-1'],
      ['selfFound', 1, 'x1'],
    ]);
    const ranking = (await get(`/api/index/runs/${first}/ranking`)).json();
    // Each kind labelled in Chinese, under its parent's name (某区人民政府 → 某区).
    expect(Object.fromEntries(ranking.groups.map((g: { group: string; label: string }) => [g.group, g.label]))).toEqual(
      {
        'kindWithinParent::city': '顶层单位 · 市级单位',
        'kindWithinParent:city:bureau': '市 · 政府部门',
        'kindWithinParent:city:district': '市 · 区（县、市）',
        'kindWithinParent:district:bureau': '某区 · 政府部门',
        'kindWithinParent:district:township': '某区 · 乡镇（街道）',
      },
    );
    expect(JSON.stringify(ranking)).not.toContain('"dcs"');
    // Every deduction names the event, or the item, or the 举一反三 row that caused it.
    for (const unitId of ['unit-a', 'unit-b', 'unit-c', 'unit-x']) {
      const u = (await get(`/api/index/runs/${first}/units/${unitId}`)).json();
      for (const r of u.reasons) expect(r.eventId ?? r.itemId ?? r.fanOutId).not.toBeNull();
    }
    // A region is the mean of its subtree: the district and its two units had nothing deducted.
    const regions = (await get(`/api/index/runs/${first}/ranking?scope=region`)).json();
    const district = regions.groups
      .flatMap((g: { rows: unknown[] }) => g.rows)
      .find((r: { unitId: string }) => r.unitId === 'district');
    expect(district.score).toBe(100);
  });

  it('shows a unit its own reasons and its peer group, never another unit’s reasons; drafts to the publisher only', async () => {
    expect((await get('/api/index/runs', p.leadA)).json().runs).toEqual([]);
    expect((await get(`/api/index/runs/${first}/ranking`, p.leadA)).statusCode).toBe(404);
    // A district supervisor may not publish a ranking of the whole tree.
    expect((await post(`/api/index/runs/${first}/publish`, {}, p.districtSupervisor)).statusCode).toBe(403);
    const pub = await post(`/api/index/runs/${first}/publish`, {});
    expect(pub.statusCode, pub.body).toBe(200);
    expect(pub.json()).toMatchObject({ status: 'published', ruleVersion: 2, supersededBy: null });
    expect((await post(`/api/index/runs/${first}/publish`, {})).statusCode).toBe(409);
    const groups = (await get(`/api/index/runs/${first}/ranking`, p.leadA)).json().groups;
    expect(groups.map((g: { group: string }) => g.group)).toEqual(['kindWithinParent:city:bureau']);
    expect((await get(`/api/index/runs/${first}/units/unit-a`, p.leadA)).statusCode).toBe(200);
    expect((await get(`/api/index/runs/${first}/units/unit-b`, p.leadA)).statusCode).toBe(404);
    // The district's supervisor sees the district's units only.
    const seen = (await get(`/api/index/runs/${first}/ranking`, p.districtSupervisor))
      .json()
      .groups.flatMap((g: { rows: Array<{ unitId: string }> }) => g.rows.map((r) => r.unitId));
    expect(seen.sort()).toEqual(['district', 'district-a', 'district-t']);
  });

  it('keeps each rule version with who and when, and a new version leaves the published ranking unchanged', async () => {
    const stricter = {
      ...DEFAULT_INDEX_RULES,
      deductions: { ...DEFAULT_INDEX_RULES.deductions, returnAtVerification: { points: 10 } },
    };
    expect(
      (await post('/api/index/rules', { rules: stricter, note: '加重核查退回' }, p.districtSupervisor)).statusCode,
    ).toBe(403);
    const v = await post('/api/index/rules', { rules: stricter, note: '加重核查退回' }, p.supervisor, 'rules-v2');
    expect(v.statusCode, v.body).toBe(201);
    expect(v.json()).toMatchObject({ version: 3, createdByName: p.supervisor.name, note: '加重核查退回' });
    const rules = (await get('/api/index/rules', p.leadA)).json();
    expect(rules.versions.map((x: { version: number }) => x.version)).toEqual([3, 2, 1]);
    expect(rules.current.rules.deductions.returnAtVerification.points).toBe(10);
    // The published ranking stands as it was computed, under version 2 (the migration's defaults).
    expect((await bureaus(first)).find((r) => r.unitId === 'unit-b')!.score).toBe(92);
    const second = await compute();
    expect((await get(`/api/index/runs/${second}/units/unit-b`)).json()).toMatchObject({
      score: 84,
      run: { ruleVersion: 3, status: 'computed' },
    });
    expect((await bureaus(first)).find((r) => r.unitId === 'unit-b')!.score).toBe(92);
    // Back to the default for the appeal below.
    expect((await post('/api/index/rules', { rules: DEFAULT_INDEX_RULES, note: '恢复默认' })).statusCode).toBe(201);
  });

  it('lets a unit appeal a deduction; an upheld one is waived in the next run, whose publication supersedes the first', async () => {
    const a = (await get(`/api/index/runs/${first}/units/unit-a`, p.leadA)).json();
    const late = a.reasons.find((r: { itemId: string }) => r.itemId === 'a2');
    const bonus = a.reasons.find((r: { ruleKey: string }) => r.ruleKey === 'fanOutCoverage');
    const b = (await get(`/api/index/runs/${first}/units/unit-b`)).json();
    expect(
      (await post(`/api/index/runs/${first}/appeals`, { reasonId: b.reasons[0].id, text: '不是我们' }, p.leadA))
        .statusCode,
    ).toBe(404);
    expect(
      (await post(`/api/index/runs/${first}/appeals`, { reasonId: bonus.id, text: '加分' }, p.leadA)).statusCode,
    ).toBe(400);
    const appeal = await post(
      `/api/index/runs/${first}/appeals`,
      { reasonId: late.id, text: '已按期报送，系统延迟' },
      p.leadA,
      'appeal-1',
    );
    expect(appeal.statusCode, appeal.body).toBe(201);
    expect(appeal.json()).toMatchObject({ status: 'pending', unitId: 'unit-a', period: PERIOD });
    // The same key answers the same appeal; a second appeal of the same reason waits for the first.
    expect(
      (
        await post(
          `/api/index/runs/${first}/appeals`,
          { reasonId: late.id, text: '已按期报送，系统延迟' },
          p.leadA,
          'appeal-1',
        )
      ).json().id,
    ).toBe(appeal.json().id);
    expect(
      (await post(`/api/index/runs/${first}/appeals`, { reasonId: late.id, text: '再次申诉' }, p.leadA)).statusCode,
    ).toBe(409);
    const id = appeal.json().id;
    const listed = (await get(`/api/index/runs/${first}/appeals`)).json().appeals;
    expect(listed.map((x: Record<string, unknown>) => [x.id, x.unitName, x.ruleKey, x.points])).toEqual([
      [id, '市民政局', 'overdueWorkingDay', -1.5],
    ]);
    expect((await get(`/api/index/runs/${first}/appeals`, p.districtSupervisor)).json().appeals).toEqual([]);
    expect(
      (await post(`/api/index/appeals/${id}/decision`, { decision: 'upheld', note: '核实' }, p.districtSupervisor))
        .statusCode,
    ).toBe(404);
    const decided = await post(`/api/index/appeals/${id}/decision`, { decision: 'upheld', note: '经核实，按期报送' });
    expect(decided.statusCode, decided.body).toBe(200);
    expect(decided.json()).toMatchObject({ status: 'upheld', decidedByName: p.supervisor.name });
    expect((await post(`/api/index/appeals/${id}/decision`, { decision: 'dismissed', note: '改判' })).statusCode).toBe(
      409,
    );

    const third = await compute();
    const waived = (await get(`/api/index/runs/${third}/units/unit-a`)).json();
    expect(waived.score).toBe(97.5);
    expect(waived.reasons.find((r: { itemId: string }) => r.itemId === 'a2')).toMatchObject({
      points: 0,
      waived: true,
    });
    expect((await post(`/api/index/runs/${third}/publish`, {})).statusCode).toBe(200);
    const runs = (await get('/api/index/runs', p.leadA)).json().runs;
    // The superseded run says so in its status; clients need not look at supersededBy.
    expect(
      runs.map((r: { id: string; status: string; supersededBy: string | null }) => [r.id, r.status, r.supersededBy]),
    ).toEqual([
      [third, 'published', null],
      [first, 'superseded', third],
    ]);
    expect((await get(`/api/index/runs/${first}/units/unit-a`, p.leadA)).json().run.status).toBe('superseded');
    // The first stays on record as it was published.
    expect((await get(`/api/index/runs/${first}/units/unit-a`)).json().score).toBe(96);
  });

  it('tries candidate rules on the quarter beside the published ranking, and writes nothing', async () => {
    const fingerprint = async () =>
      JSON.stringify(
        await stack.db
          .$queryRaw`SELECT (SELECT count(*) FROM index_runs)::int AS runs, (SELECT count(*) FROM index_scores)::int AS scores,
          (SELECT count(*) FROM index_reasons)::int AS reasons, (SELECT count(*) FROM index_appeals)::int AS appeals,
          (SELECT count(*) FROM index_rule_versions)::int AS versions, (SELECT count(*) FROM items)::int AS items,
          (SELECT count(*) FROM item_events)::int AS events`,
      );
    const before = await fingerprint();
    const candidate = {
      ...DEFAULT_INDEX_RULES,
      deductions: { ...DEFAULT_INDEX_RULES.deductions, relapse: { points: 20 } },
    };
    const r = await post('/api/backtests/index', { rules: candidate, period: PERIOD });
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json();
    expect(body.published).not.toBeNull();
    expect(body.changes).toEqual([
      { unitId: 'unit-b', unitName: '市财政局', scoreBefore: 92, scoreAfter: 77, rankBefore: 4, rankAfter: 4 },
    ]);
    expect((await post('/api/backtests/index', { rules: candidate, period: PERIOD }, p.leadA)).statusCode).toBe(403);
    expect((await post('/api/backtests/index', { rules: { ...candidate, base: -1 }, period: PERIOD })).statusCode).toBe(
      400,
    );
    const future = await post('/api/backtests/index', { rules: candidate, period: '2099-Q1' });
    expect(future.statusCode).toBe(400);
    expect(future.json().fields[0].field).toBe('body.period');
    expect(await fingerprint()).toBe(before);
  });

  it('is computed by the quarterly workflow as the Schedule starts it, once per firing', async () => {
    const workflowId = `control-index-run-test-${Date.now()}`;
    const result = await stack.t.client.workflow.execute(controlIndexWorkflow, {
      taskQueue,
      workflowId,
      args: [{ period: PERIOD }],
    });
    // Every unit but the 督查室 (dcs), which is not ranked.
    expect(result).toMatchObject({ period: PERIOD, unitCount: 8 });
    const runs = (await get('/api/index/runs')).json().runs;
    expect(runs.find((r: { id: string }) => r.id === result.runId)).toMatchObject({
      trigger: 'schedule',
      status: 'computed',
      period: PERIOD,
    });
    // The Schedule that starts it: the first day of each quarter, 06:00 in Shanghai.
    await ensureControlIndexSchedule(stack.t.client, taskQueue);
    await ensureControlIndexSchedule(stack.t.client, taskQueue);
    const handle = stack.t.client.schedule.getHandle(CONTROL_INDEX_SCHEDULE_ID);
    try {
      const d = await handle.describe();
      expect(d.action).toMatchObject({ workflowType: 'controlIndexWorkflow', taskQueue });
      for (const next of d.info.nextActionTimes.slice(0, 3)) {
        const shanghai = new Date(next.getTime() + 8 * 3600_000).toISOString();
        expect(shanghai.slice(8, 16)).toBe('01T06:00');
        expect([0, 3, 6, 9]).toContain(new Date(next.getTime() + 8 * 3600_000).getUTCMonth());
      }
    } finally {
      await handle.delete();
    }
    // A retried activity of the same firing finds its run and writes nothing more.
    const again = await createControlIndexActivities(stack.db).computeControlIndex({ workflowId, period: PERIOD });
    expect(again).toMatchObject({ id: result.runId, created: false });
    const [count] = await stack.db.$queryRaw<Array<{ n: number }>>`
      SELECT count(*)::int AS n FROM index_scores WHERE run_id = ${result.runId} AND scope = 'unit'`;
    expect(count!.n).toBe(8);
    const bad = await post('/api/index/runs', { period: '2026-13' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().fields[0].field).toContain('period');
  });
});

describe('the 管控力指数 under attack (issue 21 outside try)', () => {
  const OTHER = '2025-Q4';
  const computeOf = async (period: string) => {
    const r = await post('/api/index/runs', { period });
    expect(r.statusCode, r.body).toBe(201);
    return r.json().id as string;
  };
  const runsOf = async (period: string) =>
    stack.db.$queryRaw<Array<{ id: string; status: string; superseded_by: string | null }>>`
      SELECT id, status, superseded_by FROM index_runs WHERE period = ${period} ORDER BY id`;

  it('refuses quarters outside 2000–2099 with a 400 naming body.period, never a 500', async () => {
    for (const period of ['0000-Q1', '0001-Q1', '0050-Q1', '0099-Q4', '0100-Q1', '1000-Q1', '1900-Q1', '2100-Q1']) {
      for (const [url, body] of [
        ['/api/index/runs', { period }],
        ['/api/backtests/index', { rules: DEFAULT_INDEX_RULES, period }],
      ] as const) {
        const r = await post(url, body);
        expect(r.statusCode, `${url} ${period} ${r.body}`).toBe(400);
        expect(r.json().fields).toEqual([
          { field: 'body.period', reason: expect.stringContaining('2000 年至 2099 年') as unknown },
        ]);
      }
    }
    const [n] = await stack.db.$queryRaw<Array<{ n: number }>>`
      SELECT count(*)::int AS n FROM index_runs WHERE period < '2000' OR period >= '2100'`;
    expect(n!.n).toBe(0);
  });

  it('publishes with an empty body only', async () => {
    const run = await computeOf(OTHER);
    const forced = await post(`/api/index/runs/${run}/publish`, { force: true });
    expect(forced.statusCode, forced.body).toBe(400);
    expect((await runsOf(OTHER)).find((r) => r.id === run)?.status).toBe('computed');
    // No body at all is an empty one.
    const bare = await stack.app.inject({
      method: 'POST',
      url: `/api/index/runs/${run}/publish`,
      headers: bearer(p.supervisor),
    });
    expect(bare.statusCode, bare.body).toBe(200);
    expect(bare.json()).toMatchObject({ status: 'published', supersededBy: null });
  });

  it('answers 409 to a publish while another of the quarter is under way, and writes nothing', async () => {
    const run = await computeOf(OTHER);
    const before = await runsOf(OTHER);
    // Another publish of the quarter holds the period's lock: this one is refused, not queued.
    await stack.db.$transaction(async (tx) => {
      expect(await tryLockPeriodPublish(tx, OTHER)).toBe(true);
      const r = await post(`/api/index/runs/${run}/publish`, {});
      expect(r.statusCode, r.body).toBe(409);
      expect(r.json()).toMatchObject({ error: 'conflict', reason: 'publish_in_progress' });
      expect(r.json().message).toMatch(/正在发布/);
    });
    expect(await runsOf(OTHER)).toEqual(before);
  });

  it('publishes runs of one quarter sent at once as 200s and 409s, one run in force, nothing half-written', async () => {
    const ids = [await computeOf(OTHER), await computeOf(OTHER), await computeOf(OTHER), await computeOf(OTHER)];
    const answers = await Promise.all(ids.map((id) => post(`/api/index/runs/${id}/publish`, {})));
    for (const a of answers) expect([200, 409], a.body).toContain(a.statusCode);
    const won = ids.filter((_, i) => answers[i]!.statusCode === 200);
    expect(won.length).toBeGreaterThan(0);
    const rows = await runsOf(OTHER);
    const inForce = rows.filter((r) => r.status === 'published' && r.superseded_by === null);
    expect(inForce).toHaveLength(1);
    // Each 409 left its run computed; each 200 published it (in force, or superseded by a later one).
    for (const [i, id] of ids.entries()) {
      const row = rows.find((r) => r.id === id)!;
      expect(row.status, id).toBe(answers[i]!.statusCode === 200 ? 'published' : 'computed');
    }
    const views = (await get('/api/index/runs')).json().runs.filter((r: { period: string }) => r.period === OTHER);
    expect(views.filter((r: { status: string }) => r.status === 'published')).toHaveLength(1);
    expect(
      views
        .filter((r: { status: string }) => r.status === 'superseded')
        .map((r: { id: string }) => r.id)
        .sort(),
    ).toEqual(
      rows
        .filter((r) => r.superseded_by !== null)
        .map((r) => r.id)
        .sort(),
    );
  });
});
