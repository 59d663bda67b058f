import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../api/app';
import { createDb, type Db } from '../../lib/db';
import { signToken } from '../../lib/tokens';
import { attach, jpeg, pdf } from '../support/files';
import { coC, leadA, leader, outsider, supervisor, verifier } from '../support/actors';
import { DUE } from '../support/dates';
import { type ApiStack, TEST_SECRET, bearer, dbFingerprint, startApiStack, testApp } from '../support/api';
import { uniqueTaskQueue, type TemporalHandles } from '../support/stack';

let stack: ApiStack;
let t: TemporalHandles;
let db: Db;
let app: App;
const taskQueue = uniqueTaskQueue('api');

beforeAll(async () => {
  stack = await startApiStack(taskQueue);
  ({ t, db, app } = stack);
});

afterAll(() => stack?.close());

const newItem = {
  title: '某小区消防通道被占用',
  description: '专项督查发现：3号楼消防通道堆放杂物',
  category: 'inspection',
  priority: 'high',
  source: '2026年消防安全专项督查',
  leadUnitId: 'unit-a',
  coUnitIds: ['unit-c'],
  dueDate: DUE,
};

async function post(
  url: string,
  actor: typeof supervisor | null,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  return app.inject({
    method: 'POST',
    url,
    headers: { ...(actor ? bearer(actor) : {}), ...headers },
    ...(body === undefined ? {} : { payload: body as object }),
  });
}

async function createOne(overrides: Record<string, unknown> = {}): Promise<string> {
  const res = await post('/api/items', supervisor, { ...newItem, ...overrides });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().item.id;
}

describe('the item API on real Temporal and PostgreSQL', () => {
  it('runs an item from open to close over HTTP, with a full timeline', async () => {
    const id = await createOne();
    const photo = await attach(app, id, leadA, [{ name: '整改后照片.jpg', content: jpeg('after') }]);
    const rules = await attach(app, id, leadA, [{ name: '巡查制度.pdf', content: pdf('rules') }]);
    const steps: Array<[string, typeof supervisor, unknown]> = [
      ['coSign', coC, undefined],
      ['sign', leadA, { note: '已签收' }],
      ['filePlan', leadA, { plan: '一、清理杂物；二、设置警示标志；三、建立巡查制度', attachments: [] }],
      ['coComplete', coC, { text: '已配合开展联合执法', attachments: [] }],
      ['reportProgress', leadA, { text: '杂物已清理完毕', percent: 60 }],
      ['submit', leadA, { summary: '整改完成', attachments: photo }],
      ['verifyReturn', verifier, { reasons: '缺少巡查制度文件' }],
      ['submit', leadA, { summary: '补充巡查制度', attachments: rules }],
      ['verifyPass', verifier, { opinion: '经现场核查，整改到位' }],
    ];
    for (const [action, actor, body] of steps) {
      const res = await post(`/api/items/${id}/${action}`, actor, body);
      expect(res.statusCode, `${action}: ${res.body}`).toBe(200);
    }
    const detail = await app.inject({ method: 'GET', url: `/api/items/${id}`, headers: bearer(supervisor) });
    expect(detail.statusCode).toBe(200);
    const { item, timeline } = detail.json();
    expect(item).toMatchObject({ status: 'closed', statusLabel: '已销号', returnCount: 1, allowedActions: [] });
    // Closed with no 回头看 pending, its workflow has ended: a leader is offered no 批示 or 圈阅 it
    // could not take, and one sent anyway is told why, naming nothing as allowed.
    const asLeader = await app.inject({ method: 'GET', url: `/api/items/${id}`, headers: bearer(leader) });
    expect(asLeader.json().item).toMatchObject({ allowedActions: [], blockedActions: [] });
    const initial = await post(`/api/items/${id}/initial`, leader, { note: '阅' });
    expect(initial.statusCode).toBe(409);
    expect(initial.json()).toMatchObject({ message: expect.stringContaining('已办结'), allowedActions: [] });
    expect(timeline.map((e: { action: string }) => e.action)).toEqual(['create', ...steps.map(([a]) => a)]);
    expect(timeline[7]).toMatchObject({
      actionLabel: '核查退回',
      actor: { userId: verifier.userId, role: 'verifier' },
      payload: { reasons: '缺少巡查制度文件' },
    });
    expect(timeline[6].attachments).toEqual([
      {
        name: '整改后照片.jpg',
        ref: `evidence:${photo[0]!.sha256}`,
        sha256: photo[0]!.sha256,
        mime: 'image/jpeg',
        size: jpeg('after').length,
      },
    ]);
  });

  it('answers 400 naming each bad field, and changes nothing', async () => {
    const before = await dbFingerprint(db);
    const res = await post('/api/items', supervisor, {
      ...newItem,
      title: '',
      dueDate: '2026-02-30',
      priority: 'whenever',
    });
    expect(res.statusCode).toBe(400);
    const fields = res
      .json()
      .fields.map((f: { field: string }) => f.field)
      .sort();
    expect(fields).toEqual(['body.dueDate', 'body.priority', 'body.title']);
    const unknownUnit = await post('/api/items', supervisor, { ...newItem, leadUnitId: 'no-such-unit' });
    expect(unknownUnit.statusCode).toBe(400);
    expect(unknownUnit.json().fields).toEqual([{ field: 'body.leadUnitId', reason: '单位“no-such-unit”不存在' }]);
    const massAssignment = await post('/api/items', supervisor, { ...newItem, status: 'closed' });
    expect(massAssignment.statusCode).toBe(400);
    expect(JSON.stringify(massAssignment.json().fields)).toContain('status');
    const badJson = await app.inject({
      method: 'POST',
      url: '/api/items',
      headers: { ...bearer(supervisor), 'content-type': 'application/json' },
      payload: '{"title": ',
    });
    expect(badJson.statusCode).toBe(400);
    expect(await dbFingerprint(db)).toBe(before);
  });

  it('answers 401 without a valid token', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/items' })).statusCode).toBe(401);
    const wrong = await app.inject({
      method: 'GET',
      url: '/api/items',
      headers: { authorization: `Bearer ${signToken(supervisor, 'another-secret-another-secret-another')}` },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().message).toContain('签名无效');
    const expired = await app.inject({
      method: 'GET',
      url: '/api/items',
      headers: { authorization: `Bearer ${signToken(supervisor, TEST_SECRET, 60, Date.now() - 3600_000)}` },
    });
    expect(expired.json().message).toContain('已过期');
    expect(
      (await app.inject({ method: 'GET', url: '/api/items', headers: { authorization: 'Bearer abc' } })).statusCode,
    ).toBe(401);
  });

  it('answers 404 for an unknown item, and for an item of another unit', async () => {
    const before = await dbFingerprint(db);
    const res = await post('/api/items/INOPE/sign', leadA);
    expect(res.statusCode).toBe(404);
    expect(res.json().message).toBe('事项不存在');
    const id = await createOne();
    const mid = await dbFingerprint(db);
    expect((await app.inject({ method: 'GET', url: `/api/items/${id}`, headers: bearer(outsider) })).statusCode).toBe(
      404,
    );
    expect((await post(`/api/items/${id}/sign`, outsider)).statusCode).toBe(404);
    expect(await dbFingerprint(db)).toBe(mid);
    expect(before).not.toBe(mid);
  });

  it('answers 409 with the state and the allowed actions, and changes nothing', async () => {
    const id = await createOne();
    const before = await dbFingerprint(db);
    const res = await post(`/api/items/${id}/submit`, leadA, { summary: '提前申请销号', attachments: [] });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({
      error: 'conflict',
      reason: 'not_allowed_in_state',
      state: 'assigned',
      stateLabel: '待签收',
    });
    expect(res.json().allowedActions).toEqual(expect.arrayContaining(['sign', 'decline']));
    expect(await dbFingerprint(db)).toBe(before);
  });

  it('answers 403 when the actor may not take the action', async () => {
    const id = await createOne();
    const before = await dbFingerprint(db);
    expect((await post(`/api/items/${id}/sign`, supervisor)).statusCode).toBe(403);
    expect((await post(`/api/items/${id}/coSign`, leadA)).statusCode).toBe(403);
    expect((await post('/api/items', leadA, newItem)).statusCode).toBe(403);
    expect(await dbFingerprint(db)).toBe(before);
  });

  it('acts once for a repeated Idempotency-Key and refuses the key for another request', async () => {
    const id = await createOne();
    const first = await post(`/api/items/${id}/sign`, leadA, { note: '签收' }, { 'idempotency-key': 'sign-1' });
    const second = await post(`/api/items/${id}/sign`, leadA, { note: '签收' }, { 'idempotency-key': 'sign-1' });
    expect(first.statusCode).toBe(200);
    expect(second.statusCode).toBe(200);
    expect(second.json()).toEqual(first.json());
    expect(await db.itemEvent.count({ where: { itemId: id } })).toBe(2);
    const reused = await post(`/api/items/${id}/filePlan`, leadA, { plan: '方案' }, { 'idempotency-key': 'sign-1' });
    expect(reused.statusCode).toBe(422);
    const together = await Promise.all(
      [1, 2, 3].map(() => post(`/api/items/${id}/filePlan`, leadA, { plan: '方案' }, { 'idempotency-key': 'plan-1' })),
    );
    expect(together.filter((r) => r.statusCode === 200).length).toBeGreaterThanOrEqual(1);
    expect(together.every((r) => r.statusCode === 200 || r.statusCode === 409)).toBe(true);
    expect(await db.itemEvent.count({ where: { itemId: id, action: 'filePlan' } })).toBe(1);
  });

  it('opens one item for a create retried under its Idempotency-Key after the first try was not answered', async () => {
    const key = { 'idempotency-key': 'open-retried-1' };
    const first = await post('/api/items', supervisor, newItem, key);
    expect(first.statusCode).toBe(201);
    // As a 503 or a timeout leaves it: the key released, the workflow started.
    await db.idempotencyKey.delete({
      where: { actorUserId_key: { actorUserId: supervisor.userId, key: key['idempotency-key'] } },
    });
    const retried = await post('/api/items', supervisor, newItem, key);
    expect(retried.statusCode).toBe(201);
    expect(retried.json().item.id).toBe(first.json().item.id);
    expect(await db.item.count({ where: { title: newItem.title, id: first.json().item.id } })).toBe(1);
    expect(await db.itemEvent.count({ where: { itemId: first.json().item.id } })).toBe(1);
  });

  it('lists with filters, sorting and pages; a unit sees only its own', async () => {
    const late = await createOne({
      title: '逾期未整改的问题',
      dueDate: '2020-01-31',
      // Past due dates are refused except for items imported from an older system (issue 16).
      backdated: true,
      openedOn: '2020-01-02',
      leadUnitId: 'unit-b',
      coUnitIds: [],
    });
    const page = await app.inject({
      method: 'GET',
      url: '/api/items?overdue=true&unit=unit-b',
      headers: bearer(supervisor),
    });
    expect(page.statusCode).toBe(200);
    expect(page.json().items.map((i: { id: string }) => i.id)).toEqual([late]);
    expect(page.json().items[0]).toMatchObject({ overdue: true, statusLabel: '待签收' });
    const sorted = await app.inject({
      method: 'GET',
      url: '/api/items?sort=dueDate&pageSize=1',
      headers: bearer(supervisor),
    });
    expect(sorted.json()).toMatchObject({ page: 1, pageSize: 1 });
    expect(sorted.json().items[0].id).toBe(late);
    expect(sorted.json().total).toBeGreaterThan(1);
    const closed = await app.inject({ method: 'GET', url: '/api/items?status=closed', headers: bearer(supervisor) });
    expect(closed.json().items.every((i: { status: string }) => i.status === 'closed')).toBe(true);
    const mine = await app.inject({ method: 'GET', url: '/api/items?pageSize=100', headers: bearer(leadA) });
    expect(
      mine
        .json()
        .items.every(
          (i: { leadUnitId: string; coUnitIds: string[] }) =>
            i.leadUnitId === 'unit-a' || i.coUnitIds.includes('unit-a'),
        ),
    ).toBe(true);
    expect(mine.json().items.some((i: { id: string }) => i.id === late)).toBe(false);
    const bad = await app.inject({
      method: 'GET',
      url: '/api/items?status=nonsense&pageSize=1000',
      headers: bearer(supervisor),
    });
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json()
        .fields.map((f: { field: string }) => f.field)
        .sort(),
    ).toEqual(['querystring.pageSize', 'querystring.status.0']);
  });

  it('serves its OpenAPI document', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/items',
        '/api/items/{id}/sign',
        '/api/items/{id}/verifyReturn',
        '/api/problem-lists',
      ]),
    );
  });
});

describe('when a dependency is down', () => {
  it('answers 503 when Temporal is unreachable, and records nothing', async () => {
    const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 });
    const deadApp = await testApp(db, new Client({ connection }), taskQueue, 3000);
    try {
      const before = await dbFingerprint(db);
      const res = await deadApp.inject({
        method: 'POST',
        url: '/api/items',
        headers: bearer(supervisor),
        payload: newItem,
      });
      expect(res.statusCode, res.body).toBe(503);
      expect(res.json()).toMatchObject({ error: 'unavailable', dependency: 'temporal' });
      expect(await dbFingerprint(db)).toBe(before);
    } finally {
      await deadApp.close();
    }
  });

  it('answers 503 when PostgreSQL is unreachable', async () => {
    const deadDb = createDb('postgresql://duban:duban@127.0.0.1:1/duban');
    const deadApp = await testApp(deadDb, t.client, taskQueue);
    try {
      const list = await deadApp.inject({ method: 'GET', url: '/api/items', headers: bearer(supervisor) });
      expect(list.statusCode, list.body).toBe(503);
      expect(list.json()).toMatchObject({ error: 'unavailable', dependency: 'database' });
      const create = await deadApp.inject({
        method: 'POST',
        url: '/api/items',
        headers: bearer(supervisor),
        payload: newItem,
      });
      expect(create.statusCode).toBe(503);
    } finally {
      await deadApp.close();
      await deadDb.$disconnect();
    }
  });
});
