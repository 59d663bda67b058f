/**
 * Drill: the Temporal server (the dev server, its data in a file) is killed with SIGKILL while
 * actions are in flight, and later stopped and restarted in the middle of a run. Callers retry
 * with the same Update id; the worker reconnects on its own. Every item ends closed with exactly
 * one recorded event per transition: nothing lost, nothing done twice.
 */
import type { Worker } from '@temporalio/worker';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { parseCommand, type Action } from '../../domain/commands';
import { decide } from '../../domain/item';
import type { Db } from '../../lib/db';
import { itemWorkflowId, transitionKey } from '../../workflows/ids';
import { freePort } from '../../dev/ports';
import { startTemporalDevServer, type DevServer } from '../../dev/temporal-dev-server';
import { bearer, seedUnits, seedUsers, testApp } from '../support/api';
import { act, open } from '../support/items';
import {
  connectTemporal,
  freshDatabase,
  startTestWorker,
  uniqueTaskQueue,
  type TemporalHandles,
} from '../support/stack';
import * as people from '../support/actors';
import { leadA, verifier } from '../support/actors';

let dir: string;
let port: number;
let server: DevServer;
let db: Db;
let t: TemporalHandles;
let worker: Worker;
let running: Promise<void>;
const taskQueue = uniqueTaskQueue('temporal-restart');

const start = () => startTemporalDevServer({ port, dbFile: path.join(dir, 'temporal.db') });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'duban-drill-temporal-'));
  port = await freePort();
  server = await start();
  ({ db } = await freshDatabase());
  await seedUnits(db);
  await seedUsers(db, Object.values(people));
  t = await connectTemporal(server.address);
  worker = await startTestWorker(t, db, taskQueue);
  running = worker.run();
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await Promise.race([running, sleep(20_000)]);
  await t?.close();
  await db?.$disconnect();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
}, 60_000);

/** A caller that keeps trying while the server is away, with the same Update id each time. */
async function persist(
  itemId: string,
  action: Action,
  actor: typeof leadA,
  payload: unknown,
  failures: { n: number },
): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      await t.client.connection.withDeadline(Date.now() + 5_000, () =>
        act(t.client, itemId, action, actor, payload, `${itemId}/${action}`),
      );
      return;
    } catch (err) {
      failures.n++;
      // Only Temporal's answer counts: an Update lost with the server is sent again under the same
      // id (its record in PostgreSQL, if written, is not written twice). The one exception is the
      // closing action: once the workflow has completed there is nobody left to answer.
      const completed = await t.client.workflow
        .getHandle(`item-${itemId}`)
        .describe()
        .then(
          (d) => d.status.name === 'COMPLETED',
          () => false,
        );
      if (completed && (await db.itemEvent.findFirst({ where: { itemId, key: { endsWith: `/${itemId}/${action}` } } })))
        return;
      if (Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
}

describe('the Temporal server killed and restarted under load', () => {
  it('loses nothing and does nothing twice', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await open(t.client, taskQueue)).id);
    const steps: Array<[Action, typeof leadA, unknown]> = [
      ['sign', leadA, { note: '' }],
      ['filePlan', leadA, { plan: '整改方案', attachments: [] }],
      ['submit', leadA, { summary: '已整改', attachments: [] }],
      ['verifyPass', verifier, { opinion: '同意销号' }],
    ];
    const failures = { n: 0 };

    // Step 1 while the server is killed outright, then brought back on the same file.
    const signing = Promise.all(ids.map((id) => persist(id, 'sign', leadA, steps[0]![2], failures)));
    await sleep(150);
    server.process.kill('SIGKILL');
    await new Promise((r) => server.process.once('exit', r));
    await sleep(3_000);
    server = await start();
    await signing;

    await Promise.all(ids.map((id) => persist(id, 'filePlan', leadA, steps[1]![2], failures)));

    // A planned restart between two steps.
    await server.stop();
    const submitting = Promise.all(ids.map((id) => persist(id, 'submit', leadA, steps[2]![2], failures)));
    await sleep(2_000);
    server = await start();
    await submitting;
    await Promise.all(ids.map((id) => persist(id, 'verifyPass', verifier, steps[3]![2], failures)));

    // The outage was felt (calls failed and were retried) …
    expect(failures.n).toBeGreaterThan(0);
    // … and every item is closed, each transition recorded exactly once, in order.
    const items = await db.item.findMany({ where: { id: { in: ids } } });
    expect(items.map((i) => i.status)).toEqual(ids.map(() => 'closed'));
    for (const id of ids) {
      const events = await db.itemEvent.findMany({
        where: { itemId: id, action: { not: 'escalate' } },
        orderBy: { seq: 'asc' },
      });
      expect(events.map((e) => e.action)).toEqual(['create', 'sign', 'filePlan', 'submit', 'verifyPass']);
    }
    const seqs = await db.itemEvent.groupBy({ by: ['itemId', 'seq'], where: { itemId: { in: ids } }, _count: true });
    expect(seqs.every((s) => s._count === 1)).toBe(true);
    // Temporal agrees: every workflow completed, at the same sequence number PostgreSQL shows.
    for (const item of items)
      expect((await t.client.workflow.getHandle(`item-${item.id}`).query<{ seq: number }>('item')).seq).toBe(item.seq);
    // Temporal agrees: every workflow completed.
    for (const id of ids)
      expect((await t.client.workflow.getHandle(`item-${id}`).describe()).status.name).toBe('COMPLETED');
  }, 240_000);
});

describe('a transition recorded in PostgreSQL but lost with the Temporal server', () => {
  it('is completed by the retry with the same Idempotency-Key, not refused by the recorded state', async () => {
    const app = await testApp(db, t.client, taskQueue, 5_000);
    try {
      const item = await open(t.client, taskQueue);
      const key = 'retry-after-lost-update';
      // What a lost Update left behind while records were written inside the workflow task (the
      // code before record-after-accept): the record one step ahead of the workflow.
      const before = (await db.item.findUniqueOrThrow({ where: { id: item.id } })).snapshot as never;
      const lost = decide(
        before,
        parseCommand({ action: 'sign', payload: {}, actor: leadA }),
        new Date().toISOString(),
      );
      if (!lost.ok) throw new Error('sign refused');
      await createActivities({ db, temporal: t.client } as never).recordTransition({
        key: transitionKey(itemWorkflowId(item.id), `${leadA.userId}/${key}`),
        item: lost.item,
        event: lost.event,
      });
      expect((await db.item.findUniqueOrThrow({ where: { id: item.id } })).status).toBe('signed');
      expect((await t.client.workflow.getHandle(`item-${item.id}`).query<{ status: string }>('item')).status).toBe(
        'assigned',
      );

      // A new request is judged on the record (signed): refused.
      const fresh = await app.inject({
        method: 'POST',
        url: `/api/items/${item.id}/sign`,
        headers: bearer(leadA),
        payload: {},
      });
      expect(fresh.statusCode).toBe(409);
      // The retry of the lost one goes through, and the two agree again, with one sign event.
      const retry = await app.inject({
        method: 'POST',
        url: `/api/items/${item.id}/sign`,
        headers: { ...bearer(leadA), 'idempotency-key': key },
        payload: {},
      });
      expect(retry.statusCode, retry.body).toBe(200);
      const wf = await t.client.workflow.getHandle(`item-${item.id}`).query<{ status: string; seq: number }>('item');
      const row = await db.item.findUniqueOrThrow({ where: { id: item.id } });
      expect([wf.status, wf.seq]).toEqual(['signed', row.seq]);
      expect(await db.itemEvent.count({ where: { itemId: item.id, action: 'sign' } })).toBe(1);
    } finally {
      await app.close();
    }
  }, 60_000);
});
