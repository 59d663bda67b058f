/**
 * Drill: kill -9 the worker that is in the middle of an action, inside its activity, while
 * a second worker shares the queue. The injection is exact: the test holds a lock on the item's
 * row, so the transition's write (an activity the accepting workflow task scheduled and handed to
 * that worker; a local activity within the task for items begun before record-after-accept)
 * blocks in PostgreSQL; the worker named by the blocked session is killed,
 * and then the lock is released — so the dead worker's statement may still commit, the classic
 * "written but never acknowledged" case. The survivor must finish the action once: one event.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../lib/db';
import { itemWorkflowId } from '../../workflows/ids';
import { leadA } from '../support/actors';
import { act, open } from '../support/items';
import { connectTemporal, freshDatabase, uniqueTaskQueue, type TemporalHandles } from '../support/stack';
import { waitFor } from '../support/wait';
import { kill9, startWorkerProcess } from '../support/worker-process';

let t: TemporalHandles;
let db: Db;
let env: Record<string, string>;
const workers: ChildProcess[] = [];
const taskQueue = uniqueTaskQueue('kill');

beforeAll(async () => {
  t = await connectTemporal();
  const fresh = await freshDatabase();
  db = fresh.db;
  env = { DATABASE_URL: fresh.url, TEMPORAL_ADDRESS: t.address, TEMPORAL_TASK_QUEUE: taskQueue };
  workers.push(...(await Promise.all([startNamedWorker('w0'), startNamedWorker('w1')])));
}, 120_000);

afterAll(async () => {
  for (const w of workers) await kill9(w);
  await db?.$disconnect();
  await t?.close();
});

/** Each worker names itself to PostgreSQL, so a blocked statement tells whose it is. */
function startNamedWorker(name: string): Promise<ChildProcess> {
  const url = new URL(env.DATABASE_URL!);
  url.searchParams.set('application_name', name);
  return startWorkerProcess({ ...env, DATABASE_URL: url.toString() });
}

describe('a worker killed inside an activity, in the middle of a workflow task', () => {
  it('is replaced by the other worker; the action completes once', async () => {
    for (let round = 0; round < 2; round++) {
      const item = await open(t.client, taskQueue);
      const workflowId = itemWorkflowId(item.id);
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => (locked = r));
      // Hold the item's row: the transition's write waits on it.
      const holding = db.$transaction(
        async (tx) => {
          await tx.$queryRaw`SELECT id FROM items WHERE id = ${item.id} FOR UPDATE`;
          locked();
          await released;
        },
        { timeout: 120_000, maxWait: 10_000 },
      );
      await isLocked;
      const signing = act(t.client, item, 'sign', leadA, { note: `第${round + 1}轮` });

      // The write is blocked in PostgreSQL: that worker is inside the activity, inside the task.
      const blocked = await waitFor(async () => {
        const rows = await db.$queryRaw<
          Array<{ name: string }>
        >`SELECT application_name AS name FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%INSERT INTO items%'`;
        return rows[0]?.name;
      }, 30_000);
      const victim = workers[Number(blocked.slice(1))]!;
      expect(victim.exitCode).toBeNull();
      await kill9(victim);
      release();
      await holding;

      // The survivor takes the task over (after the dead worker's task times out) and finishes it.
      expect((await signing).status).toBe('signed');
      const events = await db.itemEvent.findMany({ where: { itemId: item.id }, orderBy: { seq: 'asc' } });
      expect(events.map((e) => [e.seq, e.action])).toEqual([
        [1, 'create'],
        [2, 'sign'],
      ]);
      expect(await db.item.findUniqueOrThrow({ where: { id: item.id } })).toMatchObject({ status: 'signed', seq: 2 });
      // The survivor completed the task (a task's identity is `<pid>@<host>`).
      const history = await t.client.workflow.getHandle(workflowId).fetchHistory();
      const last = (history.events ?? []).filter((e) => e.workflowTaskCompletedEventAttributes).pop();
      const survivor = workers.find((w) => w !== victim)!;
      expect(last?.workflowTaskCompletedEventAttributes?.identity?.split('@')[0]).toBe(String(survivor.pid));

      // Bring the pair back to two for the next round, under the dead one's name.
      workers[workers.indexOf(victim)] = await startNamedWorker(blocked);
    }
  }, 240_000);
});
