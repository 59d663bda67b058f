/**
 * Issue 16, problems 7 and 8 (part): unit names unique among siblings and named with their
 * parent's where two share a name; the deadline policies listed with the shipped default and
 * removable; what the workflow does on its own recorded as the system's, not an administrator's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../api/app';
import { SYSTEM_ACTOR } from '../../domain/actors';
import { shanghaiDate, shiftWorkingDays } from '../../domain/calendar';
import { DEFAULT_POLICY } from '../../domain/policy';
import { calendarOf, shippedYears } from '../../lib/calendar-store';
import type { Db } from '../../lib/db';
import { unitLabels, unitResolver } from '../../lib/unit-names';
import { admin, districtSupervisor, leadA, supervisor } from '../support/actors';
import { bearer, startApiStack, type ApiStack } from '../support/api';
import { DUE } from '../support/dates';
import { open } from '../support/items';
import { uniqueTaskQueue, type TemporalHandles } from '../support/stack';

let stack: ApiStack;
let t: TemporalHandles;
let db: Db;
let app: App;
const taskQueue = uniqueTaskQueue('units-policies');
const cal = calendarOf(shippedYears());

beforeAll(async () => {
  stack = await startApiStack(taskQueue);
  ({ t, db, app } = stack);
});

afterAll(() => stack?.close());

const putUnit = (id: string, body: Record<string, unknown>) =>
  app.inject({ method: 'PUT', url: `/api/units/${id}`, headers: bearer(admin), payload: body });

async function until<T>(fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 150));
  }
}

describe('unit names: unique among siblings, qualified where shared', () => {
  beforeAll(async () => {
    for (const [id, name] of [
      ['jx', '嘉兴市'],
      ['hz', '湖州市'],
    ] as const)
      expect((await putUnit(id, { name, parentId: 'city', kind: 'city' })).statusCode).toBe(200);
  });

  it('creates two units of the same name under different parents, and refuses a second under the same parent', async () => {
    const jx = await putUnit('jx-fgw', { name: '市发展改革委', parentId: 'jx', kind: 'bureau' });
    expect(jx.statusCode, jx.body).toBe(200);
    const hz = await putUnit('hz-fgw', { name: '市发展改革委', parentId: 'hz', kind: 'bureau' });
    expect(hz.statusCode, hz.body).toBe(200);
    expect(await db.unit.count({ where: { name: '市发展改革委' } })).toBe(2);

    const again = await putUnit('jx-fgw2', { name: '市发展改革委', parentId: 'jx', kind: 'bureau' });
    expect(again.statusCode).toBe(400);
    expect(again.json().fields).toEqual([
      { field: 'body.name', reason: expect.stringMatching(/上级单位“嘉兴市”下已有同名单位“市发展改革委”/) },
    ]);
    expect(await db.unit.findUnique({ where: { id: 'jx-fgw2' } })).toBeNull();
    // Moving a unit under a parent that already has one of its name is refused the same way.
    const move = await putUnit('hz-fgw', { name: '市发展改革委', parentId: 'jx', kind: 'bureau' });
    expect(move.statusCode).toBe(400);
    expect(move.json().fields[0].field).toBe('body.name');
    expect((await db.unit.findUnique({ where: { id: 'hz-fgw' } }))?.parentId).toBe('hz');
    // The database holds the rule too (a racing write): the same parent and name twice is refused.
    await expect(
      db.unit.create({ data: { id: 'jx-fgw3', name: '市发展改革委', parentId: 'jx', kind: 'bureau' } }),
    ).rejects.toThrow();
  });

  it('names a shared name with its parent in the unit list, a unique one plainly', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/units', headers: bearer(supervisor) });
    expect(res.statusCode).toBe(200);
    const label = (id: string) => res.json().units.find((u: { id: string }) => u.id === id)?.label;
    expect(label('jx-fgw')).toBe('嘉兴市/市发展改革委');
    expect(label('hz-fgw')).toBe('湖州市/市发展改革委');
    expect(label('unit-a')).toBe('市民政局');
  });

  it('names the co-units holding up closure by name, not by id', async () => {
    const opened = await app.inject({
      method: 'POST',
      url: '/api/items',
      headers: bearer(supervisor),
      payload: { title: '配合单位未办结', leadUnitId: 'unit-a', coUnitIds: ['jx-fgw'], dueDate: DUE },
    });
    expect(opened.statusCode, opened.body).toBe(201);
    const id = opened.json().item.id;
    const act = (action: string, payload: Record<string, unknown>) =>
      app.inject({ method: 'POST', url: `/api/items/${id}/${action}`, headers: bearer(leadA), payload });
    expect((await act('sign', { note: '' })).statusCode).toBe(200);
    expect((await act('filePlan', { plan: '整改方案', attachments: [] })).statusCode).toBe(200);
    const submit = await act('submit', { summary: '申请销号', attachments: [] });
    expect(submit.statusCode).toBe(409);
    expect(submit.json().message).toBe('配合单位尚未办结：嘉兴市/市发展改革委');
    expect(submit.json().message).not.toContain('jx-fgw');
    expect((await db.item.findUnique({ where: { id } }))?.status).toBe('rectifying');
  });

  it('refuses an ambiguous name in an import, asking for the qualified form, and takes the qualified form', async () => {
    const importList = (leadUnitId: string) =>
      app.inject({
        method: 'POST',
        url: '/api/problem-lists',
        headers: bearer(supervisor),
        payload: {
          title: '重名单位清单',
          source: '测试',
          items: [{ title: '问题一', leadUnitId, dueDate: DUE }],
        },
      });
    const before = await db.item.count();
    const ambiguous = await importList('市发展改革委');
    expect(ambiguous.statusCode).toBe(400);
    expect(ambiguous.body).toContain('不唯一');
    expect(ambiguous.body).toContain('嘉兴市/市发展改革委');
    expect(await db.item.count()).toBe(before);
    const qualified = await importList('湖州市/市发展改革委');
    expect(qualified.statusCode, qualified.body).toBe(201);
    const items = await until(async () => {
      const rows = await db.item.findMany({ where: { problemListId: qualified.json().id } });
      return rows.length ? rows : undefined;
    });
    expect(items[0]?.leadUnitId).toBe('hz-fgw');
  });

  it('labels and resolves by the shortest qualification that tells units apart (pure)', () => {
    const units = [
      { id: 'p1', name: '浙江省', parentId: null },
      { id: 'p2', name: '江苏省', parentId: null },
      { id: 'c1', name: '新区', parentId: 'p1' },
      { id: 'c2', name: '新区', parentId: 'p2' },
      { id: 'b1', name: '发改局', parentId: 'c1' },
      { id: 'b2', name: '发改局', parentId: 'c2' },
      { id: 'x', name: '独有单位', parentId: 'p1' },
    ];
    const labels = unitLabels(units);
    expect(labels.get('b1')).toBe('浙江省/新区/发改局');
    expect(labels.get('c2')).toBe('江苏省/新区');
    expect(labels.get('x')).toBe('独有单位');
    const resolve = unitResolver(units);
    expect(resolve('独有单位')).toEqual({ id: 'x' });
    expect(resolve('江苏省/新区/发改局')).toEqual({ id: 'b2' });
    expect(resolve('b1')).toEqual({ id: 'b1' });
    expect(resolve('发改局')).toEqual({ reason: expect.stringContaining('“浙江省/新区/发改局”') });
    expect(resolve('新区/发改局')).toEqual({ reason: expect.stringContaining('不唯一') });
    expect(resolve('不存在的局')).toEqual({ reason: '单位“不存在的局”不存在' });
  });
});

describe('deadline policies: the default visible, overrides removable', () => {
  const body = {
    id: 'complaint-high',
    signDays: 1,
    planDays: 3,
    progressEveryDays: 5,
    reinspectAfterDays: 0,
    workdayEnd: '17:30',
    ladder: [{ key: 'closure-urge', step: 'closure', offset: 0, action: 'urge', targets: ['handler'] }],
  };
  const list = async () => {
    const res = await app.inject({ method: 'GET', url: '/api/policies', headers: bearer(admin) });
    expect(res.statusCode).toBe(200);
    return res.json().policies as Array<Record<string, unknown>>;
  };
  const openWith = async (category: string, priority: string) => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/items',
      headers: bearer(supervisor),
      payload: { title: '规则测试', leadUnitId: 'unit-a', dueDate: DUE, category, priority },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().item.deadlines.policy as { id: string; version: number };
  };

  it('lists the shipped default, in force, before any override', async () => {
    const policies = await list();
    expect(policies[0]).toMatchObject({
      kind: 'default',
      kindLabel: '系统默认',
      category: '*',
      priority: '*',
      inForce: true,
      updatedBy: null,
      policy: DEFAULT_POLICY,
    });
  });

  it('lists every override beside the default, removes one (audited), and the next item gets the default', async () => {
    expect(
      (await app.inject({ method: 'PUT', url: '/api/policies/complaint/high', headers: bearer(admin), payload: body }))
        .statusCode,
    ).toBe(200);
    let policies = await list();
    expect(policies.map((p) => [p.kind, p.category, p.priority])).toEqual([
      ['default', '*', '*'],
      ['override', 'complaint', 'high'],
    ]);
    expect(policies[1]).toMatchObject({ kindLabel: '覆盖规则', inForce: true, version: 1, updatedBy: admin.userId });
    expect(await openWith('complaint', 'high')).toMatchObject({ id: 'complaint-high', version: 1 });

    // Rules of the whole tree (rules.manage): a district's supervisor may not remove one, nothing changes.
    const refused = await app.inject({
      method: 'DELETE',
      url: '/api/policies/complaint/high',
      headers: bearer(districtSupervisor),
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().message).toBe('只有管辖全部单位的督查专员可以修改规则，区县督查专员无此权限');
    expect((await list()).length).toBe(2);
    // The supervisor whose jurisdiction is the whole tree may (and puts it back, as he found it).
    const bySupervisor = await app.inject({
      method: 'PUT',
      url: '/api/policies/complaint/high',
      headers: bearer(supervisor),
      payload: body,
    });
    expect(bySupervisor.statusCode, bySupervisor.body).toBe(200);
    expect(bySupervisor.json()).toMatchObject({ version: 2 });
    expect((await list())[1]).toMatchObject({ version: 2, updatedBy: supervisor.userId });

    const removed = await app.inject({ method: 'DELETE', url: '/api/policies/complaint/high', headers: bearer(admin) });
    expect(removed.statusCode, removed.body).toBe(200);
    expect(removed.json()).toMatchObject({
      category: 'complaint',
      priority: 'high',
      version: 2,
      deletedBy: admin.userId,
    });
    policies = await list();
    expect(policies.map((p) => p.kind)).toEqual(['default']);
    expect(await openWith('complaint', 'high')).toMatchObject({ id: DEFAULT_POLICY.id });
    const audit = await db.auditLog.findMany({ where: { action: 'DELETE /api/policies/:category/:priority' } });
    expect(audit.map((a) => [a.userId, a.target, a.outcome])).toEqual(
      expect.arrayContaining([
        [admin.userId, 'complaint/high', 'ok'],
        [districtSupervisor.userId, 'complaint/high', 'denied'],
      ]),
    );

    // Removing it again, or removing what was never set, is 404 in words.
    const again = await app.inject({ method: 'DELETE', url: '/api/policies/complaint/high', headers: bearer(admin) });
    expect(again.statusCode).toBe(404);
    expect(again.json().message).toMatch(/没有类别为“complaint”、优先级为“high”的覆盖规则/);
    // Set again, its version goes on: items opened under versions 1 and 2 keep a distinct version.
    const reset = await app.inject({
      method: 'PUT',
      url: '/api/policies/complaint/high',
      headers: bearer(admin),
      payload: body,
    });
    expect(reset.json()).toMatchObject({ version: 3 });
  });

  it('marks the default out of force while a */* override replaces it', async () => {
    await app.inject({
      method: 'PUT',
      url: '/api/policies/*/*',
      headers: bearer(admin),
      payload: { ...body, id: 'everything' },
    });
    expect((await list())[0]).toMatchObject({ kind: 'default', inForce: false });
    expect(await openWith('other', 'normal')).toMatchObject({ id: 'everything' });
    expect((await app.inject({ method: 'DELETE', url: '/api/policies/*/*', headers: bearer(admin) })).statusCode).toBe(
      200,
    );
    expect((await list())[0]).toMatchObject({ kind: 'default', inForce: true });
  });
});

describe('the system acts as the system', () => {
  it('records a ladder rung under the system actor, shown as 系统 in the timeline', async () => {
    // Opened straight on its workflow with a past due date (as items opened before the API's
    // due-date check still run), so its rungs fire at once.
    const due = shiftWorkingDays(cal, shanghaiDate(Date.now()), -12).date;
    const item = await open(t.client, taskQueue, { title: '逾期事项', dueDate: due, category: 'other' });
    const escalation = await until(async () => {
      const e = await db.itemEvent.findFirst({ where: { itemId: item.id, action: 'escalate' } });
      return e ?? undefined;
    });
    expect(escalation).toMatchObject({ actorUserId: 'system', actorRole: 'system', actorName: '系统' });
    const detail = await app.inject({ method: 'GET', url: `/api/items/${item.id}`, headers: bearer(supervisor) });
    expect(detail.statusCode).toBe(200);
    const timeline = detail.json().timeline as Array<{ action: string; actor: Record<string, unknown> }>;
    const rung = timeline.find((e) => e.action === 'escalate');
    expect(rung?.actor).toMatchObject({ userId: SYSTEM_ACTOR.userId, role: 'system', roleLabel: '系统', system: true });
    // Whoever opened it is a person, not the system.
    expect(timeline.find((e) => e.action === 'create')?.actor).toMatchObject({
      role: 'supervisor',
      roleLabel: '督查专员',
      system: false,
    });
  });
});
