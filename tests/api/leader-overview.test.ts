/**
 * The leader's overview of his area (GET /api/dashboard): the red items most overdue, the 通报问责
 * proposals waiting for his decision, and the latest published 晾晒 of each plan he sees, each
 * within his jurisdiction. Real Temporal, PostgreSQL and the API; every answer held to the
 * OpenAPI document.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../domain/actors';
import { shanghaiDate, shiftWorkingDays } from '../../domain/calendar';
import type { CycleReport } from '../../domain/monitoring';
import { currentCalendar } from '../../lib/calendar-store';
import { itemWorkflowId } from '../../workflows/ids';
import { itemQuery } from '../../workflows/messages';
import { districtLeader, leadA, leader, supervisor } from '../support/actors';
import { bearer, startApiStack, type ApiStack } from '../support/api';
import { DUE } from '../support/dates';
import { open } from '../support/items';
import { uniqueTaskQueue } from '../support/stack';

let stack: ApiStack;
const taskQueue = uniqueTaskQueue('leader-overview');

interface CycleUnit {
  unitId: string;
  unitName: string;
  group: string;
  rank: number;
  score: number;
}
interface Overview {
  redItems: Array<{
    id: string;
    title: string;
    status: string;
    leadUnitId: string;
    leadUnitName: string;
    deadline: string;
    overdueWorkingDays: number;
  }>;
  accountabilityPending: number | null;
  cycles: Array<{
    cycleId: string;
    planId: string;
    planTitle: string;
    period: string;
    units: number;
    lights: { green: number; yellow: number; red: number };
    ranked: number;
    top: CycleUnit[];
    bottom: CycleUnit[];
  }>;
  byLight: Array<{ light: string; count: number }>;
}

const call = (method: 'GET' | 'POST', url: string, actor: Actor, payload?: unknown) =>
  stack.app.inject({
    method,
    url,
    headers: { ...bearer(actor), ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });
const overview = async (actor: Actor): Promise<Overview> => {
  const res = await call('GET', '/api/dashboard', actor);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
};

/** An item already twelve working days past its deadline, opened on its workflow: red, and 通报问责 proposed. */
async function longOverdue(title: string, leadUnitId: string): Promise<{ id: string; deadline: string }> {
  const cal = await currentCalendar(stack.db);
  const dueDate = shiftWorkingDays(cal, shanghaiDate(Date.now()), -12).date;
  const item = await open(stack.t.client, taskQueue, { title, leadUnitId, dueDate });
  const handle = stack.t.client.workflow.getHandle(itemWorkflowId(item.id));
  const end = Date.now() + 20_000;
  while (!(await handle.query(itemQuery)).deadlines!.fired.some((f) => f.action === 'accountability')) {
    if (Date.now() > end) throw new Error('no accountability rung fired');
    await new Promise((r) => setTimeout(r, 100));
  }
  await handle.executeUpdate('recorded', { args: [] });
  return { id: item.id, deadline: dueDate };
}

// A plan's published report, as the cycle workflow stores it: only what the overview reads matters.
const standing = (
  unitId: string,
  group: string,
  rank: number | null,
  score: number | null,
  lights: [number, number, number],
) => ({
  unitId,
  group,
  indicators: lights[0] + lights[1] + lights[2],
  reported: rank === null ? 0 : lights[0] + lights[1] + lights[2],
  score,
  rank,
  ranked: rank !== null,
  ...(rank === null ? { reason: '报送指标 0/2，不足 60%，不参与排名' } : {}),
  lights: { green: lights[0], yellow: lights[1], red: lights[2] },
  byCategory: {},
  toRise: null,
});

async function seedPlan(
  id: string,
  title: string,
  cycles: Array<{ period: string; standings: unknown[]; at: Date | null }>,
) {
  const owners = [...new Set(cycles.flatMap((c) => (c.standings as Array<{ unitId: string }>).map((s) => s.unitId)))];
  await stack.db.plan.create({
    data: { id, year: 2026, title, source: '测试', rules: {}, tasks: [], createdBy: supervisor.userId },
  });
  await stack.db.indicator.createMany({
    data: owners.map((ownerUnitId, i) => ({
      planId: id,
      code: `${id}-${i}`,
      name: `指标${i}`,
      ownerUnitId,
      measure: '%',
      baseline: 0,
      target: 100,
      direction: 'higher',
      weight: 1,
      category: '民生',
      source: 'report',
      invented: true,
    })),
  });
  for (const c of cycles) {
    const cycleId = `${id}-${c.period}`;
    const report = {
      cycleId,
      planId: id,
      period: c.period,
      elapsed: 0.8,
      publishedAt: (c.at ?? new Date()).toISOString(),
      indicators: [],
      notApplicable: [],
      standings: c.standings,
      requests: [],
      reds: [],
    } as unknown as CycleReport;
    await stack.db.cycle.create({
      data: {
        id: cycleId,
        planId: id,
        period: c.period,
        openedAt: new Date(),
        dueDate: DUE,
        status: c.at ? 'published' : 'collecting',
        publishedAt: c.at,
        report: c.at ? (report as never) : undefined,
      },
    });
  }
}

let cityRed: { id: string; deadline: string };
let districtRed: { id: string; deadline: string };

beforeAll(async () => {
  stack = await startApiStack(taskQueue);
  [cityRed, districtRed] = await Promise.all([
    longOverdue('市民政局长期逾期事项', 'unit-a'),
    longOverdue('区民政局长期逾期事项', 'district-a'),
  ]);
  // An item on time: neither red nor waiting for a decision.
  const green = await call('POST', '/api/items', supervisor, {
    title: '按期办理事项',
    leadUnitId: 'unit-a',
    dueDate: DUE,
  });
  expect(green.statusCode, green.body).toBe(201);

  // A plan of city bureaus and district units: an older 晾晒, the latest one, and a cycle still collecting.
  const latest = [
    standing('unit-a', 'bureau', 1, 1.2, [2, 0, 0]),
    standing('unit-b', 'bureau', 2, 0.9, [1, 1, 0]),
    standing('unit-c', 'bureau', null, null, [0, 0, 2]),
    standing('district-a', 'district', 1, 1.05, [1, 0, 1]),
    standing('district-t', 'township', 1, 0.5, [0, 1, 1]),
  ];
  await seedPlan('ov-mixed', '市区共担监测计划', [
    {
      period: '2026-09',
      standings: [standing('unit-a', 'bureau', 1, 0.7, [0, 0, 3])],
      at: new Date(Date.now() - 86_400_000 * 30),
    },
    { period: '2026-10', standings: latest, at: new Date(Date.now() - 86_400_000) },
    { period: '2026-11', standings: [], at: null },
  ]);
  // A plan of city bureaus only, published later: listed first; the district's leader does not see it.
  await seedPlan('ov-city', '市级部门监测计划', [
    { period: '2026-Q3', standings: [standing('unit-b', 'bureau', 1, 1.1, [3, 0, 0])], at: new Date() },
  ]);
}, 120_000);

afterAll(() => stack?.close());

describe('the leader’s overview', () => {
  it('names the red items most overdue first, with lead unit and working days overdue, within his jurisdiction', async () => {
    const mine = await overview(leader);
    expect(mine.redItems.map((r) => r.id).sort()).toEqual([cityRed.id, districtRed.id].sort());
    // Working days overdue as the list counts them (the day the deadline falls on not counted).
    const listed = (await call('GET', '/api/items?light=red&sort=-overdueDays', leader)).json().items;
    const days = listed.find((i: { id: string }) => i.id === cityRed.id).overdueWorkingDays;
    expect(days).toBeGreaterThanOrEqual(11);
    expect(mine.redItems.find((r) => r.id === cityRed.id)).toEqual({
      id: cityRed.id,
      title: '市民政局长期逾期事项',
      status: 'assigned',
      statusLabel: '待签收',
      leadUnitId: 'unit-a',
      leadUnitName: '市民政局',
      deadline: cityRed.deadline,
      overdueWorkingDays: days,
    });
    // The list's first page goes on from the overview's ten.
    expect(listed.slice(0, mine.redItems.length).map((i: { id: string }) => i.id)).toEqual(
      mine.redItems.map((r) => r.id),
    );
    // As many as the red count says, none of them the item on time.
    expect(mine.byLight.find((l) => l.light === 'red')?.count).toBe(2);

    const district = await overview(districtLeader);
    expect(district.redItems.map((r) => r.id)).toEqual([districtRed.id]);
    expect(district.redItems[0]).toMatchObject({ leadUnitName: '某区民政局', overdueWorkingDays: days });
    expect((await overview(leadA)).redItems.map((r) => r.id)).toEqual([cityRed.id]);
  });

  it('counts the 通报问责 proposals waiting for his decision, as his 待办 lists them', async () => {
    const inbox = async (actor: Actor) =>
      (await call('GET', '/api/inbox', actor))
        .json()
        .entries.filter((e: { owes: string[] }) => e.owes.includes('decideAccountability')).length;
    expect((await overview(leader)).accountabilityPending).toBe(2);
    expect(await inbox(leader)).toBe(2);
    expect((await overview(districtLeader)).accountabilityPending).toBe(1);
    expect(await inbox(districtLeader)).toBe(1);
    // Not a supervisor's or a unit's to decide: no figure at all.
    expect((await overview(supervisor)).accountabilityPending).toBeNull();
    expect((await overview(leadA)).accountabilityPending).toBeNull();

    const decided = await call('POST', `/api/items/${districtRed.id}/decideAccountability`, leader, {
      approved: false,
      reason: '已约谈，暂不通报',
    });
    expect(decided.statusCode, decided.body).toBe(200);
    expect((await overview(leader)).accountabilityPending).toBe(1);
    expect(await inbox(leader)).toBe(1);
    expect((await overview(districtLeader)).accountabilityPending).toBe(0);
    // Decided is not done: the item stays red and overdue.
    expect((await overview(districtLeader)).redItems.map((r) => r.id)).toEqual([districtRed.id]);
  });

  it('shows the latest published 晾晒 of each plan: lights summed, best and worst units, only his units', async () => {
    const mine = await overview(leader);
    expect(mine.cycles.map((c) => c.cycleId)).toEqual(['ov-city-2026-Q3', 'ov-mixed-2026-10']);
    const mixed = mine.cycles[1]!;
    expect(mixed).toMatchObject({
      planId: 'ov-mixed',
      planTitle: '市区共担监测计划',
      period: '2026-10',
      units: 5,
      lights: { green: 4, yellow: 2, red: 4 },
      ranked: 4,
    });
    // By score across the groups, each with the rank it has in its own group; nobody at both ends.
    expect(mixed.top).toEqual([
      { unitId: 'unit-a', unitName: '市民政局', group: 'bureau', rank: 1, score: 1.2 },
      { unitId: 'district-a', unitName: '某区民政局', group: 'district', rank: 1, score: 1.05 },
    ]);
    expect(mixed.bottom.map((u) => [u.unitId, u.rank])).toEqual([
      ['unit-b', 2],
      ['district-t', 1],
    ]);
    expect(mine.cycles[0]).toMatchObject({ units: 1, ranked: 1, top: [{ unitId: 'unit-b' }], bottom: [] });

    // The district's leader: the mixed plan only, his two units, their ranks as published.
    const district = await overview(districtLeader);
    expect(district.cycles).toHaveLength(1);
    expect(district.cycles[0]).toMatchObject({
      cycleId: 'ov-mixed-2026-10',
      units: 2,
      lights: { green: 1, yellow: 1, red: 2 },
      ranked: 2,
      top: [{ unitId: 'district-a', rank: 1 }],
      bottom: [{ unitId: 'district-t', rank: 1 }],
    });
    // A unit sees its own standing only.
    const unit = await overview(leadA);
    expect(unit.cycles.map((c) => [c.cycleId, c.units, c.lights.green])).toEqual([['ov-mixed-2026-10', 1, 2]]);
  });
});
