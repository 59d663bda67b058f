/**
 * Every refused request leaves a row in the audit log, whatever its status and length, and
 * leaves the API in the product's one error shape; tokens that claim too much are refused, and
 * failed authentications are limited per address.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../api/app';
import { DEFAULT_TEMPORAL_TIMEOUT_MS } from '../../lib/config';
import { lifetimeProblem, MAX_TOKEN_SECONDS, signToken } from '../../lib/tokens';
import * as p from '../support/actors';
import { bearer, startApiStack, TEST_SECRET, testApp, type ApiStack } from '../support/api';
import { DUE } from '../support/dates';
import { uniqueTaskQueue } from '../support/stack';

let stack: ApiStack;
let item = '';
beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('refusals'));
  const res = await stack.app.inject({
    method: 'POST',
    url: '/api/items',
    headers: bearer(p.supervisor),
    payload: { title: '审计测试', leadUnitId: 'unit-a', dueDate: DUE },
  });
  expect(res.statusCode, res.body).toBe(201);
  item = res.json().item.id;
}, 60_000);
afterAll(async () => stack?.close());

/** The audit rows written for one request id. */
async function rowsFor(requestId: string) {
  return stack.db.auditLog.findMany({ where: { requestId } });
}

let n = 0;
async function send(
  opts: { method?: string; url: string; headers?: Record<string, string>; payload?: string | Buffer | object },
  app: App = stack.app,
) {
  const id = `refusal-${process.pid}-${++n}`;
  const res = await app.inject({
    method: (opts.method ?? 'GET') as 'GET',
    url: opts.url,
    headers: { 'x-request-id': id, ...opts.headers },
    ...(opts.payload !== undefined ? { payload: opts.payload } : {}),
  });
  return { res, id };
}

function expectErrorShape(body: string) {
  const json = JSON.parse(body) as Record<string, unknown>;
  expect(typeof json.error).toBe('string');
  expect(json.message).toMatch(/[\u4e00-\u9fff]/);
  expect(json).not.toHaveProperty('statusCode');
  expect(json).not.toHaveProperty('code');
}

describe('every refusal is audited', () => {
  it('401 without a token, 403 by role, 404 on another unit’s item (detail, ledger, evidence list), each as one row', async () => {
    const cases: Array<[{ url: string; headers?: Record<string, string> }, number, string | null]> = [
      [{ url: '/api/users' }, 401, null],
      [{ url: '/%61pi/users' }, 401, null],
      [{ url: '/api/users', headers: bearer(p.leadA) }, 403, p.leadA.userId],
      [{ url: `/api/items/${item}`, headers: bearer(p.outsider) }, 404, p.outsider.userId],
      [{ url: `/api/items/${item}/ledger`, headers: bearer(p.outsider) }, 404, p.outsider.userId],
      [{ url: `/api/items/${item}/evidence`, headers: bearer(p.outsider) }, 404, p.outsider.userId],
      [{ url: '/api/no-such-route', headers: bearer(p.outsider) }, 404, null],
    ];
    for (const [req, status, userId] of cases) {
      const { res, id } = await send(req);
      expect(res.statusCode, req.url).toBe(status);
      expectErrorShape(res.body);
      const rows = await rowsFor(id);
      expect(rows, req.url).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status, outcome: 'denied', userId });
    }
  });

  it('a path of any length is recorded, clipped, with the hash of the whole URL; an over-long parameter is 414 in words', async () => {
    for (const len of [3000, 10_000]) {
      // A long path of ordinary segments reaches no route: 404, recorded.
      const path = `/api/items${'/aaaaaaaaa'.repeat(len / 10)}`;
      const { res, id } = await send({ url: path, headers: bearer(p.supervisor) });
      expect(res.statusCode).toBe(404);
      expectErrorShape(res.body);
      const [row] = await rowsFor(id);
      expect(row, `GET of ${len}`).toBeDefined();
      expect((row!.detail as { urlLength: number; urlSha256: string }).urlLength).toBe(path.length);
      expect((row!.detail as { urlSha256: string }).urlSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(row!.action.length).toBeLessThan(600);

      // One parameter over the router's limit: 414, recorded, whatever the method.
      const get = await send({ url: `/api/items/${'a'.repeat(len)}`, headers: bearer(p.supervisor) });
      expect(get.res.statusCode).toBe(414);
      expect(await rowsFor(get.id), `GET of ${len}`).toHaveLength(1);

      const post = await send({
        method: 'POST',
        url: `/api/items/${'b'.repeat(len)}/sign`,
        headers: bearer(p.leadA),
        payload: {},
      });
      expect(post.res.statusCode).toBe(414);
      expect(post.res.json()).toMatchObject({ error: 'uri_too_long', message: '请求地址过长' });
      expect(await rowsFor(post.id), `POST of ${len}`).toHaveLength(1);
    }
  });

  it('a malformed escape is 400 in words and audited once', async () => {
    const { res, id } = await send({ url: '/api/items/%zz' });
    expect(res.statusCode).toBe(400);
    expectErrorShape(res.body);
    expect(await rowsFor(id)).toHaveLength(1);
  });

  it('413 (body too large) and 415 are audited', async () => {
    const big = await send({
      method: 'POST',
      url: '/api/items',
      headers: { ...bearer(p.supervisor), 'content-type': 'application/json' },
      payload: JSON.stringify({ title: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(big.res.statusCode).toBe(413);
    expectErrorShape(big.res.body);
    expect(await rowsFor(big.id)).toMatchObject([{ status: 413, outcome: 'refused', userId: p.supervisor.userId }]);
    const odd = await send({
      method: 'POST',
      url: '/api/items',
      headers: { ...bearer(p.supervisor), 'content-type': 'application/xml' },
      payload: '<x/>',
    });
    expect(odd.res.statusCode).toBe(415);
    expectErrorShape(odd.res.body);
    expect(await rowsFor(odd.id)).toHaveLength(1);
  });
});

describe('tokens', () => {
  it('refuses a token issued in the future or living longer than 90 days; accepts the longest the CLI issues', async () => {
    const now = Date.now();
    const future = signToken({ userId: p.supervisor.userId }, TEST_SECRET, 3600, now + 10 * 60_000);
    const century = signToken({ userId: p.supervisor.userId }, TEST_SECRET, 100 * 365 * 86400, now);
    const longest = signToken({ userId: p.supervisor.userId }, TEST_SECRET, MAX_TOKEN_SECONDS, now);
    const skewed = signToken({ userId: p.supervisor.userId }, TEST_SECRET, 3600, now + 20_000);
    for (const [token, status, reason] of [
      [future, 401, '签发时间晚于当前时间'],
      [century, 401, '有效期超过 90 天'],
      [longest, 200, null],
      [skewed, 200, null],
    ] as const) {
      const { res } = await send({ url: '/api/me', headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBe(status);
      if (reason) expect(res.json().message).toContain(reason);
    }
    expect(lifetimeProblem(undefined, Math.floor(now / 1000) + 200 * 86400, now / 1000)).toContain('90 天');
  });

  it('limits failed authentications per address, and audits the 429', async () => {
    const app = await testApp(stack.db, stack.t.client, 'unused', DEFAULT_TEMPORAL_TIMEOUT_MS, {
      limits: { authFailures: 5 },
    });
    try {
      for (let i = 0; i < 5; i++)
        expect((await send({ url: '/api/items', headers: { authorization: 'Bearer nope' } }, app)).res.statusCode).toBe(
          401,
        );
      const blocked = await send({ url: '/api/items', headers: { authorization: 'Bearer nope' } }, app);
      expect(blocked.res.statusCode).toBe(429);
      expect(blocked.res.json().message).toMatch(/身份验证失败次数过多，请 \d+ 秒后再试/);
      expect(await rowsFor(blocked.id)).toMatchObject([{ status: 429, outcome: 'refused' }]);
      // Public routes still answer; the address waits for the window for the rest.
      expect((await send({ url: '/api/health' }, app)).res.statusCode).toBe(200);
      expect((await send({ url: '/api/me', headers: bearer(p.supervisor) }, app)).res.statusCode).toBe(429);
    } finally {
      await app.close();
    }
  });
});
