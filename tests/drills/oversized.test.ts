/**
 * Drill: an oversized body or payload is refused with 413 before it reaches Temporal. The API
 * here talks to Temporal through a client that counts every start, update and signal it sends,
 * so "nothing reached Temporal" is a count, not an inference.
 */
import { Client, type WorkflowClientInterceptor } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_WORKFLOW_INPUT_BYTES } from '../../api/problem-lists-service';
import type { App } from '../../api/app';
import type { Item } from '../../domain/item';
import { policyFor } from '../../lib/policies';
import * as p from '../support/actors';
import { bearer, startApiStack, testApp, type ApiStack } from '../support/api';
import { DUE } from '../support/dates';
import { TEST_DATA_CONVERTER, uniqueTaskQueue } from '../support/stack';

let stack: ApiStack;
let app: App;
let sent = 0;

beforeAll(async () => {
  const tq = uniqueTaskQueue('oversized');
  stack = await startApiStack(tq);
  const count: WorkflowClientInterceptor = {
    start: (input, next) => (sent++, next(input)),
    startWithDetails: (input, next) => (sent++, next(input)),
    startUpdate: (input, next) => (sent++, next(input)),
    startUpdateWithStart: (input, next) => (sent++, next(input)),
    signal: (input, next) => (sent++, next(input)),
    signalWithStart: (input, next) => (sent++, next(input)),
  };
  const client = new Client({
    connection: stack.t.connection,
    dataConverter: TEST_DATA_CONVERTER,
    interceptors: { workflow: [count] },
  });
  app = await testApp(stack.db, client, tq);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await stack?.close();
});

const csv = (rows: string[][]) =>
  [['标题', '牵头单位', '完成时限', '描述'], ...rows]
    .map((r) => r.map((c) => `"${c.replace(/"/g, '""')}"`).join(','))
    .join('\n');
const postCsv = (body: string) =>
  app.inject({
    method: 'POST',
    url: `/api/problem-lists/csv?title=${encodeURIComponent('巡察反馈问题清单')}`,
    headers: { ...bearer(p.supervisor), 'content-type': 'text/csv' },
    payload: body,
  });

describe('oversized requests', () => {
  it('a body over the limit: 413 in words, nothing sent to Temporal, nothing written', async () => {
    const items = await stack.db.item.count();
    const res = await app.inject({
      method: 'POST',
      url: '/api/items',
      headers: { ...bearer(p.supervisor), 'content-type': 'application/json' },
      payload: JSON.stringify({
        title: '超大请求',
        leadUnitId: 'unit-a',
        dueDate: DUE,
        description: '长'.repeat(400_000),
      }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().message).toBe('请求体过大');
    expect(sent).toBe(0);
    expect(await stack.db.item.count()).toBe(items);
  });

  it('a list under the body limit whose workflow input would not be: 413 naming the size, before Temporal', async () => {
    // 400 rows of backslashes: the CSV is under 1 MB, in JSON every one is escaped and doubles.
    const body = csv(Array.from({ length: 400 }, (_, i) => [`问题 ${i}`, 'unit-a', DUE, '\\'.repeat(2400)]));
    expect(Buffer.byteLength(body)).toBeLessThan(1024 * 1024);
    const lists = await stack.db.problemList.count();
    const res = await postCsv(body);
    expect(res.statusCode, res.body).toBe(413);
    expect(res.json()).toMatchObject({ error: 'payload_too_large', limit: MAX_WORKFLOW_INPUT_BYTES });
    expect(res.json().bytes).toBeGreaterThan(MAX_WORKFLOW_INPUT_BYTES);
    expect(res.json().message).toMatch(/清单内容过大.*请拆分为几批分别导入/);
    expect(sent).toBe(0);
    expect(await stack.db.problemList.count()).toBe(lists);
  });

  it('a full list of ordinary rows still goes through, in one workflow start', async () => {
    // 1,000 rows with 200-character descriptions: 1.9 MB of input while each row carried its own
    // copy of the deadline policy, under 1 MB now that the list carries each policy once.
    const body = csv(Array.from({ length: 1000 }, (_, i) => [`问题 ${i}`, 'unit-a', DUE, '描述'.repeat(100)]));
    const res = await postCsv(body);
    expect(res.statusCode, res.body.slice(0, 300)).toBe(201);
    expect(sent).toBe(1);
    const listId = res.json().id as string;
    await expect
      .poll(() => stack.db.item.count({ where: { problemListId: listId } }), { timeout: 120_000, interval: 500 })
      .toBe(1000);
    const one = await stack.db.item.findFirstOrThrow({ where: { problemListId: listId } });
    // Each item got the list's policy from the shared table.
    const { deadlines } = one.snapshot as unknown as Item;
    expect(deadlines?.policy).toEqual(await policyFor(stack.db, one.category, one.priority));
  }, 180_000);
});
