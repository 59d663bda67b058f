/**
 * Monitoring cycles on the time-skipping server: a year of monthly cycles with lights and
 * rankings checked against hand-computed values; a live cycle where one unit reports at once,
 * one only after being chased, and one never (its indicator red, an item opened).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../api/services';
import { submitValues } from '../../api/plans-service';
import { instantAt, shiftWorkingDays } from '../../domain/calendar';
import { PlanSchema, type CycleReport } from '../../domain/monitoring';
import { currentCalendar } from '../../lib/calendar-store';
import type { Db } from '../../lib/db';
import { savePlan } from '../../lib/plans';
import { itemWorkflowId } from '../../workflows/ids';
import { monitoringCycleWorkflow } from '../../workflows/monitoring-cycle';
import type { Actor } from '../../domain/actors';
import { seedUnits } from '../support/api';
import { freshDatabase, uniqueTaskQueue } from '../support/stack';
import { waitFor } from '../support/wait';
import { timeSkippingConfig, timeSkippingEnv } from '../support/time-skipping';
import { createActivities } from '../../activities';
import { createMonitoringActivities } from '../../activities/monitoring';
import { workerOptions } from '../../app/compose';
import { createWorker } from '../../worker/create';
import { workflowBundle } from '../support/stack';
import type { Worker } from '@temporalio/worker';

let env: TestWorkflowEnvironment;
let db: Db;
beforeAll(async () => {
  env = await timeSkippingEnv();
  db = (await freshDatabase()).db;
  await seedUnits(db);
}, 120_000);
afterAll(async () => {
  await db?.$disconnect();
  await env?.teardown();
});

/**
 * A time-skipping worker whose openRedItems starts one item at a time: the time-skipping test
 * server fails update-with-starts waited on together (a NullPointerException in its
 * waitForUpdateResponse), which the real server takes in parallel (tests/monitoring/red-items.test.ts).
 */
async function timeSkippingWorker(env: TestWorkflowEnvironment, db: Db, taskQueue: string): Promise<Worker> {
  return createWorker({
    ...workerOptions(timeSkippingConfig(env, taskQueue), {
      connection: env.nativeConnection,
      db,
      temporal: env.client,
      workflowBundle: await workflowBundle(),
    }),
    activities: {
      ...createActivities({ db, temporal: env.client }),
      ...createMonitoringActivities(db, env.client, { redItemsInFlight: 1 }),
    },
  });
}

/** Items opened from red indicators keep timers; end them, or the server stops skipping time for the next test. */
async function endRedItems(): Promise<void> {
  for (const { id } of await db.item.findMany({ where: { id: { startsWith: 'M-' } }, select: { id: true } })) {
    await env.client.workflow
      .getHandle(itemWorkflowId(id))
      .terminate('test over')
      .catch(() => {});
  }
}

const handler = (unitId: string): Actor => ({
  userId: `h-${unitId}`,
  name: `${unitId}经办`,
  role: 'unit_handler',
  unitId,
});
const services = () => ({ db }) as unknown as Services;

// The live cycle runs first: it needs the server to skip time, which a worker gone from an earlier
// test's task queue can stop; the year's cycles are all past due and need no skipping.
describe('a live cycle', () => {
  it('asks, chases the late reporter until it reports, and lights red (with an item) what never came', async () => {
    const plan = PlanSchema.parse({
      id: 'live',
      year: 2026,
      title: '本月指标监测',
      rules: { frequency: 'monthly', dayOfMonth: 5, reportDays: 5 },
      indicators: [
        { code: 'L1', name: '按时报送的指标', ownerUnitId: 'unit-a', baseline: 0, target: 100 },
        { code: 'L2', name: '催报后报送的指标', ownerUnitId: 'unit-b', baseline: 0, target: 100 },
        { code: 'L3', name: '从未报送的指标', ownerUnitId: 'unit-c', baseline: 0, target: 100 },
      ],
    });
    await savePlan(db, plan, 'test');
    const tq = uniqueTaskQueue('live');
    const worker = await timeSkippingWorker(env, db, tq);
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(monitoringCycleWorkflow, {
        workflowId: 'live-cycle',
        taskQueue: tq,
        args: [{ planId: 'live' }],
      });
      const requests = await waitFor(async () => {
        const rows = await db.reportingRequest.findMany({
          where: { cycleId: { startsWith: 'live-' } },
          orderBy: { unitId: 'asc' },
        });
        return rows.length === 3 ? rows : null;
      });
      const cycleId = requests[0]!.cycleId;
      const cycle = await db.cycle.findUniqueOrThrow({ where: { id: cycleId } });
      expect(requests.map((r) => [r.unitId, r.indicators])).toEqual([
        ['unit-a', ['L1']],
        ['unit-b', ['L2']],
        ['unit-c', ['L3']],
      ]);
      // The notices are written just after the requests, in the same activity.
      await waitFor(
        async () =>
          (await db.notificationRequest.count({ where: { key: { startsWith: `${cycleId}/request/` } } })) === 3 || null,
      );

      await submitValues(services(), handler('unit-a'), cycleId, {
        values: [{ code: 'L1', value: 95, note: '' }],
        attachments: [],
      });
      // To just past the 报送提醒 (the end of the working day two before the due date).
      const cal = await currentCalendar(db);
      const remindAt = instantAt(shiftWorkingDays(cal, cycle.dueDate, -2).date, '24:00');
      await env.sleep(remindAt - (await env.currentTimeMs()) + 60_000);
      const reminded = await waitFor(async () => {
        const rows = await db.notificationRequest.findMany({
          where: { key: { startsWith: `${cycleId}/remind/` } },
          orderBy: { key: 'asc' },
        });
        return rows.length ? rows : null;
      });
      expect(reminded.map((r) => r.unitIds[0])).toEqual(['unit-b', 'unit-c']);
      expect(reminded.map((r) => [r.subjectKind, r.subjectId])).toEqual([
        ['cycle', cycleId],
        ['cycle', cycleId],
      ]);
      await submitValues(services(), handler('unit-b'), cycleId, {
        values: [{ code: 'L2', value: 90, note: '经催报后报送' }],
        attachments: [],
      });

      const outcome = await handle.result();
      expect(outcome).toMatchObject({ cycleId, reds: 1, itemsOpened: 1 });
      const chased = await db.notificationRequest.findMany({ where: { key: { startsWith: `${cycleId}/chase/` } } });
      expect(chased.map((r) => [r.unitIds[0], r.kind])).toEqual([['unit-c', 'report_chase']]);
      const after = await db.reportingRequest.findMany({ where: { cycleId }, orderBy: { unitId: 'asc' } });
      expect(after.map((r) => [r.unitId, r.chased, r.completedAt !== null])).toEqual([
        ['unit-a', 0, true],
        ['unit-b', 1, true],
        ['unit-c', 2, false],
      ]);
      const report = (await db.cycle.findUniqueOrThrow({ where: { id: cycleId } })).report as unknown as CycleReport;
      expect(report.indicators.find((i) => i.code === 'L3')).toMatchObject({
        light: 'red',
        missing: true,
        value: null,
      });
      expect(report.standings.find((s) => s.unitId === 'unit-c')).toMatchObject({ ranked: false });
      expect(report.requests.map((r) => r.chased)).toEqual([0, 1, 2]);
      const item = await waitFor(() => db.item.findUnique({ where: { id: `M-${cycleId}-L3` } }));
      expect(item).toMatchObject({ leadUnitId: 'unit-c', category: 'monitoring', priority: 'high' });
      expect(item.title).toContain('从未报送的指标');
      expect(item.description).toContain('未报送');
      // Published means closed for reporting.
      await expect(
        submitValues(services(), handler('unit-c'), cycleId, {
          values: [{ code: 'L3', value: 1, note: '' }],
          attachments: [],
        }),
      ).rejects.toMatchObject({ statusCode: 409 });
      // The history stays small however many units there are: a fixed handful of events.
      const history = await handle.fetchHistory();
      expect(history.events?.length).toBeLessThan(100);
    });
    await endRedItems();
  }, 300_000);
});

describe('a year of monthly cycles', () => {
  const plan = PlanSchema.parse({
    id: 'year',
    // A year gone by, so every cycle's due date has passed and the test runs on no clock but the data's.
    year: 2025,
    title: '年度指标监测',
    rules: { frequency: 'monthly', dayOfMonth: 5, reportDays: 5 },
    indicators: [
      { code: 'A1', name: '甲一', ownerUnitId: 'unit-a', baseline: 0, target: 120 },
      { code: 'A2', name: '甲二', ownerUnitId: 'unit-a', baseline: 100, target: 80, direction: 'lower' },
      { code: 'B1', name: '乙一', ownerUnitId: 'unit-b', baseline: 0, target: 120 },
      { code: 'X1', name: '丙一', ownerUnitId: 'unit-x', baseline: 0, target: 120 },
      { code: 'C1', name: '丁一', ownerUnitId: 'unit-c', baseline: 0, target: 10 },
    ],
  });

  it('lights, ranks and opens items every month, as computed by hand', async () => {
    await savePlan(db, plan, 'test');
    const tq = uniqueTaskQueue('year');
    const worker = await timeSkippingWorker(env, db, tq);
    const reports: CycleReport[] = [];
    await worker.runUntil(async () => {
      for (let m = 1; m <= 12; m++) {
        const period = `2025-${String(m).padStart(2, '0')}`;
        // Reported ahead of the cycle (so not asked again): A1 = 10m, A2 = 100 − m, B1 = 8m, X1 = 12m; unit-c never reports.
        await db.indicatorValue.createMany({
          data: [
            ['A1', 10 * m, 'unit-a'],
            ['A2', 100 - m, 'unit-a'],
            ['B1', 8 * m, 'unit-b'],
            ['X1', 12 * m, 'unit-x'],
          ].map(([code, value, unit]) => ({
            planId: 'year',
            code: code as string,
            period,
            value: value as number,
            note: '',
            attachments: [],
            source: 'report',
            submittedBy: `h-${unit}`,
            submittedAt: new Date(),
          })),
        });
        const openedOn = m === 12 ? '2026-01-05' : `2025-${String(m + 1).padStart(2, '0')}-05`;
        const outcome = await env.client.workflow.execute(monitoringCycleWorkflow, {
          workflowId: `year-${period}`,
          taskQueue: tq,
          args: [{ planId: 'year', openedOn }],
        });
        expect(outcome).toMatchObject({ cycleId: `year-${period}`, period });
        reports.push(
          (await db.cycle.findUniqueOrThrow({ where: { id: `year-${period}` } })).report as unknown as CycleReport,
        );
      }
      // A cycle run again (a retry, a second schedule firing) publishes nothing new and opens nothing twice.
      const again = await env.client.workflow.execute(monitoringCycleWorkflow, {
        workflowId: 'year-2025-06-again',
        taskQueue: tq,
        args: [{ planId: 'year', openedOn: '2025-07-05' }],
      });
      expect(again).toMatchObject({ cycleId: 'year-2025-06', reds: 2, itemsOpened: 0 });
    });
    await endRedItems();

    const light = (r: CycleReport, code: string) => r.indicators.find((i) => i.code === code)!.light;
    // Hand-computed paces (progress ÷ share of the year gone):
    //   January (31/365 = 0.0849): A1 (10/120)/0.0849 = 0.981 yellow; B1 (8/120)/0.0849 = 0.785 red; X1 1.177 green.
    //   June (181/365 = 0.4959):  A1 0.5/0.4959 = 1.008 green; B1 0.4/0.4959 = 0.807 yellow; A2 (6/20)/0.4959 = 0.605 red.
    //   December (1):             A1 1.0 green; B1 0.8 yellow; A2 0.6 red; X1 1.2 green.
    expect(['A1', 'A2', 'B1', 'X1', 'C1'].map((c) => light(reports[0]!, c))).toEqual([
      'yellow',
      'red',
      'red',
      'green',
      'red',
    ]);
    expect(['A1', 'A2', 'B1', 'X1', 'C1'].map((c) => light(reports[5]!, c))).toEqual([
      'green',
      'red',
      'yellow',
      'green',
      'red',
    ]);
    expect(['A1', 'A2', 'B1', 'X1', 'C1'].map((c) => light(reports[11]!, c))).toEqual([
      'green',
      'red',
      'yellow',
      'green',
      'red',
    ]);
    expect(reports.map((r) => r.elapsed)).toEqual(
      [31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365].map((d) => Math.round((d / 365) * 10_000) / 10_000),
    );

    // Scores: a = (A1 + A2)/2 = (m/12 + m/20)/2 = m/15 = B1's m/15: a and b tie every month, x leads.
    for (const r of reports) {
      const s = Object.fromEntries(r.standings.map((st) => [st.unitId, st]));
      expect([s['unit-x']!.rank, s['unit-a']!.rank, s['unit-b']!.rank]).toEqual([1, 2, 2]);
      expect(s['unit-a']!.score).toBe(s['unit-b']!.score);
      expect(s['unit-c']).toMatchObject({ ranked: false, rank: null, reported: 0 });
      expect(r.standings.filter((st) => st.ranked).map((st) => st.unitId)).toEqual(['unit-x', 'unit-a', 'unit-b']);
    }
    // December: x at pace 1.2, b at 0.8; b alone would need B1 past 1.2 × 120 = 144 to climb.
    const decB = reports[11]!.standings.find((st) => st.unitId === 'unit-b')!;
    expect(decB.toRise).toEqual({
      scoreGap: 0.4,
      aboveUnitId: 'unit-x',
      options: [{ code: 'B1', valueNeeded: 144.01 }],
    });

    // Red indicators became items, one each per month, assigned to their owners and linked to cycle and indicator.
    const items = await waitFor(async () => {
      const rows = await db.item.findMany({ where: { id: { startsWith: 'M-year-' } }, orderBy: { id: 'asc' } });
      return rows.length === 12 * 2 + 1 ? rows : null; // A2 and C1 every month, B1 in January
    });
    expect(
      items.filter((i) => i.id.endsWith('-C1')).every((i) => i.leadUnitId === 'unit-c' && i.category === 'monitoring'),
    ).toBe(true);
    const june = items.find((i) => i.id === 'M-year-2025-06-A2')!;
    expect(june).toMatchObject({ leadUnitId: 'unit-a', status: 'assigned' });
    expect(june.source).toContain('year-2025-06');
    expect(june.source).toContain('A2');
    // Nobody was asked for what they had already reported.
    expect(
      await db.reportingRequest.count({ where: { cycleId: { startsWith: 'year-' }, unitId: { not: 'unit-c' } } }),
    ).toBe(0);
    expect(await db.reportingRequest.count({ where: { cycleId: { startsWith: 'year-' }, unitId: 'unit-c' } })).toBe(12);
  }, 300_000);
});
