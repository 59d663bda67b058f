/**
 * Red items opened in bounded batches: the progress a retry resumes from never passes a start that
 * has not finished, and an openRedItems retried after an attempt died part-way opens nothing twice.
 */
import type { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMonitoringActivities, openInOrder, type RedItemsProgress } from '../../activities/monitoring';
import { PlanSchema } from '../../domain/monitoring';
import type { Db } from '../../lib/db';
import { savePlan } from '../../lib/plans';
import { itemWorkflowId } from '../../workflows/ids';
import { seedUnits } from '../support/api';
import {
  connectTemporal,
  freshDatabase,
  startTestWorker,
  uniqueTaskQueue,
  type TemporalHandles,
} from '../support/stack';

describe('openInOrder', () => {
  it('reports as progress only what every earlier start has finished, and resumes from it', async () => {
    const release = new Map<number, () => void>();
    const reports: RedItemsProgress[] = [];
    const opening = openInOrder(
      [0, 1, 2, 3],
      { next: 0, opened: 0 },
      2,
      (p) => reports.push(p),
      (x) => new Promise<boolean>((resolve) => release.set(x, () => resolve(x !== 0))),
    );
    const settle = async (x: number) => {
      while (!release.has(x)) await new Promise((r) => setTimeout(r, 1));
      release.get(x)!();
    };
    await settle(1); // finished before 0: nothing may be skipped yet
    await settle(0); // 0 found (already there), 1 opened: both behind us
    await settle(3);
    await settle(2);
    expect(await opening).toBe(3);
    expect(reports).toEqual([
      { next: 0, opened: 0 },
      { next: 2, opened: 1 },
      { next: 2, opened: 1 },
      { next: 4, opened: 3 },
    ]);

    const again: number[] = [];
    const resumed = await openInOrder(
      [0, 1, 2, 3],
      { next: 3, opened: 2 },
      2,
      () => {},
      async (x) => {
        again.push(x);
        return true;
      },
    );
    expect(again).toEqual([3]);
    expect(resumed).toBe(3);
  });

  it('starts nothing new after a failure, lets those in flight finish, then fails', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    await expect(
      openInOrder(
        [0, 1, 2, 3, 4, 5],
        { next: 0, opened: 0 },
        3,
        () => {},
        async (x) => {
          started.push(x);
          await new Promise((r) => setTimeout(r, x === 1 ? 0 : 20));
          if (x === 1) throw new Error('lost');
          finished.push(x);
          return true;
        },
      ),
    ).rejects.toThrow('lost');
    expect(started).toEqual([0, 1, 2]);
    expect(finished.sort()).toEqual([0, 2]);
  });
});

// On the tests' dev server: the time-skipping test server fails update-with-starts made at the
// same time (UNKNOWN "Application error processing RPC"), which the real server takes in parallel.
describe('openRedItems retried', () => {
  let t: TemporalHandles;
  let db: Db;
  beforeAll(async () => {
    t = await connectTemporal();
    db = (await freshDatabase()).db;
    await seedUnits(db);
  }, 120_000);
  afterAll(async () => {
    await db?.$disconnect();
    await t?.close();
  });

  it('after an attempt died part-way opens the rest, nothing twice, and counts each once', async () => {
    // A past period with nothing reported: every indicator red.
    const plan = PlanSchema.parse({
      id: 'retry',
      year: 2025,
      title: '重试监测',
      rules: { frequency: 'monthly', dayOfMonth: 5, reportDays: 5 },
      indicators: ['unit-a', 'unit-b', 'unit-c', 'unit-x', 'unit-a'].map((ownerUnitId, i) => ({
        code: `R${i}`,
        name: `指标${i}`,
        ownerUnitId,
        baseline: 0,
        target: 100,
      })),
    });
    await savePlan(db, plan, 'test');
    const activities = createMonitoringActivities(db, t.client);
    const now = Date.now();
    const { cycleId } = await activities.openCycle({ planId: 'retry', now, openedOn: '2025-02-05' });
    const { reds } = await activities.publishCycle({ cycleId, now });
    expect(reds.map((r) => r.code)).toEqual(['R0', 'R1', 'R2', 'R3', 'R4']);
    const taskQueue = uniqueTaskQueue('retry');
    const input = { cycleId, now, taskQueue };

    // The first attempt loses its connection while starting R1; the others it started get opened.
    const lost = itemWorkflowId(reds[1]!.itemId);
    const flaky = {
      workflow: {
        executeUpdateWithStart: (
          update: never,
          options: { startWorkflowOperation: { options: { workflowId: string } } },
        ) =>
          options.startWorkflowOperation.options.workflowId === lost
            ? Promise.reject(new Error('connection lost'))
            : t.client.workflow.executeUpdateWithStart(update, options as never),
      },
    } as unknown as Client;
    const worker = await startTestWorker(t, db, taskQueue);
    await worker.runUntil(async () => {
      const first = new MockActivityEnvironment();
      const beats: RedItemsProgress[] = [];
      first.on('heartbeat', (d: RedItemsProgress) => beats.push(d));
      await expect(first.run(createMonitoringActivities(db, flaky).openRedItems, input)).rejects.toThrow(
        'connection lost',
      );
      expect(beats.at(-1)).toEqual({ next: 1, opened: 1 });

      // The retry resumes from the last heartbeat: R1 opened; R2–R4 found started.
      const retry = new MockActivityEnvironment({ heartbeatDetails: beats.at(-1) });
      expect(await retry.run(activities.openRedItems, input)).toBe(2);
      // Run again from the start (a second schedule firing): everything is there already.
      expect(await new MockActivityEnvironment().run(activities.openRedItems, input)).toBe(0);
    });

    const items = await db.item.findMany({ where: { id: { startsWith: `M-${cycleId}-` } }, orderBy: { id: 'asc' } });
    expect(items.map((i) => [i.id, i.leadUnitId])).toEqual(reds.map((r) => [r.itemId, r.ownerUnitId]));
    const events = await db.itemEvent.groupBy({
      by: ['itemId'],
      where: { itemId: { startsWith: `M-${cycleId}-` } },
      _count: true,
    });
    expect(events.map((e) => e._count)).toEqual([1, 1, 1, 1, 1]);
    for (const r of reds)
      await t.client.workflow
        .getHandle(itemWorkflowId(r.itemId))
        .terminate('test over')
        .catch(() => {});
  }, 300_000);
});
