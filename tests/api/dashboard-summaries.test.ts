/**
 * The dashboard reads summaries kept by triggers on items (migration dashboard_summaries), not the
 * items. After a random run of real transitions (through the API, Temporal and the recording
 * activity, several at once), lights and attention flags written as their writers write them, and
 * 催办 recorded, every figure equals what the list counts with the matching filters, for the
 * supervisor, a unit's handler, a co-unit's handler and a leader with a jurisdiction; and the
 * summary tables equal a recount of the items from scratch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordActivities } from '../../activities/record';
import type { Actor } from '../../domain/actors';
import { addDays, shanghaiDate } from '../../domain/calendar';
import { coC, districtHandler, districtLeader, leadA, leadB, supervisor, verifier } from '../support/actors';
import { bearer, startApiStack, type ApiStack } from '../support/api';
import { uniqueTaskQueue } from '../support/stack';

let stack: ApiStack;
const today = shanghaiDate(Date.now());
const due = (days: number) => addDays(today, days);
const OPEN = 'assigned,declined,arbitration,signed,rectifying,verifying,suspended';
/** Who handles each lead unit's side (district-t has nobody: its items stay 待签收). */
const HANDLERS: Record<string, Actor> = { 'unit-a': leadA, 'unit-b': leadB, 'district-a': districtHandler };
const LEADS = ['unit-a', 'unit-b', 'district-a', 'district-t'];
const CO_UNITS = ['unit-c', 'unit-a', 'district-a'];

/** A small deterministic generator: each item's life from its own seed, whatever runs beside it. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function call(method: 'GET' | 'POST', url: string, actor: { userId: string }, payload?: object) {
  return stack.app.inject({ method, url, headers: bearer(actor), ...(payload ? { payload } : {}) });
}

/** Takes an action; a refusal (the random path asked for something the state does not allow) ends the path. */
async function act(id: string, action: string, actor: Actor, payload: object = {}): Promise<boolean> {
  const r = await call('POST', `/api/items/${id}/${action}`, actor, payload);
  if (r.statusCode === 200) return true;
  expect([409, 403], `${action} ${r.body}`).toContain(r.statusCode);
  return false;
}

/** One item's random life: how far it gets and which side roads it takes. */
async function life(n: number): Promise<string> {
  const rnd = random(1800 + n);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const lead = pick(LEADS);
  const co = rnd() < 0.5 ? [pick(CO_UNITS)].filter((u) => u !== lead) : [];
  const overdue = rnd() < 0.35;
  const r = await call('POST', '/api/items', supervisor, {
    title: `汇总测试 ${n}`,
    leadUnitId: lead,
    coUnitIds: co,
    ...(overdue
      ? { dueDate: due(-1 - Math.floor(rnd() * 5)), backdated: true, openedOn: due(-40) }
      : { dueDate: due(20 + n) }),
  });
  expect(r.statusCode, r.body).toBe(201);
  const id: string = r.json().item.id;
  let unit = lead;
  const path = rnd();
  if (path < 0.1) {
    await act(id, 'withdraw', supervisor, { reason: '重复立项' });
    return id;
  }
  // Declined and given to another unit (the units change), sometimes twice.
  while (rnd() < 0.3 && HANDLERS[unit]) {
    if (!(await act(id, 'decline', HANDLERS[unit]!, { reason: '不属于本单位职责' }))) return id;
    const to = pick(LEADS.filter((u) => u !== unit));
    const ok =
      (await act(id, 'reassign', supervisor, { leadUnitId: to, coUnitIds: rnd() < 0.5 ? ['unit-c'] : [] })) ||
      (await act(id, 'arbitrate', supervisor, { unitId: to, ruling: '由该单位牵头' }));
    if (!ok) return id;
    unit = to;
  }
  const h = HANDLERS[unit];
  if (!h || path < 0.2) return id;
  if (!(await act(id, 'sign', h))) return id;
  if (path < 0.3) {
    await act(id, 'suspend', supervisor, { reason: '等待上级政策' });
    return id;
  }
  if (path < 0.4) {
    if (await act(id, 'requestExtension', h, { dueDate: due(60), reason: '施工受阻' }))
      await act(id, 'decideExtension', supervisor, { approved: rnd() < 0.5 });
    return id;
  }
  if (!(await act(id, 'filePlan', h, { plan: '整改方案' }))) return id;
  if (path < 0.5) return id;
  if (!(await act(id, 'submit', h, { summary: '已完成' }))) return id;
  if (path < 0.6) return id;
  if (rnd() < 0.4) {
    if (!(await act(id, 'verifyReturn', verifier, { reasons: '材料不全' }))) return id;
    if (path < 0.7 || !(await act(id, 'submit', h, { summary: '已补充' }))) return id;
  }
  if (path < 0.8) return id;
  await act(id, 'verifyPass', verifier);
  return id;
}

/** Several at a time, so the triggers' upserts meet on the same summary rows. */
async function pool<T>(n: number, width: number, f: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await f(i);
      }
    }),
  );
  return out;
}

let ids: string[] = [];
beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('dashboard-summaries'));
  ids = await pool(40, 6, life);
  // Lights as the ladder's recording writes them, a closure deadline moved, attention flagged
  // by its own activity, and 催办 recorded in the events as the urge action records them.
  const lights = ['green', 'yellow', 'red', 'red'];
  for (const [i, id] of ids.slice(0, 24).entries())
    await stack.db.$executeRaw`UPDATE items SET light = ${lights[i % lights.length]} WHERE id = ${id}`;
  await stack.db
    .$executeRaw`UPDATE items SET deadline_date = ${due(-2)} WHERE id = ${ids[30]!} AND status NOT IN ('closed', 'withdrawn')`;
  await stack.db
    .$executeRaw`UPDATE items SET closed_late_working_days = 3 WHERE status = 'closed' AND id = ANY(${ids.slice(0, 20)})`;
  const record = createRecordActivities(stack.db);
  for (const id of ids.slice(5, 8))
    await record.flagAttention({ itemId: id, reason: 'test: write failed', since: new Date().toISOString() });
  const urges: Array<[string, string[] | undefined]> = [
    [ids[0]!, ['unit-a', 'unit-c']],
    [ids[1]!, ['unit-a']],
    [ids[2]!, undefined],
  ];
  for (const [id, unitIds] of urges)
    await stack.db.$executeRaw`
      INSERT INTO item_events (key, item_id, seq, action, from_status, to_status, actor_user_id, actor_name, actor_role, at, payload, attachments)
      SELECT ${`urge/${id}`}, id, seq + 1000, 'urge', status, status, ${supervisor.userId}, ${supervisor.name}, 'supervisor', now(),
             ${JSON.stringify({ text: '请抓紧办理', ...(unitIds ? { unitIds } : {}) })}::jsonb, '[]'::jsonb
      FROM items WHERE id = ${id}`;
}, 300_000);
afterAll(() => stack?.close());

type Row = { id: string; leadUnitId: string; status: string };
async function listAll(actor: Actor, q: string): Promise<{ total: number; items: Row[] }> {
  const items: Row[] = [];
  for (let page = 1; ; page++) {
    const r = (await call('GET', `/api/items?pageSize=100&page=${page}${q}`, actor)).json();
    items.push(...r.items);
    if (items.length >= r.total || r.items.length === 0) return { total: r.total, items };
  }
}

describe('GET /api/dashboard from the summaries', () => {
  it('the run reached every kind of state it was meant to', async () => {
    const statuses = new Set((await listAll(supervisor, '')).items.map((i) => i.status));
    for (const s of ['assigned', 'signed', 'rectifying', 'verifying', 'closed', 'withdrawn'])
      expect(statuses).toContain(s);
  });

  for (const [who, actor] of [
    ['the supervisor', supervisor],
    ['a lead unit handler', leadA],
    ['a co-unit handler', coC],
    ['a leader with a jurisdiction', districtLeader],
  ] as const) {
    it(`equals the list's counts for ${who}`, async () => {
      const d = (await call('GET', '/api/dashboard', actor)).json();
      const total = async (q: string) => (await call('GET', `/api/items?pageSize=1${q}`, actor)).json().total as number;
      expect(d.total).toBe(await total(''));
      if (actor === supervisor) expect(d.total).toBe(40);
      for (const s of d.byStatus) expect(s.count, s.status).toBe(await total(`&status=${s.status}`));
      for (const l of d.byLight) expect(l.count, l.light).toBe(await total(`&light=${l.light}&status=${OPEN}`));
      expect(d.open).toBe(await total(`&status=${OPEN}`));
      expect(d.closed).toBe(await total('&status=closed'));
      expect(d.closedLate).toBe(await total('&closedLate=true'));
      expect(d.attention).toBe(await total('&attention=true'));
      expect(d.overdue).toBe(await total('&overdue=true'));
      // Overdue by lead unit, as the list's overdue rows group.
      const overdue = await listAll(actor, '&overdue=true');
      const byLead = new Map<string, number>();
      for (const i of overdue.items) byLead.set(i.leadUnitId, (byLead.get(i.leadUnitId) ?? 0) + 1);
      expect(
        Object.fromEntries(d.overdueByUnit.map((u: { unitId: string; count: number }) => [u.unitId, u.count])),
      ).toEqual(Object.fromEntries(byLead));
      // Every item opened and closed this week (the run took minutes).
      expect(d.trend.reduce((n: number, w: { opened: number }) => n + w.opened, 0)).toBe(d.total);
      expect(d.trend.reduce((n: number, w: { closed: number }) => n + w.closed, 0)).toBe(d.closed);
      // The red items most overdue, in the list's order.
      const reds = (
        await call('GET', `/api/items?pageSize=10&light=red&status=${OPEN}&sort=-overdueDays`, actor)
      ).json();
      expect(d.redItems.map((r: { id: string }) => r.id)).toEqual(reds.items.map((r: Row) => r.id));
    });
  }

  it('counts 催办 per unit named (the lead unit when none is named), within what the caller sees', async () => {
    const lead2 = (await stack.db.item.findUniqueOrThrow({ where: { id: ids[2]! } })).leadUnitId;
    const expected = new Map<string, number>([
      ['unit-a', 2],
      ['unit-c', 1],
    ]);
    expected.set(lead2, (expected.get(lead2) ?? 0) + 1);
    const d = (await call('GET', '/api/dashboard', supervisor)).json();
    expect(
      Object.fromEntries(d.urgedByUnit.map((u: { unitId: string; count: number }) => [u.unitId, u.count])),
    ).toEqual(Object.fromEntries(expected));
    for (const u of d.overdueByUnit) expect(u.urged).toBe(expected.get(u.unitId) ?? 0);
    const a = (await call('GET', '/api/dashboard', leadA)).json();
    expect(a.urgedByUnit).toEqual([{ unitId: 'unit-a', unitName: '市民政局', count: expected.get('unit-a') }]);
    const district = (await call('GET', '/api/dashboard', districtLeader)).json();
    expect(district.urgedByUnit.every((u: { unitId: string }) => u.unitId.startsWith('district'))).toBe(true);
  });

  it('holds exactly what a recount of the items gives', async () => {
    const diff = await stack.db.$queryRaw<Array<{ t: string; n: number }>>`
      WITH now AS (SELECT dashboard_delta_of(i, 1) AS x FROM items i),
      seen AS (SELECT v.unit_id, (x).* FROM now CROSS JOIN LATERAL (SELECT DISTINCT u FROM unnest(array_prepend((x).lead_unit_id, (x).co_unit_ids)) u) v(unit_id)),
      counts AS (SELECT unit_id, lead_unit_id, status, light, closed_late, attention, count(*)::int AS n FROM seen GROUP BY 1, 2, 3, 4, 5, 6),
      deadlines AS (SELECT unit_id, lead_unit_id, deadline, due_date, count(*)::int AS n FROM seen WHERE deadline IS NOT NULL GROUP BY 1, 2, 3, 4)
      SELECT 'counts' AS t, count(*)::int AS n FROM (
        (SELECT * FROM counts EXCEPT SELECT unit_id, lead_unit_id, status, light, closed_late, attention, n FROM dashboard_counts WHERE n <> 0)
        UNION ALL
        (SELECT unit_id, lead_unit_id, status, light, closed_late, attention, n FROM dashboard_counts WHERE n <> 0 EXCEPT SELECT * FROM counts)) c
      UNION ALL
      SELECT 'deadlines', count(*)::int FROM (
        (SELECT * FROM deadlines EXCEPT SELECT unit_id, lead_unit_id, deadline, due_date, n FROM dashboard_deadlines WHERE n <> 0)
        UNION ALL
        (SELECT unit_id, lead_unit_id, deadline, due_date, n FROM dashboard_deadlines WHERE n <> 0 EXCEPT SELECT * FROM deadlines)) d`;
    expect(diff).toEqual([
      { t: 'counts', n: 0 },
      { t: 'deadlines', n: 0 },
    ]);
    expect(await stack.db.dashboardCount.count()).toBeGreaterThan(0);
    expect(await stack.db.dashboardCount.count({ where: { n: { lt: 0 } } })).toBe(0);
    // Days left by every item (closed, withdrawn, extended, reassigned) leave no row behind.
    expect(await stack.db.dashboardDeadline.count({ where: { n: { lte: 0 } } })).toBe(0);
  });
});
