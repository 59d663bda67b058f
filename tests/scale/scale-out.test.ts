/**
 * Scaling out on one machine: two worker processes and two API processes against one Temporal
 * server and one PostgreSQL share the work; one of each is killed with SIGKILL half-way, and the
 * survivors finish every item with exactly one event per transition.
 */
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../domain/actors';
import type { Db } from '../../lib/db';
import { freePort } from '../../dev/ports';
import { itemWorkflowId } from '../../workflows/ids';
import * as p from '../support/actors';
import { bearer, seedUnits, seedUsers, TEST_SECRET } from '../support/api';
import { DUE } from '../support/dates';
import { connectTemporal, freshDatabase, uniqueTaskQueue, type TemporalHandles } from '../support/stack';
import { kill9, startApiProcess, startWorkerProcess } from '../support/worker-process';

let t: TemporalHandles;
let db: Db;
const children: ChildProcess[] = [];
const apis: Array<{ url: string; proc: ChildProcess }> = [];
const workers: ChildProcess[] = [];

beforeAll(async () => {
  t = await connectTemporal();
  const fresh = await freshDatabase();
  db = fresh.db;
  await seedUnits(db);
  await seedUsers(db, Object.values(p));
  const taskQueue = uniqueTaskQueue('scale');
  const env = {
    DATABASE_URL: fresh.url,
    TEMPORAL_ADDRESS: t.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    AUTH_SECRET: TEST_SECRET,
  };
  const started = await Promise.all([
    startWorkerProcess(env),
    startWorkerProcess(env),
    ...[await freePort(), await freePort()].map(async (port) => {
      const proc = await startApiProcess({ ...env, API_PORT: String(port), API_HOST: '127.0.0.1' });
      apis.push({ url: `http://127.0.0.1:${port}`, proc });
      return proc;
    }),
  ]);
  children.push(...started);
  workers.push(started[0]!, started[1]!);
}, 180_000);

afterAll(async () => {
  for (const c of children) await kill9(c);
  await db?.$disconnect();
  await t?.close();
});

/**
 * Sends through the API whose turn it is; one that refuses connections is taken out, as a load
 * balancer's health check would. Actions carry an Idempotency-Key, so one resent to the other
 * API after a dropped connection has one effect.
 */
let turn = 0;
const dead = new Set<string>();
async function call(
  path: string,
  actor: Actor,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  for (let tries = 0; tries < 10; tries++) {
    const live = apis.filter((a) => !dead.has(a.url));
    if (live.length === 0) break;
    const api = live[turn++ % live.length]!;
    try {
      const res = await fetch(`${api.url}${path}`, {
        method: 'POST',
        headers: {
          ...bearer(actor),
          'content-type': 'application/json',
          'idempotency-key': `scale:${path}:${createHash('sha256').update(JSON.stringify(body)).digest('hex')}`,
        },
        body: JSON.stringify(body),
      });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    } catch {
      dead.add(api.url);
    }
  }
  throw new Error('no API process answered');
}

const STEPS: Array<[string, Actor, unknown]> = [
  ['sign', p.leadA, {}],
  ['filePlan', p.leadA, { plan: '整改方案' }],
  ['submit', p.leadA, { summary: '申请销号' }],
  ['verifyPass', p.verifier, { opinion: '通过' }],
];

describe('two workers and two API processes', () => {
  it('share the load, and the survivors finish everything when one of each is killed', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await call('/api/items', p.supervisor, {
        title: `横向扩展 ${i}`,
        leadUnitId: 'unit-a',
        dueDate: DUE,
      });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      ids.push((r.json.item as { id: string }).id);
    }
    const [first, second] = [STEPS.slice(0, 2), STEPS.slice(2)];
    await Promise.all(
      ids.map(async (id) => {
        for (const [action, actor, body] of first)
          expect((await call(`/api/items/${id}/${action}`, actor, body)).status).toBe(200);
      }),
    );

    // Both workers have done work: the workflow tasks were completed by two identities.
    const identities = new Set<string>();
    for (const id of ids) {
      const history = await t.client.workflow.getHandle(itemWorkflowId(id)).fetchHistory();
      for (const e of history.events ?? [])
        if (e.workflowTaskCompletedEventAttributes?.identity)
          identities.add(e.workflowTaskCompletedEventAttributes.identity);
    }
    expect(identities.size).toBe(2);

    await kill9(workers[0]!);
    await kill9(apis[0]!.proc);
    await Promise.all(
      ids.map(async (id) => {
        for (const [action, actor, body] of second) {
          const r = await call(`/api/items/${id}/${action}`, actor, body);
          expect(r.status, JSON.stringify(r.json)).toBe(200);
        }
      }),
    );

    const items = await db.item.findMany({ where: { id: { in: ids } } });
    expect(items.every((i) => i.status === 'closed')).toBe(true);
    for (const id of ids) {
      const events = await db.itemEvent.findMany({
        where: { itemId: id, action: { not: 'escalate' } },
        orderBy: { seq: 'asc' },
      });
      expect(events.map((e) => e.action)).toEqual(['create', 'sign', 'filePlan', 'submit', 'verifyPass']);
    }
  }, 240_000);
});
