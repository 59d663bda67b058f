/**
 * What the console reads: the dashboard's aggregates (checked against the list's own counts),
 * the inbox (who owes what, most urgent first), the CSV export, and how the console itself is
 * served (CSP, cached assets, the fallback to index.html, demo sign-in only when enabled).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TEMPORAL_TIMEOUT_MS } from '../../lib/config';
import { CONSOLE_DIST } from '../../api/console';
import { addDays, shanghaiDate } from '../../domain/calendar';
import { coC, districtSupervisor, leadA, leadB, outsider, supervisor, verifier } from '../support/actors';
import { bearer, startApiStack, testApp, TEST_SECRET, type ApiStack } from '../support/api';
import { uniqueTaskQueue } from '../support/stack';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

let stack: ApiStack;
const due = (days: number) => addDays(shanghaiDate(Date.now()), days);
const ids: Record<string, string> = {};

async function call(method: 'GET' | 'POST', url: string, actor: { userId: string } | null, payload?: object) {
  return stack.app.inject({ method, url, headers: actor ? bearer(actor) : {}, ...(payload ? { payload } : {}) });
}
async function open(key: string, body: Record<string, unknown>) {
  const r = await call('POST', '/api/items', supervisor, {
    title: `看板测试 ${key}`,
    leadUnitId: 'unit-a',
    dueDate: due(30),
    ...body,
  });
  expect(r.statusCode, r.body).toBe(201);
  ids[key] = r.json().item.id;
  return ids[key]!;
}
async function act(key: string, action: string, actor: { userId: string }, payload: object = {}) {
  const r = await call('POST', `/api/items/${ids[key]}/${action}`, actor, payload);
  expect(r.statusCode, r.body).toBe(200);
}

beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('console-api'));
  await open('assigned', { dueDate: due(40) });
  // Overdue from the start: only an item imported from an older system may be (issue 16).
  await open('overdue', { dueDate: due(-3), backdated: true, openedOn: due(-40) });
  await open('co', { coUnitIds: ['unit-c'] });
  await open('toVerify', {});
  await act('toVerify', 'sign', leadA);
  await act('toVerify', 'filePlan', leadA, { plan: '方案' });
  await act('toVerify', 'submit', leadA, { summary: '完成' });
  await open('returned', {});
  await act('returned', 'sign', leadA);
  await act('returned', 'filePlan', leadA, { plan: '方案' });
  await act('returned', 'submit', leadA, { summary: '完成' });
  await act('returned', 'verifyReturn', verifier, { reasons: '照片不清楚，请重新拍摄' });
  await open('extension', {});
  await act('extension', 'sign', leadA);
  await act('extension', 'requestExtension', leadA, { dueDate: due(60), reason: '汛期施工受阻' });
  await open('closed', {});
  await act('closed', 'sign', leadA);
  await act('closed', 'filePlan', leadA, { plan: '方案' });
  await act('closed', 'submit', leadA, { summary: '完成' });
  await act('closed', 'verifyPass', verifier);
  await open('otherUnit', { leadUnitId: 'unit-b' });
}, 120_000);
afterAll(() => stack?.close());

describe('GET /api/dashboard', () => {
  it("agrees with the list's counts by status, light and overdue, for whoever asks", async () => {
    for (const actor of [supervisor, leadA, leadB, districtSupervisor]) {
      const d = (await call('GET', '/api/dashboard', actor)).json();
      const total = async (q: string) => (await call('GET', `/api/items?pageSize=1${q}`, actor)).json().total as number;
      expect(d.total).toBe(await total(''));
      for (const s of d.byStatus)
        expect(s.count, `${actor.userId} ${s.status}`).toBe(await total(`&status=${s.status}`));
      const openStatuses = 'assigned,declined,arbitration,signed,rectifying,verifying,suspended';
      for (const l of d.byLight) expect(l.count).toBe(await total(`&light=${l.light}&status=${openStatuses}`));
      expect(d.open).toBe(await total(`&status=${openStatuses}`));
      expect(d.overdue).toBe(await total('&overdue=true'));
      expect(d.trend).toHaveLength(12);
      expect(d.trend.reduce((n: number, w: { opened: number }) => n + w.opened, 0)).toBe(d.total);
    }
  });

  it('names the units with overdue items, and only those the caller oversees', async () => {
    const d = (await call('GET', '/api/dashboard', supervisor)).json();
    expect(d.overdueByUnit).toEqual([
      { unitId: 'unit-a', unitName: '市民政局', count: 1, earliestDue: due(-3), urged: 0 },
    ]);
    expect(d.closed).toBe(1);
    const district = (await call('GET', '/api/dashboard', districtSupervisor)).json();
    expect(district.total).toBe(0);
    expect(district.overdueByUnit).toEqual([]);
    const b = (await call('GET', '/api/dashboard', leadB)).json();
    expect(b.total).toBe(1);
  });
});

describe('GET /api/inbox', () => {
  it("lists what the lead unit owes, most urgent first, with the last return's reasons", async () => {
    const { entries } = (await call('GET', '/api/inbox', leadA)).json();
    const byKey = Object.fromEntries(
      Object.entries(ids).map(([k, id]) => [k, entries.find((e: { itemId: string }) => e.itemId === id)]),
    );
    expect(byKey.assigned.owes).toEqual(['sign']);
    expect(byKey.returned.owes).toEqual(['reportProgress', 'submit']);
    expect(byKey.returned.lastReturn).toBe('照片不清楚，请重新拍摄');
    expect(byKey.extension.owes).toEqual(['filePlan']);
    // Waiting for the verifier, closed, or another unit's: nothing owed.
    expect(byKey.toVerify).toBeUndefined();
    expect(byKey.closed).toBeUndefined();
    expect(byKey.otherUnit).toBeUndefined();
    // A returned item first (the unit's first business), then fewest working days left.
    expect(entries[0].itemId).toBe(ids.returned);
    expect(entries[0].returned).toBe(true);
    const left = entries.slice(1).map((e: { workingDaysLeft: number }) => e.workingDaysLeft);
    expect([...left].sort((a, b) => a - b)).toEqual(left);
    expect(entries.every((e: { deadlineLabel: string }) => e.deadlineLabel.endsWith('期限'))).toBe(true);
  });

  it('lists the co-unit its part, and the supervisor what waits on oversight', async () => {
    const co = (await call('GET', '/api/inbox', coC)).json().entries;
    expect(co.map((e: { itemId: string }) => e.itemId)).toEqual([ids.co]);
    expect(co[0].owes).toEqual(['coSign']);
    const sup = (await call('GET', '/api/inbox', supervisor)).json().entries;
    const owes = Object.fromEntries(sup.map((e: { itemId: string; owes: string[] }) => [e.itemId, e.owes]));
    // Both ways out of verification are named.
    expect(owes[ids.toVerify!]).toEqual(['verifyPass', 'verifyReturn']);
    expect(owes[ids.extension!]).toEqual(['decideExtension']);
    expect(owes[ids.assigned!]).toBeUndefined();
    expect((await call('GET', '/api/inbox', outsider)).json().entries).toEqual([]);
  });
});

describe('GET /api/items/export', () => {
  it('exports the filtered list as CSV with a byte-order mark, one row per item', async () => {
    const r = await call('GET', '/api/items/export?unit=unit-a&sort=dueDate', supervisor);
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain('text/csv');
    expect(r.headers['content-disposition']).toMatch(/attachment; filename="items-/);
    expect(r.body.startsWith('\uFEFF编号,标题,状态,灯色,牵头单位')).toBe(true);
    const rows = r.body.trim().split('\r\n').slice(1);
    const listed = (await call('GET', '/api/items?unit=unit-a&sort=dueDate&pageSize=100', supervisor))
      .json()
      .items.map((i: { id: string }) => i.id);
    expect(rows.map((row) => row.split(',')[0])).toEqual(listed);
    expect(rows.find((row) => row.startsWith(ids.closed!))).toContain('已销号');
    expect(rows.find((row) => row.startsWith(ids.co!))).toContain('市公安局');
    const audited = await stack.db.auditLog.findFirst({
      where: { action: { contains: '/api/items/export' }, userId: supervisor.userId },
    });
    expect(audited?.outcome).toBeTruthy();
  });

  it('is refused to units (they have no export permission) and checks its filters', async () => {
    expect((await call('GET', '/api/items/export', leadA)).statusCode).toBe(403);
    const bad = await call('GET', '/api/items/export?status=nonsense', supervisor);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().fields[0].field).toContain('status');
  });
});

describe('the console, as served', () => {
  it('answers every path outside /api with the console page under a strict CSP', async () => {
    for (const url of ['/', '/items/I0000', '/cycles/x-2026-10', '/inbox?x=1']) {
      const r = await call('GET', url, null);
      expect(r.statusCode).toBe(200);
      expect(r.headers['content-type']).toContain('text/html');
      expect(r.body).toContain('<html lang="zh-CN">');
      expect(r.headers['content-security-policy']).toContain("script-src 'self'");
      expect(r.headers['content-security-policy']).not.toContain('unsafe-eval');
      expect(r.headers['x-frame-options']).toBe('DENY');
    }
    // No route: nothing to protect, the same 404 with or without a token.
    const api = await call('GET', '/api/nothing-here', null);
    expect(api.statusCode).toBe(404);
    const apiAuthed = await call('GET', '/api/nothing-here', supervisor);
    expect(apiAuthed.statusCode).toBe(404);
    expect(apiAuthed.json().error).toBe('not_found');
  });

  it('serves the built scripts with long caching, and nothing outside the assets folder', async () => {
    expect(existsSync(path.join(CONSOLE_DIST, 'index.html'))).toBe(true);
    const html = readFileSync(path.join(CONSOLE_DIST, 'index.html'), 'utf8');
    const entry = /src="(\/assets\/main-[\w-]+\.js)"/.exec(html)?.[1];
    expect(entry).toBeTruthy();
    const js = await call('GET', entry!, null);
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toContain('text/javascript');
    expect(js.headers['cache-control']).toContain('immutable');
    const gz = await stack.app.inject({ method: 'GET', url: entry!, headers: { 'accept-encoding': 'gzip, br' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).equals(js.rawPayload)).toBe(true);
    for (const bad of ['/assets/..%2Fsizes.json', '/assets/nope.js', '/assets/x.exe'])
      expect((await call('GET', bad, null)).statusCode).toBe(404);
  });

  it('offers demo sign-in only where the embedded default turns it on', async () => {
    expect((await call('GET', '/api/demo/users', null)).statusCode).toBe(404);
    const demo = await testApp(stack.db, stack.t.client, 'unused', DEFAULT_TEMPORAL_TIMEOUT_MS, {
      demoSignIn: { users: [supervisor], secret: TEST_SECRET },
    });
    try {
      const users = await demo.inject({ method: 'GET', url: '/api/demo/users' });
      expect(users.json().users).toEqual([
        { userId: supervisor.userId, name: supervisor.name, role: 'supervisor', roleLabel: '督查专员', unitId: 'dcs' },
      ]);
      expect(
        (await demo.inject({ method: 'POST', url: '/api/demo/sign-in', payload: { userId: leadA.userId } })).statusCode,
      ).toBe(400);
      const token = (
        await demo.inject({ method: 'POST', url: '/api/demo/sign-in', payload: { userId: supervisor.userId } })
      ).json().token;
      const me = await demo.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${token}` } });
      expect(me.json().actor.userId).toBe(supervisor.userId);
    } finally {
      await demo.close();
    }
  });
});
