import type { ChildProcess } from 'node:child_process';
import { startWorkerProcess } from '../support/worker-process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../lib/db';
import { leadA, verifier } from '../support/actors';
import { act, open } from '../support/items';
import { connectTemporal, freshDatabase, uniqueTaskQueue, type TemporalHandles } from '../support/stack';

let t: TemporalHandles;
let db: Db;
let dbUrl: string;
const taskQueue = uniqueTaskQueue('crash');
const children: ChildProcess[] = [];

function startWorker(): Promise<ChildProcess> {
  return startWorkerProcess({ DATABASE_URL: dbUrl, TEMPORAL_ADDRESS: t.address, TEMPORAL_TASK_QUEUE: taskQueue }).then(
    (c) => {
      children.push(c);
      return c;
    },
  );
}

beforeAll(async () => {
  t = await connectTemporal();
  const fresh = await freshDatabase();
  db = fresh.db;
  dbUrl = fresh.url;
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await db?.$disconnect();
  await t?.close();
});

const LOOP = [
  ['sign', leadA, {}],
  ['filePlan', leadA, { plan: '整改方案' }],
  ['reportProgress', leadA, { text: '进展' }],
  ['submit', leadA, { summary: '申请销号' }],
  ['verifyReturn', verifier, { reasons: '退回补充' }],
  ['submit', leadA, { summary: '再次申请' }],
  ['verifyPass', verifier, { opinion: '通过' }],
] as const;

describe('a worker killed with SIGKILL in the middle of a run', () => {
  it('loses nothing and writes exactly one event per transition', async () => {
    let worker = await startWorker();
    const items = await Promise.all(Array.from({ length: 12 }, () => open(t.client, taskQueue)));
    let transitions = 0;
    const runs = items.map(async (item) => {
      for (const [action, actor, payload] of LOOP) {
        await act(t.client, item, action, actor, payload);
        transitions++;
      }
    });
    // Kill the worker once the run is well under way, then bring up a new one.
    while (transitions < 30) await new Promise((r) => setTimeout(r, 20));
    worker.kill('SIGKILL');
    await new Promise((r) => worker.once('exit', r));
    const killedAt = transitions;
    worker = await startWorker();
    await Promise.all(runs);
    expect(killedAt).toBeLessThan(items.length * LOOP.length);

    for (const item of items) {
      const row = await db.item.findUniqueOrThrow({ where: { id: item.id } });
      expect(row).toMatchObject({ status: 'closed', seq: LOOP.length + 1, returnCount: 1 });
      const events = await db.itemEvent.findMany({ where: { itemId: item.id }, orderBy: { seq: 'asc' } });
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: LOOP.length + 1 }, (_, i) => i + 1));
      expect(events.map((e) => e.action)).toEqual(['create', ...LOOP.map(([a]) => a)]);
    }
    worker.kill('SIGTERM');
  }, 180_000);
});
