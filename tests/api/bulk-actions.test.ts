/**
 * Issue 18: bulk actions (批量催办, 批量延期审批, 批量撤销) on a selection or a filter. The preview
 * says per item what will happen and why not, and changes nothing; the run does exactly what the
 * preview said, through the single-item path, once per item even when the request is retried;
 * an item someone acted on since the preview is reported, not acted on; a unit gets 403; ids the
 * caller may not see are reported as not found, without a title or a state. Real Temporal,
 * PostgreSQL and the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../domain/actors';
import { districtSupervisor, leadA, leadB, supervisor, verifier } from '../support/actors';
import { bearer, dbFingerprint, startApiStack, type ApiStack } from '../support/api';
import { DUE, LATER_DUE } from '../support/dates';
import { uniqueTaskQueue } from '../support/stack';

let stack: ApiStack;

beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('bulk'));
}, 120_000);

afterAll(() => stack?.close());

const call = (url: string, actor: Actor, payload?: unknown, headers: Record<string, string> = {}) =>
  stack.app.inject({
    method: payload === undefined ? 'GET' : 'POST',
    url,
    headers: { ...bearer(actor), ...headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });

async function ok(url: string, actor: Actor, payload?: unknown) {
  const res = await call(url, actor, payload);
  expect(res.statusCode, `${url}: ${res.body}`).toBeLessThan(300);
  return res.json();
}

async function openItems(n: number, title: string, leadUnitId = 'unit-a'): Promise<string[]> {
  const ids: string[] = [];
  // A few at a time: the machine is small.
  for (let i = 0; i < n; i += 10)
    ids.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(10, n - i) }, async (_, j) => {
          const body = await ok('/api/items', supervisor, { title: `${title} ${i + j + 1}`, leadUnitId, dueDate: DUE });
          return body.item.id as string;
        }),
      )),
    );
  return ids;
}

/** Signed, planned, submitted and verified by the lead unit `lead`. */
async function close(id: string, lead: Actor) {
  await ok(`/api/items/${id}/sign`, lead, {});
  await ok(`/api/items/${id}/filePlan`, lead, { plan: '整改方案' });
  await ok(`/api/items/${id}/submit`, lead, { summary: '已整改完毕' });
  await ok(`/api/items/${id}/verifyPass`, verifier, {});
}

const withdraw = (id: string) => ok(`/api/items/${id}/withdraw`, supervisor, { reason: '重复立项' });

interface Preview {
  total: number;
  willApply: number;
  skipped: number;
  items: Array<{ id: string; title?: string; status?: string; outcome: string; reason?: string }>;
  expected: Array<{ id: string; seq: number }>;
}
interface Result {
  total: number;
  applied: number;
  skipped: number;
  failed: number;
  items: Array<{ id: string; outcome: string; reason?: string }>;
}

const ids = (rows: Array<{ id: string; outcome: string }>, outcome: string) =>
  rows
    .filter((r) => r.outcome === outcome)
    .map((r) => r.id)
    .sort();

describe('批量催办', () => {
  it('over 50 items: the preview’s will_apply set is what is urged, each once, with one notice each; a retry urges nothing twice', async () => {
    const all = await openItems(50, '批量催办事项');
    const closed = all.slice(0, 3);
    const withdrawn = all.slice(3, 8);
    await Promise.all(closed.map((id) => close(id, leadA)));
    await Promise.all(withdrawn.map(withdraw));
    const open = all.slice(8);

    const before = await dbFingerprint(stack.db);
    const body = {
      action: 'urge',
      payload: { text: '请于本周内反馈整改进展' },
      target: { ids: [...all, 'I00000000000'] },
    };
    const previewed = await call('/api/items/bulk/preview', supervisor, body);
    expect(previewed.statusCode, previewed.body).toBe(200);
    const preview = previewed.json<Preview>();
    // A preview changes nothing.
    expect(await dbFingerprint(stack.db)).toBe(before);
    expect(preview).toMatchObject({ total: 51, willApply: 42, skipped: 9 });
    expect(ids(preview.items, 'will_apply')).toEqual([...open].sort());
    expect(preview.items.find((i) => i.id === closed[0])).toMatchObject({
      status: 'closed',
      outcome: 'skipped',
      reason: '当前状态“已销号”不能催办',
    });
    expect(preview.items.find((i) => i.id === withdrawn[0])).toMatchObject({
      status: 'withdrawn',
      reason: '当前状态“已撤销”不能催办',
    });
    expect(preview.items.find((i) => i.id === 'I00000000000')).toEqual({
      id: 'I00000000000',
      outcome: 'skipped',
      reason: '事项不存在',
    });
    expect(preview.expected.map((e) => e.id).sort()).toEqual([...open].sort());

    const run = { action: 'urge', payload: body.payload, expected: preview.expected };
    const key = { 'idempotency-key': 'bulk-urge-1' };
    const first = await call('/api/items/bulk', supervisor, run, key);
    expect(first.statusCode, first.body).toBe(200);
    const result = first.json<Result>();
    expect(result).toMatchObject({ total: 42, applied: 42, skipped: 0, failed: 0 });
    expect(ids(result.items, 'applied')).toEqual(ids(preview.items, 'will_apply'));

    // The same request again (a retry after a lost answer): the same answer, nothing urged twice.
    const again = await call('/api/items/bulk', supervisor, run, key);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(result);
    const events = await stack.db.itemEvent.groupBy({
      by: ['itemId'],
      where: { itemId: { in: all }, action: 'urge' },
      _count: true,
    });
    expect(events.map((e) => e.itemId).sort()).toEqual([...open].sort());
    expect(events.every((e) => e._count === 1)).toBe(true);

    // Each item's timeline shows the urge once; the lead unit is told once per item.
    for (const id of open.slice(0, 5)) {
      const timeline = (await ok(`/api/items/${id}`, supervisor)).timeline as Array<{ action: string }>;
      expect(timeline.filter((e) => e.action === 'urge')).toHaveLength(1);
    }
    const notices = await stack.db.notificationRequest.findMany({
      where: { subjectKind: 'item', subjectId: { in: all }, kind: 'urged' },
      select: { subjectId: true, unitIds: true },
    });
    expect(notices.map((n) => n.subjectId).sort()).toEqual([...open].sort());
    expect(notices.every((n) => n.unitIds.length === 1 && n.unitIds[0] === 'unit-a')).toBe(true);

    // A run sent again under a new key acts on nothing: every item was acted on since its preview.
    const stale = await call('/api/items/bulk', supervisor, run, { 'idempotency-key': 'bulk-urge-2' });
    expect(stale.json<Result>()).toMatchObject({ applied: 0, skipped: 42 });
    expect(stale.json<Result>().items[0]!.reason).toBe('预览后该事项有了新的办理记录，未执行，请重新预览');
    expect(await stack.db.itemEvent.count({ where: { itemId: { in: all }, action: 'urge' } })).toBe(42);
  }, 180_000);

  it('a unit’s staff may not, and a payload without its text is a 400 naming the field', async () => {
    const [id] = await openItems(1, '单位无权批量操作');
    const before = await dbFingerprint(stack.db);
    for (const [action, payload] of [
      ['urge', { text: '催办' }],
      ['withdraw', { reason: '撤销' }],
    ] as const) {
      const preview = await call('/api/items/bulk/preview', leadA, { action, payload, target: { ids: [id] } });
      expect(preview.statusCode).toBe(403);
      const run = await call('/api/items/bulk', leadA, { action, payload, expected: [{ id, seq: 1 }] });
      expect(run.statusCode).toBe(403);
    }
    const bad = await call('/api/items/bulk/preview', supervisor, {
      action: 'withdraw',
      payload: {},
      target: { ids: [id] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().fields).toEqual([expect.objectContaining({ field: 'body.payload.reason' })]);
    const unknown = await call('/api/items/bulk/preview', supervisor, {
      action: 'sign',
      payload: {},
      target: { ids: [id] },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().fields[0].field).toBe('body.action');
    expect(await dbFingerprint(stack.db)).toBe(before);
  });

  it('too many ids is a 400 naming body.target.ids and the limit; a body that is not JSON is a 415', async () => {
    const before = await dbFingerprint(stack.db);
    const payload = { text: '催办' };
    const many = Array.from({ length: 501 }, (_, i) => `I${i}`);
    const tooMany = await call('/api/items/bulk/preview', supervisor, {
      action: 'urge',
      payload,
      target: { ids: many },
    });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().fields).toEqual([{ field: 'body.target.ids', reason: '一次最多选择 500 个事项' }]);
    const none = await call('/api/items/bulk/preview', supervisor, { action: 'urge', payload, target: { ids: [] } });
    expect(none.statusCode).toBe(400);
    expect(none.json().fields).toEqual([{ field: 'body.target.ids', reason: '请至少选择 1 个事项' }]);
    for (const url of ['/api/items/bulk/preview', '/api/items/bulk']) {
      const text = await stack.app.inject({
        method: 'POST',
        url,
        headers: { ...bearer(supervisor), 'content-type': 'text/plain' },
        payload: JSON.stringify({ action: 'urge', payload, target: { ids: ['I1'] }, expected: [{ id: 'I1', seq: 1 }] }),
      });
      expect(text.statusCode, url).toBe(415);
      expect(text.json().error).toBe('unsupported_media_type');
    }
    expect(await dbFingerprint(stack.db)).toBe(before);
  });
});

describe('批量撤销', () => {
  it('on a filter: skips what cannot be withdrawn, and an item acted on since the preview', async () => {
    const items = await openItems(7, '批量撤销事项', 'unit-b');
    const [c1, c2, w1, signedLater, ...rest] = items as [string, string, string, string, ...string[]];
    await Promise.all([close(c1, leadB), close(c2, leadB), withdraw(w1)]);
    const body = {
      action: 'withdraw',
      payload: { reason: '任务调整，统一撤销' },
      target: { filter: { unit: 'unit-b' } },
    };
    const preview = (await ok('/api/items/bulk/preview', supervisor, body)) as Preview;
    expect(preview).toMatchObject({ total: 7, willApply: 4, skipped: 3 });
    expect(ids(preview.items, 'skipped')).toEqual([c1, c2, w1].sort());
    expect(preview.items.find((i) => i.id === c1)?.reason).toBe('当前状态“已销号”不能撤销');
    expect(preview.items.find((i) => i.id === w1)?.reason).toBe('当前状态“已撤销”不能撤销');

    // The unit signs one of them meanwhile: it is reported, not withdrawn.
    await ok(`/api/items/${signedLater}/sign`, leadB, {});
    const result = (await ok('/api/items/bulk', supervisor, {
      action: 'withdraw',
      payload: body.payload,
      expected: preview.expected,
    })) as Result;
    expect(result).toMatchObject({ total: 4, applied: 3, skipped: 1, failed: 0 });
    expect(result.items.find((i) => i.id === signedLater)).toMatchObject({
      outcome: 'skipped',
      reason: '预览后该事项有了新的办理记录，未执行，请重新预览',
    });
    expect(ids(result.items, 'applied')).toEqual([...rest].sort());
    const rows = await stack.db.item.findMany({ where: { id: { in: items } }, select: { id: true, status: true } });
    const status = Object.fromEntries(rows.map((r) => [r.id, r.status]));
    expect(rest.map((id) => status[id])).toEqual(rest.map(() => 'withdrawn'));
    expect([status[c1], status[c2], status[signedLater]]).toEqual(['closed', 'closed', 'signed']);
  }, 120_000);

  it('ids the caller may not see are reported as not found, without details, and never touched', async () => {
    const [cityItem] = await openItems(1, '市级事项');
    const [districtItem] = await openItems(1, '区级事项', 'district-a');
    const body = { action: 'withdraw', payload: { reason: '撤销' }, target: { ids: [cityItem, districtItem] } };
    const preview = (await ok('/api/items/bulk/preview', districtSupervisor, body)) as Preview;
    expect(preview.items).toEqual([
      { id: cityItem, outcome: 'skipped', reason: '事项不存在' },
      expect.objectContaining({ id: districtItem, title: '区级事项 1', outcome: 'will_apply' }),
    ]);
    // Even when the run names it.
    const result = (await ok('/api/items/bulk', districtSupervisor, {
      action: 'withdraw',
      payload: body.payload,
      expected: [...preview.expected, { id: cityItem, seq: 1 }],
    })) as Result;
    expect(result.items).toEqual([
      {
        id: districtItem,
        number: expect.any(String),
        title: '区级事项 1',
        status: 'withdrawn',
        statusLabel: '已撤销',
        outcome: 'applied',
      },
      { id: cityItem, outcome: 'skipped', reason: '事项不存在' },
    ]);
    const city = await stack.db.item.findUniqueOrThrow({ where: { id: cityItem! } });
    expect(city.status).toBe('assigned');
  });

  it('an item the preview did not list, sent with a seq it has not reached, is refused and never touched', async () => {
    const [previewed, other] = (await openItems(2, '未预览事项')) as [string, string];
    const payload = { reason: '撤销' };
    const preview = (await ok('/api/items/bulk/preview', supervisor, {
      action: 'withdraw',
      payload,
      target: { ids: [previewed] },
    })) as Preview;
    expect(preview.expected.map((e) => e.id)).toEqual([previewed]);
    const result = (await ok('/api/items/bulk', supervisor, {
      action: 'withdraw',
      payload,
      expected: [...preview.expected, { id: other, seq: 999 }],
    })) as Result;
    expect(result).toMatchObject({ applied: 1, skipped: 1 });
    expect(result.items.find((i) => i.id === other)).toMatchObject({
      outcome: 'skipped',
      reason: '该事项不在预览结果中或预览后有了新的办理记录，未执行，请重新预览',
    });
    const row = await stack.db.item.findUniqueOrThrow({ where: { id: other } });
    expect(row.status).toBe('assigned');
    expect(await stack.db.itemEvent.count({ where: { itemId: other, action: 'withdraw' } })).toBe(0);
  });
});

describe('批量延期审批', () => {
  it('decides the pending requests; an item without one is skipped with the reason', async () => {
    const items = await openItems(3, '延期审批事项');
    for (const id of items) await ok(`/api/items/${id}/sign`, leadA, {});
    for (const id of items.slice(0, 2))
      await ok(`/api/items/${id}/requestExtension`, leadA, { dueDate: LATER_DUE, reason: '工程量大' });
    const body = { action: 'decideExtension', payload: { approved: true, opinion: '同意延期' } };
    const preview = (await ok('/api/items/bulk/preview', supervisor, { ...body, target: { ids: items } })) as Preview;
    expect(preview).toMatchObject({ willApply: 2, skipped: 1 });
    expect(preview.items[2]).toMatchObject({ outcome: 'skipped', reason: '没有待审批的延期申请' });
    const result = (await ok('/api/items/bulk', supervisor, { ...body, expected: preview.expected })) as Result;
    expect(result).toMatchObject({ applied: 2, skipped: 0, failed: 0 });
    const rows = await stack.db.item.findMany({ where: { id: { in: items } }, select: { id: true, dueDate: true } });
    const due = Object.fromEntries(rows.map((r) => [r.id, r.dueDate]));
    expect(items.map((id) => due[id])).toEqual([LATER_DUE, LATER_DUE, DUE]);
  }, 120_000);
});
