/**
 * Issue 16, problem 8 (part): the per-token limit (120 requests that send mail a minute, replays
 * of stored answers counted) stopped a handler working through 10 items. The defaults are now
 * sized for a day of real work (README, Configuration) and a replayed stored answer is not
 * counted.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../api/app';
import { DEFAULT_TEMPORAL_TIMEOUT_MS } from '../../lib/config';
import { leadA } from '../support/actors';
import { bearer, startApiStack, testApp, type ApiStack } from '../support/api';
import { testConfig } from '../support/config';
import { open } from '../support/items';
import { uniqueTaskQueue } from '../support/stack';

let stack: ApiStack;
let app: App;
const taskQueue = uniqueTaskQueue('rate-limits');

beforeAll(async () => {
  // The product's default limits: nothing set for this test.
  stack = await startApiStack(taskQueue);
  app = stack.app;
});

afterAll(() => stack?.close());

const openItems = async (n: number, title: string) => {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 10)
    ids.push(
      ...(
        await Promise.all(
          Array.from({ length: Math.min(10, n - i) }, (_, j) =>
            open(stack.t.client, taskQueue, { title: `${title}${i + j}` }),
          ),
        )
      ).map((item) => item.id),
    );
  return ids;
};

describe('rate limits sized for a day of real work', () => {
  it('does not stop a handler taking 30 items through sign and plan in quick succession, retries included', async () => {
    const config = testConfig();
    // The sizing in the README: 50 items an hour from signing to submission is 200 actions and
    // about 850 requests; each limit holds that hour's work within one minute.
    expect(config.RATE_LIMIT_MAIL_PER_MINUTE).toBeGreaterThanOrEqual(200);
    expect(config.RATE_LIMIT_PER_MINUTE).toBeGreaterThanOrEqual(850);

    const ids = await openItems(30, '限流测试事项');
    const statuses: number[] = [];
    const get = async (url: string) => {
      const res = await app.inject({ method: 'GET', url, headers: bearer(leadA) });
      statuses.push(res.statusCode);
    };
    /** An action as the console sends it, and the same request twice more with its key (a lost answer retried). */
    const action = async (id: string, name: string, payload: unknown) => {
      const key = randomUUID();
      const send = () =>
        app.inject({
          method: 'POST',
          url: `/api/items/${id}/${name}`,
          headers: { ...bearer(leadA), 'idempotency-key': key },
          payload: payload as Record<string, unknown>,
        });
      const first = await send();
      statuses.push(first.statusCode);
      for (const replay of [await send(), await send()]) {
        statuses.push(replay.statusCode);
        expect(replay.json()).toEqual(first.json());
      }
    };
    // The console's requests per item: the page (item, evidence), each action, the page again; the inbox between items.
    const work = async (id: string) => {
      await get('/api/inbox');
      await get(`/api/items/${id}`);
      await get(`/api/items/${id}/evidence`);
      await action(id, 'sign', { note: '' });
      await get(`/api/items/${id}`);
      await get(`/api/items/${id}/evidence`);
      await action(id, 'filePlan', { plan: '整改方案：立即整改', attachments: [] });
      await get(`/api/items/${id}`);
      await get(`/api/items/${id}/evidence`);
    };
    // Five at a time: as fast as one person's tabs can go, faster than the console does it.
    for (let i = 0; i < ids.length; i += 5) await Promise.all(ids.slice(i, i + 5).map(work));

    // 180 requests that send mail (60 actions, each sent three times) and 210 reads, all answered.
    expect(statuses).toHaveLength(30 * 13);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const items = await stack.db.item.findMany({ where: { id: { in: ids } } });
    expect(items.map((i) => i.status)).toEqual(ids.map(() => 'rectifying'));
    // Each action took effect once, however often it was sent.
    expect(
      await stack.db.itemEvent.count({ where: { itemId: { in: ids }, action: { in: ['sign', 'filePlan'] } } }),
    ).toBe(60);
  }, 240_000);

  it('does not count a replayed stored answer, and still counts every new request', async () => {
    const tight = await testApp(stack.db, stack.t.client, taskQueue, DEFAULT_TEMPORAL_TIMEOUT_MS, {
      limits: { perMinute: 1000, mailPerMinute: 3 },
    });
    try {
      const [a, b] = await openItems(2, '限流重放');
      const post = (id: string, action: string, key: string, payload: Record<string, unknown>) =>
        tight.inject({
          method: 'POST',
          url: `/api/items/${id}/${action}`,
          headers: { ...bearer(leadA), 'idempotency-key': key },
          payload,
        });
      const first = await post(a!, 'sign', 'sign-a', { note: '' });
      expect(first.statusCode).toBe(200);
      // Five replays of the stored answer: all answered, none counted.
      for (let i = 0; i < 5; i++) {
        const replay = await post(a!, 'sign', 'sign-a', { note: '' });
        expect(replay.statusCode).toBe(200);
        expect(replay.json()).toEqual(first.json());
      }
      // The same key with another body is no replay: refused (422) and counted.
      expect((await post(a!, 'sign', 'sign-a', { note: '另一个请求' })).statusCode).toBe(422);
      expect((await post(b!, 'sign', 'sign-b', { note: '' })).statusCode).toBe(200);
      // The fourth request counted: over the limit of three.
      const over = await post(a!, 'filePlan', 'plan-a', { plan: '方案', attachments: [] });
      expect(over.statusCode).toBe(429);
      expect(over.json().message).toMatch(/请求过于频繁/);
      expect((await stack.db.item.findUnique({ where: { id: a! } }))?.status).toBe('signed');
      // A replay is still answered while the limit holds.
      expect((await post(b!, 'sign', 'sign-b', { note: '' })).statusCode).toBe(200);
    } finally {
      await tight.close();
    }
  }, 120_000);
});
