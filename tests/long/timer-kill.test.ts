/**
 * Long drill (npm run drills): kill -9 a worker while its items wait on their timers. Two worker
 * processes share the queue and hold the items' workflows in their caches; the escalation rungs
 * of all items fall due in the same second; a few seconds before it, one worker is killed. The
 * survivor must fire every rung: none early, none twice, none missing, each notice requested
 * once. Real dev server, real time: the rungs fall due on a minute boundary, so this waits up to
 * two minutes.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shanghaiDate } from '../../domain/calendar';
import { DEFAULT_POLICY, type Policy } from '../../domain/policy';
import type { Db } from '../../lib/db';
import { openItem } from '../../workflows/client/items';
import { itemWorkflowId } from '../../workflows/ids';
import { supervisor } from '../support/actors';
import { newItemId, spec } from '../support/items';
import { connectTemporal, freshDatabase, uniqueTaskQueue, type TemporalHandles } from '../support/stack';
import { kill9, startWorkerProcess } from '../support/worker-process';

const N = 40;
const KILL_BEFORE_DUE_MS = 8_000;

let t: TemporalHandles;
let db: Db;
const workers: ChildProcess[] = [];
const taskQueue = uniqueTaskQueue('timer-kill');

beforeAll(async () => {
  t = await connectTemporal();
  const fresh = await freshDatabase();
  db = fresh.db;
  const env = { DATABASE_URL: fresh.url, TEMPORAL_ADDRESS: t.address, TEMPORAL_TASK_QUEUE: taskQueue };
  workers.push(...(await Promise.all([startWorkerProcess(env), startWorkerProcess(env)])));
}, 120_000);

afterAll(async () => {
  for (const w of workers) await kill9(w);
  await db?.$disconnect();
  await t?.close();
});

describe('a worker killed while its items wait on their timers', () => {
  it('leaves the other worker to fire every rung once, none early', async () => {
    // Due on the first minute boundary at least 30 s away; today made a working day (the
    // calendar is data) so the closure deadline is today at that minute.
    const dueAt = Math.ceil((Date.now() + 30_000) / 60_000) * 60_000;
    const today = shanghaiDate(Date.now());
    if (shanghaiDate(dueAt) !== today)
      return expect.fail('too close to midnight in Shanghai: run the drill again in a few minutes');
    await db.calendarYear.create({
      data: {
        year: Number(today.slice(0, 4)),
        holidays: [],
        workdays: [{ date: today, name: 'drill' }],
        source: 'drill',
        updatedBy: 'drill',
      },
    });
    const policy: Policy = {
      ...DEFAULT_POLICY,
      id: 'drill-timers',
      workdayEnd: new Date(dueAt + 8 * 3600_000).toISOString().slice(11, 16),
      ladder: [{ key: 'closure-urge', step: 'closure', offset: 0, action: 'urge', targets: ['handler'] }],
    };
    const ids: string[] = [];
    for (let i = 0; i < N; i++) {
      const item = await openItem(t.client, taskQueue, {
        id: newItemId(),
        problemListId: null,
        spec: spec({ dueDate: today }),
        createdBy: supervisor,
        config: { maxDeclines: 2 },
        policy,
      });
      ids.push(item.id);
    }
    // Both workers hold some of the items.
    const holders = new Set<string>();
    for (const id of ids) {
      const history = await t.client.workflow.getHandle(itemWorkflowId(id)).fetchHistory();
      for (const e of history.events ?? [])
        if (e.workflowTaskCompletedEventAttributes?.identity)
          holders.add(e.workflowTaskCompletedEventAttributes.identity);
    }
    expect(holders.size).toBe(2);

    await new Promise((r) => setTimeout(r, dueAt - KILL_BEFORE_DUE_MS - Date.now()));
    await kill9(workers[0]!);
    expect(await db.itemEvent.count({ where: { itemId: { in: ids }, action: 'escalate' } })).toBe(0);

    await expect
      .poll(() => db.itemEvent.count({ where: { itemId: { in: ids }, action: 'escalate' } }), {
        timeout: 90_000,
        interval: 500,
      })
      .toBeGreaterThanOrEqual(N);
    await new Promise((r) => setTimeout(r, 3_000));
    const events = await db.itemEvent.findMany({ where: { itemId: { in: ids }, action: 'escalate' } });
    const perItem = new Map<string, number>();
    for (const e of events) perItem.set(e.itemId, (perItem.get(e.itemId) ?? 0) + 1);
    expect(perItem.size).toBe(N);
    expect([...perItem.values()].every((n) => n === 1)).toBe(true);
    const lateness = events.map((e) => {
      const p = e.payload as { firedAt: string; dueAt: string };
      return Date.parse(p.firedAt) - Date.parse(p.dueAt);
    });
    expect(Math.min(...lateness)).toBeGreaterThanOrEqual(0);
    expect(
      await db.notificationRequest.count({ where: { subjectKind: 'item', subjectId: { in: ids }, kind: 'urge' } }),
    ).toBe(N);
    lateness.sort((a, b) => a - b);
    console.log(
      `timer-kill drill: ${N} rungs, lateness p50 ${lateness[N >> 1]} ms, max ${lateness[N - 1]} ms (worker killed ${KILL_BEFORE_DUE_MS / 1000} s before due)`,
    );
  }, 240_000);
});
