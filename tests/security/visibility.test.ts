/**
 * One visibility rule for every resource (api/visibility.ts): a district's supervisor sees and
 * manages plans, cycles, problem lists and undelivered notices of his district only; what he
 * may not see answers like an unknown id; the system administrator handles delivery problems
 * without reading what the notices say.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CycleReport } from '../../domain/monitoring';
import type { Actor } from '../../domain/actors';
import { cycleSubject, itemSubject, subjectColumns, type Subject } from '../../domain/subject';
import { planScheduleId } from '../../workflows/client/schedules';
import * as p from '../support/actors';
import { bearer, startApiStack, type ApiStack } from '../support/api';
import { DUE } from '../support/dates';
import { multipart, pdf } from '../support/files';
import { uniqueTaskQueue } from '../support/stack';
import { waitFor } from '../support/wait';

let stack: ApiStack;
const PLANS = ['vis-city', 'vis-district', 'vis-mixed'];
beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('visibility'));
}, 60_000);
afterAll(async () => {
  for (const id of PLANS)
    await stack?.t.client.schedule
      .getHandle(planScheduleId(id))
      .delete()
      .catch(() => {});
  await stack?.close();
});

const ds = p.districtSupervisor;
const call = (method: 'GET' | 'POST' | 'PUT', url: string, actor: Actor, payload?: unknown) =>
  stack.app.inject({
    method,
    url,
    headers: { ...bearer(actor), ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
  });
const get = (url: string, actor: Actor) => call('GET', url, actor);

/** A refusal that says no more than an unknown id would. */
async function expectLikeUnknown(
  res: { statusCode: number; json: () => { error: string; message: string } },
  unknownUrl: string,
  actor: Actor,
  method: 'GET' | 'POST' | 'PUT' = 'GET',
  payload?: unknown,
) {
  const unknown = await call(method, unknownUrl, actor, payload);
  expect(unknown.statusCode).toBe(404);
  expect(res.statusCode).toBe(404);
  expect(res.json()).toEqual(unknown.json());
}

const indicator = (code: string, ownerUnitId: string) => ({
  code,
  name: `指标${code}`,
  ownerUnitId,
  baseline: 0,
  target: 100,
});

describe('plans, schedules and cycles', () => {
  beforeAll(async () => {
    const city = await call('POST', '/api/plans', p.supervisor, {
      id: 'vis-city',
      year: 2026,
      title: '市级计划',
      tasks: [{ no: 1, title: '市任务', leadUnitId: 'unit-a' }],
      indicators: [indicator('VC1', 'unit-a')],
    });
    expect(city.statusCode, city.body).toBe(201);
    const mixed = await call('POST', '/api/plans', p.supervisor, {
      id: 'vis-mixed',
      year: 2026,
      title: '市区共担计划',
      tasks: [
        { no: 1, title: '市民政任务', leadUnitId: 'unit-a' },
        { no: 2, title: '区民政任务', leadUnitId: 'district-a', coUnitIds: ['unit-c'] },
      ],
      indicators: [indicator('VM1', 'unit-a'), indicator('VM2', 'district-a')],
    });
    expect(mixed.statusCode, mixed.body).toBe(201);
    await stack.db.cycle.create({
      data: {
        id: 'vis-city-2026-10',
        planId: 'vis-city',
        period: '2026-10',
        openedAt: new Date(),
        dueDate: DUE,
        status: 'collecting',
      },
    });
    // A published cycle of the shared plan, both units ranked, unit-a first.
    const lights = { green: 0, yellow: 0, red: 0 };
    const standing = (unitId: string, rank: number, red: number) => ({
      unitId,
      group: 'bureau',
      indicators: 1,
      reported: 1,
      score: 1 / rank,
      rank,
      ranked: true,
      lights: { ...lights, green: 1 - red, red },
      byCategory: {},
      toRise: null,
    });
    const result = (code: string, ownerUnitId: string, value: number, light: string) => ({
      code,
      name: `指标${code}`,
      ownerUnitId,
      category: '民生',
      weight: 1,
      value,
      progress: value / 100,
      pace: value / 80,
      light,
      missing: false,
    });
    const report: CycleReport = {
      cycleId: 'vis-mixed-2026-10',
      planId: 'vis-mixed',
      period: '2026-10',
      elapsed: 0.83,
      publishedAt: new Date().toISOString(),
      indicators: [
        result('VM1', 'unit-a', 95, 'green'),
        result('VM2', 'district-a', 10, 'red'),
      ] as CycleReport['indicators'],
      notApplicable: [],
      standings: [standing('unit-a', 1, 0), standing('district-a', 2, 1)] as CycleReport['standings'],
      requests: [
        { unitId: 'unit-a', asked: 1, chased: 0, completedAt: new Date().toISOString() },
        { unitId: 'district-a', asked: 1, chased: 2, completedAt: new Date().toISOString() },
      ],
      reds: [{ code: 'VM2', ownerUnitId: 'district-a', itemId: 'M-vis-mixed-2026-10-VM2' }],
    };
    await stack.db.cycle.create({
      data: {
        id: 'vis-mixed-2026-10',
        planId: 'vis-mixed',
        period: '2026-10',
        openedAt: new Date(),
        dueDate: '2026-11-04',
        status: 'published',
        publishedAt: new Date(),
        report: report as never,
      },
    });
    for (const [code, unitId, value] of [
      ['VM1', 'unit-a', 95],
      ['VM2', 'district-a', 10],
    ] as const) {
      await stack.db.indicatorValue.create({
        data: {
          planId: 'vis-mixed',
          code,
          period: '2026-10',
          value,
          note: '',
          attachments: [],
          source: 'report',
          submittedBy: 'test',
          submittedAt: new Date(),
        },
      });
      await stack.db.reportingRequest.create({
        data: {
          cycleId: 'vis-mixed-2026-10',
          unitId,
          indicators: [code],
          requestedAt: new Date(),
          completedAt: new Date(),
        },
      });
    }
  }, 60_000);

  it("a district supervisor can neither see nor manage another district's plan: 404 as for an unknown id", async () => {
    const before = await stack.db.plan.findUniqueOrThrow({ where: { id: 'vis-city' } });
    const ids = (await get('/api/plans', ds)).json().plans.map((x: { id: string }) => x.id);
    expect(ids).not.toContain('vis-city');
    await expectLikeUnknown(await get('/api/plans/vis-city', ds), '/api/plans/no-such-plan', ds);
    await expectLikeUnknown(await get('/api/plans/vis-city/cycles', ds), '/api/plans/no-such-plan/cycles', ds);
    await expectLikeUnknown(
      await call('PUT', '/api/plans/vis-city/schedule', ds, { dayOfMonth: 9 }),
      '/api/plans/no-such-plan/schedule',
      ds,
      'PUT',
      { dayOfMonth: 9 },
    );
    await expectLikeUnknown(
      await call('POST', '/api/plans/vis-city/cycles', ds, {}),
      '/api/plans/no-such-plan/cycles',
      ds,
      'POST',
      {},
    );
    await expectLikeUnknown(await get('/api/cycles/vis-city-2026-10', ds), '/api/cycles/no-such-cycle', ds);
    await expectLikeUnknown(
      await call('POST', '/api/cycles/vis-city-2026-10/publish', ds),
      '/api/cycles/no-such-cycle/publish',
      ds,
      'POST',
    );
    expect(await stack.db.plan.findUniqueOrThrow({ where: { id: 'vis-city' } })).toEqual(before);
    expect(await stack.db.cycle.count({ where: { planId: 'vis-city' } })).toBe(1);
    // The city's supervisor, whose jurisdiction is the whole tree, still does all of it.
    expect((await call('PUT', '/api/plans/vis-city/schedule', p.supervisor, { dayOfMonth: 9 })).statusCode).toBe(200);
  });

  it('cannot import a plan with a task led outside his district', async () => {
    const res = await call('POST', '/api/plans', ds, {
      id: 'vis-bad',
      year: 2026,
      title: '越界计划',
      tasks: [{ no: 1, title: '市任务', leadUnitId: 'unit-a' }],
      indicators: [indicator('VB1', 'district-a')],
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().message).toBe('任务牵头单位不在您的管辖范围内：任务1');
    expect(await stack.db.plan.count({ where: { id: 'vis-bad' } })).toBe(0);
  });

  it('manages a plan wholly inside his district: imports, schedules, starts and publishes a cycle', async () => {
    const imported = await call('POST', '/api/plans', ds, {
      id: 'vis-district',
      year: 2026,
      title: '区级计划',
      tasks: [{ no: 1, title: '区任务', leadUnitId: 'district-a' }],
      indicators: [indicator('VD1', 'district-a')],
    });
    expect(imported.statusCode, imported.body).toBe(201);
    expect((await get('/api/plans', ds)).json().plans.map((x: { id: string }) => x.id)).toEqual(
      expect.arrayContaining(['vis-district', 'vis-mixed']),
    );
    const scheduled = await call('PUT', '/api/plans/vis-district/schedule', ds, { dayOfMonth: 7 });
    expect(scheduled.statusCode, scheduled.body).toBe(200);
    expect(scheduled.json().plan.rules).toMatchObject({ dayOfMonth: 7 });
    expect((await call('POST', '/api/plans/vis-district/cycles', ds, {})).statusCode).toBe(202);
    const cycle = await waitFor(() => stack.db.cycle.findFirst({ where: { planId: 'vis-district' } }));
    expect((await get(`/api/cycles/${cycle.id}`, ds)).statusCode).toBe(200);
    expect((await get('/api/plans/vis-district/cycles', ds)).json().cycles.map((c: { id: string }) => c.id)).toEqual([
      cycle.id,
    ]);
    await waitFor(async () => (await stack.db.cycle.findUnique({ where: { id: cycle.id } }))?.workflowId ?? null);
    const published = await call('POST', `/api/cycles/${cycle.id}/publish`, ds);
    expect(published.statusCode, published.body).toBe(202);
    await waitFor(async () =>
      (await stack.db.cycle.findUnique({ where: { id: cycle.id } }))?.status === 'published' ? true : null,
    );
    // unit-a's staff have nothing in it.
    await expectLikeUnknown(await get('/api/plans/vis-district', p.leadA), '/api/plans/no-such-plan', p.leadA);
    await expectLikeUnknown(await get(`/api/cycles/${cycle.id}`, p.leadA), '/api/cycles/no-such-cycle', p.leadA);
  }, 120_000);

  it('shows a shared plan to each side with its own rows only, and lets only the city manage it', async () => {
    const district = (await get('/api/plans/vis-mixed', ds)).json();
    expect(district.tasks.map((t: { no: number }) => t.no)).toEqual([2]);
    expect(district.plan.tasks.map((t: { no: number }) => t.no)).toEqual([2]);
    expect(district.indicators.map((i: { code: string }) => i.code)).toEqual(['VM2']);
    const unitA = (await get('/api/plans/vis-mixed', p.leadA)).json();
    expect(unitA.tasks.map((t: { no: number }) => t.no)).toEqual([1]);
    expect(unitA.indicators.map((i: { code: string }) => i.code)).toEqual(['VM1']);
    // A co-unit of a task sees that task, and no indicator.
    const coUnit = (await get('/api/plans/vis-mixed', p.coC)).json();
    expect(coUnit.tasks.map((t: { no: number }) => t.no)).toEqual([2]);
    expect(coUnit.indicators).toEqual([]);
    const city = (await get('/api/plans/vis-mixed', p.supervisor)).json();
    expect(city.tasks).toHaveLength(2);
    expect(city.indicators).toHaveLength(2);

    // Seen but not wholly his: refused with a reason, nothing changed.
    for (const res of [
      await call('PUT', '/api/plans/vis-mixed/schedule', ds, { dayOfMonth: 8 }),
      await call('POST', '/api/plans/vis-mixed/cycles', ds, {}),
      await call('POST', '/api/cycles/vis-mixed-2026-10/publish', ds),
    ]) {
      expect(res.statusCode).toBe(403);
      expect(res.json().message).toMatch(/^该计划涉及您管辖范围以外的单位，您不能/);
    }
    expect(await stack.db.cycle.count({ where: { planId: 'vis-mixed' } })).toBe(1);
    expect((await call('PUT', '/api/plans/vis-mixed/schedule', p.supervisor, { dayOfMonth: 8 })).statusCode).toBe(200);
  });

  it("shows a cycle's values, lights, reporting and ranking of the caller's units only, ranks as published", async () => {
    const district = (await get('/api/cycles/vis-mixed-2026-10', ds)).json();
    const r = district.report as CycleReport;
    expect(r.indicators.map((i) => i.code)).toEqual(['VM2']);
    expect(r.standings.map((s) => [s.unitId, s.rank])).toEqual([['district-a', 2]]);
    expect(r.requests.map((x) => x.unitId)).toEqual(['district-a']);
    expect(r.reds.map((x) => x.code)).toEqual(['VM2']);
    expect(district.values.map((v: { code: string }) => v.code)).toEqual(['VM2']);
    expect(district.requests.map((x: { unitId: string }) => x.unitId)).toEqual(['district-a']);

    const unitA = (await get('/api/cycles/vis-mixed-2026-10', p.leadA)).json();
    expect((unitA.report as CycleReport).standings.map((s) => [s.unitId, s.rank])).toEqual([['unit-a', 1]]);
    expect((unitA.report as CycleReport).reds).toEqual([]);
    expect(unitA.values.map((v: { code: string }) => v.code)).toEqual(['VM1']);

    const city = (await get('/api/cycles/vis-mixed-2026-10', p.supervisor)).json();
    expect((city.report as CycleReport).standings).toHaveLength(2);
    expect(city.values).toHaveLength(2);

    // A unit's lights: its own history, within the jurisdiction only.
    const lights = (await get('/api/units/district-a/lights', ds)).json();
    expect(lights.cycles.map((c: { cycleId: string }) => c.cycleId)).toContain('vis-mixed-2026-10');
    expect((await get('/api/units/unit-a/lights', ds)).statusCode).toBe(404);
  });

  it('a unit the plan does not involve learns nothing of its cycles by reporting or uploading: 404 as for an unknown id', async () => {
    const upload = (cycleId: string, actor: Actor) => {
      const { payload, headers } = multipart([{ name: '报表.pdf', content: pdf(`vis-${cycleId}-${actor.userId}`) }]);
      return stack.app.inject({
        method: 'POST',
        url: `/api/cycles/${cycleId}/evidence`,
        headers: { ...bearer(actor), ...headers },
        payload,
      });
    };
    const before = [await stack.db.indicatorValue.count(), await stack.db.evidence.count()];
    // vis-city collects, vis-mixed is published: neither state shows to a stranger.
    for (const [cycleId, code] of [
      ['vis-city-2026-10', 'VC1'],
      ['vis-mixed-2026-10', 'VM1'],
    ] as const) {
      for (const stranger of [p.outsider, p.leadB]) {
        const values = { values: [{ code, value: 1 }] };
        await expectLikeUnknown(
          await call('POST', `/api/cycles/${cycleId}/values`, stranger, values),
          '/api/cycles/no-such-cycle/values',
          stranger,
          'POST',
          values,
        );
        const up = await upload(cycleId, stranger);
        expect(up.statusCode).toBe(404);
        expect(up.json()).toEqual((await upload('no-such-cycle', stranger)).json());
      }
    }
    // unit-c co-handles a task of vis-mixed: it sees the cycle, has nothing to report in it, and is told so.
    const coUp = await upload('vis-mixed-2026-10', p.coC);
    expect(coUp.statusCode).toBe(403);
    expect(coUp.json().message).toBe('本单位在该计划中没有需报送的指标');
    expect(
      (await call('POST', '/api/cycles/vis-mixed-2026-10/values', p.coC, { values: [{ code: 'VM2', value: 1 }] }))
        .statusCode,
    ).toBe(409);
    // Involved in the plan, while it collects, but not the indicator's owner: refused by ownership, as before.
    await stack.db.cycle.create({
      data: {
        id: 'vis-mixed-2026-11',
        planId: 'vis-mixed',
        period: '2026-11',
        openedAt: new Date(),
        dueDate: DUE,
        status: 'collecting',
      },
    });
    for (const [actor, code] of [
      [p.coC, 'VM1'],
      [p.leadA, 'VM2'],
    ] as const) {
      const foreign = await call('POST', '/api/cycles/vis-mixed-2026-11/values', actor, {
        values: [{ code, value: 1 }],
      });
      expect(foreign.statusCode).toBe(403);
      expect(foreign.json().message).toBe('只能报送本单位负责的指标');
    }
    await stack.db.cycle.delete({ where: { id: 'vis-mixed-2026-11' } });
    expect([await stack.db.indicatorValue.count(), await stack.db.evidence.count()]).toEqual(before);
  });

  it('a unit that does not exist has no lights: 404 as for one out of sight', async () => {
    const unknown = await get('/api/units/no-such-unit/lights', p.supervisor);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual((await get('/api/units/unit-a/lights', ds)).json());
    expect((await get('/api/units/no-such-unit/lights', ds)).statusCode).toBe(404);
  });
});

describe('problem lists', () => {
  let shared = '';
  let cityOnly = '';
  let districtItem = '';
  const open = async (
    actor: Actor,
    title: string,
    rows: Array<{ leadUnitId: string; dueDate?: string; backdated?: boolean; openedOn?: string }>,
  ) => {
    const res = await call('POST', '/api/problem-lists', actor, {
      title,
      items: rows.map((r, i) => ({ title: `${title}问题${i + 1}`, dueDate: DUE, ...r })),
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  };
  const recorded = (listId: string, n: number) =>
    waitFor(async () => ((await stack.db.item.count({ where: { problemListId: listId } })) === n ? true : null));

  beforeAll(async () => {
    shared = await open(p.supervisor, '两区清单', [
      // Past due dates are refused except for items imported from an older system (issue 16).
      { leadUnitId: 'unit-a', dueDate: '2020-06-30', backdated: true, openedOn: '2020-01-02' },
      { leadUnitId: 'district-a' },
    ]);
    cityOnly = await open(p.supervisor, '市级清单', [{ leadUnitId: 'unit-a' }]);
    await recorded(shared, 2);
    await recorded(cityOnly, 1);
    districtItem = (
      await stack.db.item.findFirstOrThrow({ where: { problemListId: shared, leadUnitId: 'district-a' } })
    ).id;
  }, 60_000);

  it("shows a district supervisor a list through his district's items, with their progress only", async () => {
    const mine = (await get('/api/problem-lists', ds)).json().lists;
    expect(mine.map((l: { id: string }) => l.id)).toContain(shared);
    expect(mine.map((l: { id: string }) => l.id)).not.toContain(cityOnly);
    const listed = mine.find((l: { id: string }) => l.id === shared);
    expect(listed).toMatchObject({
      total: 1,
      progress: { total: 1, opened: 1, overdue: 0, closed: 0, withdrawn: 0, cleared: false },
    });
    expect((await get(`/api/problem-lists/${shared}`, ds)).json()).toMatchObject({
      total: 1,
      progress: { total: 1, opened: 1, overdue: 0 },
    });
    // The city sees both items, one of them overdue.
    expect((await get(`/api/problem-lists/${shared}`, p.supervisor)).json()).toMatchObject({
      total: 2,
      progress: { total: 2, opened: 2, overdue: 1, cleared: false },
    });
    await expectLikeUnknown(await get(`/api/problem-lists/${cityOnly}`, ds), '/api/problem-lists/LNOSUCHLIST', ds);

    // His item withdrawn: cleared for him, not for the city.
    const withdrawn = await call('POST', `/api/items/${districtItem}/withdraw`, ds, { reason: '重复立项' });
    expect(withdrawn.statusCode, withdrawn.body).toBe(200);
    expect((await get(`/api/problem-lists/${shared}`, ds)).json().progress).toMatchObject({
      total: 1,
      withdrawn: 1,
      cleared: true,
    });
    expect((await get(`/api/problem-lists/${shared}`, p.supervisor)).json().progress).toMatchObject({
      total: 2,
      withdrawn: 1,
      cleared: false,
    });
  });

  it('shows its author a list at once, before its items are recorded', async () => {
    const res = await call('POST', '/api/problem-lists', ds, {
      title: '区级清单',
      items: [{ title: '街道问题', leadUnitId: 'district-t', dueDate: DUE }],
    });
    expect(res.statusCode, res.body).toBe(201);
    expect((await get(`/api/problem-lists/${res.json().id}`, ds)).statusCode).toBe(200);
    expect(res.json()).toMatchObject({ total: 1 });
  });
});

describe('undelivered notifications', () => {
  const SECRET = '机密事项标题';
  const rows: Record<string, bigint> = {};
  let cityItem = '';
  let districtItem = '';

  beforeAll(async () => {
    const open = async (leadUnitId: string) => {
      const res = await call('POST', '/api/items', p.supervisor, {
        title: `${SECRET}（${leadUnitId}）`,
        leadUnitId,
        dueDate: DUE,
      });
      expect(res.statusCode, res.body).toBe(201);
      return res.json().item.id as string;
    };
    cityItem = await open('unit-a');
    districtItem = await open('district-a');
    await stack.db.cycle.create({
      data: {
        id: 'vis-district-2025-01',
        planId: 'vis-district',
        period: '2025-01',
        openedAt: new Date(),
        dueDate: '2025-02-10',
        status: 'published',
      },
    });
    let n = 0;
    const add = async (
      name: string,
      subject: Subject,
      extra: { kind?: string; status?: string; digestKey?: string; key?: string } = {},
    ) => {
      const row = await stack.db.outboxMessage.create({
        data: {
          key: extra.key ?? `vis-${name}-${++n}`,
          requestKey: `vis-${name}`,
          ...subjectColumns(subject),
          kind: extra.kind ?? 'assigned',
          urgent: false,
          recipientEmail: extra.status === 'no_address' ? null : `${name}@example.gov.cn`,
          recipientName: `收件人${name}`,
          userId: null,
          subject: `【交办通知】${SECRET}${name}`,
          text: `${SECRET}${name}：请签收`,
          html: '',
          status: extra.status ?? 'failed',
          attempts: 1,
          lastError: '550 mailbox unavailable',
          ...(extra.digestKey ? { digestKey: extra.digestKey } : {}),
        },
      });
      rows[name] = row.id;
    };
    await add('city', itemSubject(cityItem));
    await add('district', itemSubject(districtItem), { status: 'no_address' });
    await add('cityCycle', cycleSubject('vis-city-2026-10'), { kind: 'cycle_published' });
    await add('districtCycle', cycleSubject('vis-district-2025-01'), { kind: 'report_request' });
    // Digests: one of the district's notices only; one mixing both districts.
    await add('digestDistrict', itemSubject(districtItem), {
      kind: 'digest',
      key: 'digest/d@example.gov.cn/2026-11-01',
    });
    await add('partD', itemSubject(districtItem), {
      status: 'digested',
      digestKey: 'digest/d@example.gov.cn/2026-11-01',
    });
    await add('digestMixed', itemSubject(districtItem), {
      kind: 'digest',
      key: 'digest/m@example.gov.cn/2026-11-01',
    });
    await add('partM1', itemSubject(districtItem), {
      status: 'digested',
      digestKey: 'digest/m@example.gov.cn/2026-11-01',
    });
    await add('partM2', itemSubject(cityItem), {
      status: 'digested',
      digestKey: 'digest/m@example.gov.cn/2026-11-01',
    });
  }, 60_000);

  const shown = async (actor: Actor) => {
    const res = await get('/api/notifications/undelivered', actor);
    expect(res.statusCode, res.body).toBe(200);
    const ours = new Map(Object.entries(rows).map(([name, id]) => [String(id), name]));
    return {
      body: res.json().notifications as Array<Record<string, unknown>>,
      names: (res.json().notifications as Array<{ id: string }>).flatMap((r) => ours.get(r.id) ?? []).sort(),
    };
  };

  it("shows a district supervisor only the notices about his district's items and cycles", async () => {
    const { body, names } = await shown(ds);
    expect(names).toEqual(['digestDistrict', 'district', 'districtCycle']);
    expect(body.every((r) => r.itemId !== cityItem && r.itemId !== 'vis-city-2026-10')).toBe(true);
    expect(body.find((r) => r.id === String(rows.district))).toMatchObject({
      itemId: districtItem,
      subject: `【交办通知】${SECRET}district`,
      status: 'no_address',
    });
    // What each is about, by kind: an item's notice and a cycle's.
    expect(body.find((r) => r.id === String(rows.district))?.about).toEqual({ kind: 'item', id: districtItem });
    expect(body.find((r) => r.id === String(rows.districtCycle))).toMatchObject({
      itemId: 'vis-district-2025-01',
      about: { kind: 'cycle', id: 'vis-district-2025-01' },
    });
  });

  it('shows the city supervisor all of them with their content', async () => {
    expect((await shown(p.supervisor)).names).toEqual([
      'city',
      'cityCycle',
      'digestDistrict',
      'digestMixed',
      'district',
      'districtCycle',
    ]);
  });

  it('shows the administrator who was to get each and what went wrong, never what it says or which item it is about', async () => {
    const res = await get('/api/notifications/undelivered', p.admin);
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain(SECRET);
    expect(res.body).not.toContain(cityItem);
    expect(res.body).not.toContain(districtItem);
    const { body, names } = await shown(p.admin);
    expect(names).toEqual(['city', 'cityCycle', 'digestDistrict', 'digestMixed', 'district', 'districtCycle']);
    for (const r of body) {
      expect(Object.keys(r).sort()).toEqual(
        [
          'attempts',
          'createdAt',
          'id',
          'kind',
          'kindLabel',
          'lastError',
          'reason',
          'recipientEmail',
          'recipientName',
          'recipientUserId',
          'status',
        ].sort(),
      );
    }
    expect(body.find((r) => r.id === String(rows.city))).toMatchObject({
      recipientName: '收件人city',
      recipientEmail: 'city@example.gov.cn',
      kindLabel: '交办通知',
      status: 'failed',
      attempts: 1,
      lastError: '550 mailbox unavailable',
    });
  });

  it('is refused to the roles without the permission', async () => {
    for (const actor of [p.leadA, p.verifier, p.auditor])
      expect((await get('/api/notifications/undelivered', actor)).statusCode).toBe(403);
  });
});
