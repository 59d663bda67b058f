/**
 * Fan-out: a monitoring cycle over N units × 10 indicators on the embedded stack, for each N
 * given: the cycle opens (every unit asked: a reporting request recorded for each, which the
 * outbox then mails), every unit reports through the API, then the due moment (提前晾晒 signal)
 * → lights, ranking and red items. Times each phase; counts the cycle workflow's history events
 * and child workflows (none by design: the units' values go to PostgreSQL, not to workflows).
 * The red items' rate (the openRedItems activity, scheduled to completed, from the history) is set
 * against bare workflow starts of the same count at the same concurrency, in the same run, doing
 * the engine work of an open (bench/opening.ts bareStarts).
 */
import { PlanSchema, type CycleReport } from '../domain/monitoring';
import type { EmbeddedStack } from '../dev/embedded-stack';
import { savePlan } from '../lib/plans';
import { signToken } from '../lib/tokens';
import { BENCH_SECRET, startOurs } from './ours';
import { monitoringCycleWorkflow, publishNowSignal } from '../workflows/monitoring-cycle';
import { pool, summary } from './stats';
import { tsToMs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import { RED_ITEMS_IN_FLIGHT } from '../activities/monitoring';
import { bareStarts } from './opening';

const PER_UNIT = 10;

export async function runMonitoring(stack: EmbeddedStack, sizes: number[], concurrency: number) {
  const runs = [];
  for (const units of sizes) runs.push(await runCycle(stack, units, concurrency));
  return { rows: runs.flatMap((r) => r.rows), correct: runs.every((r) => r.correct), json: runs.map((r) => r.json) };
}

async function runCycle(stack: EmbeddedStack, units: number, concurrency: number) {
  const { db } = stack;
  const ids = Array.from({ length: units }, (_, i) => `mu${units}-${String(i).padStart(4, '0')}`);
  await db.unit.createMany({
    data: ids.map((id, i) => ({
      id,
      name: `监测单位${i}`,
      parentId: null,
      kind: i % 10 === 0 ? 'district' : 'bureau',
    })),
    skipDuplicates: true,
  });
  await db.user.createMany({
    data: [
      ...ids.map((id) => ({ id: `h-${id}`, name: `${id}经办`, role: 'unit_handler', unitId: id })),
      { id: 'b-sup', name: '督查', role: 'supervisor', unitId: null },
    ],
    skipDuplicates: true,
  });
  const plan = PlanSchema.parse({
    id: `bench-plan-${units}`,
    year: 2026,
    title: '监测基准计划',
    rules: { reportDays: 5 },
    indicators: ids.flatMap((u) =>
      Array.from({ length: PER_UNIT }, (_, k) => ({
        code: `${u}-${k}`,
        name: `指标${k}`,
        ownerUnitId: u,
        baseline: 0,
        target: 100,
        category: k < 5 ? '经济' : '民生',
      })),
    ),
  });
  await savePlan(db, plan, 'bench');
  const taskQueue = `bench-monitoring-${units}`;
  const { client: ours, worker, app, base } = await startOurs(stack, taskQueue, { startsItems: true });
  const running = worker.run();
  try {
    // 1. Open: every unit asked for its ten values.
    const askedBefore = await db.notificationRequest.count({ where: { kind: 'report_request' } });
    const t0 = performance.now();
    const handle = await ours.workflow.start(monitoringCycleWorkflow, {
      workflowId: `bench-cycle-${units}`,
      taskQueue,
      args: [{ planId: plan.id }],
    });
    for (;;) {
      const asked = (await db.notificationRequest.count({ where: { kind: 'report_request' } })) - askedBefore;
      if (asked >= units) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const openMs = performance.now() - t0;
    const cycle = await db.cycle.findFirstOrThrow({ where: { planId: plan.id } });

    // 2. Every unit reports through the API; one in a hundred indicators lags far behind (red).
    const latency: number[] = [];
    const t1 = performance.now();
    let failed = 0;
    await pool(ids, concurrency, async (u) => {
      const n = Number(u.split('-')[1]);
      const values = Array.from({ length: PER_UNIT }, (_, k) => ({
        code: `${u}-${k}`,
        value: (n * 7 + k * 13) % 100 === 0 ? 1 : 80 + ((n + k) % 20),
      }));
      const s = performance.now();
      const res = await fetch(`${base}/api/cycles/${cycle.id}/values`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${signToken({ userId: `h-${u}` }, BENCH_SECRET)}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ values }),
      });
      latency.push(performance.now() - s);
      if (!res.ok) failed++;
      await res.arrayBuffer();
    });
    const reportMs = performance.now() - t1;

    // 3. The due moment: light, rank, publish; then an item for every red indicator.
    const t2 = performance.now();
    await handle.signal(publishNowSignal);
    for (;;) {
      const c = await db.cycle.findUniqueOrThrow({ where: { id: cycle.id }, select: { status: true } });
      if (c.status === 'published') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const publishMs = performance.now() - t2;
    const outcome = await handle.result();
    const itemsMs = performance.now() - t2;
    const history = await handle.fetchHistory();
    const report = (await db.cycle.findUniqueOrThrow({ where: { id: cycle.id } })).report as unknown as CycleReport;
    const values = await db.indicatorValue.count({ where: { planId: plan.id, period: cycle.period } });
    const items = await db.item.count({ where: { id: { startsWith: `M-${cycle.id}-` } } });
    // Each red item opened once: its opening event and nothing else.
    const redEvents = await db.itemEvent.count({ where: { itemId: { startsWith: `M-${cycle.id}-` } } });
    const redSeconds = activitySeconds(history.events ?? [], 'openRedItems');
    // The same engine work as opening an item (bench/opening.ts), and for reference a start answered in its first task.
    const bare = outcome.reds ? await bareStarts(stack, outcome.reds, RED_ITEMS_IN_FLIGHT, 'recorded') : null;
    const firstTask = outcome.reds ? await bareStarts(stack, outcome.reds, RED_ITEMS_IN_FLIGHT, 'firstTask') : null;
    const startOnly = outcome.reds ? await bareStarts(stack, outcome.reds, RED_ITEMS_IN_FLIGHT, 'start') : null;
    const redPerSecond = outcome.reds / redSeconds;
    const bareStartsPerSecond = bare ? outcome.reds / bare.seconds : NaN;
    const bareFirstTaskPerSecond = firstTask ? outcome.reds / firstTask.seconds : NaN;
    const bareStartOnlyPerSecond = startOnly ? outcome.reds / startOnly.seconds : NaN;
    const lat = summary(latency);
    const correct =
      failed === 0 &&
      values === units * PER_UNIT &&
      report.indicators.length === units * PER_UNIT &&
      report.standings.length === units &&
      items === outcome.reds &&
      redEvents === outcome.reds &&
      outcome.itemsOpened === outcome.reds;
    const events = history.events?.length ?? 0;
    const children = history.events?.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes).length ?? 0;
    const rows = [
      {
        units,
        'all asked ms': Math.round(openMs),
        'reports ms': Math.round(reportMs),
        'report p99 ms': lat.p99,
        'due → ranking ms': Math.round(publishMs),
        'due → red items ms': Math.round(itemsMs),
        'red items': items,
        'red items/s': redPerSecond,
        'bare starts/s': bareStartsPerSecond,
        'bare 1st-task starts/s': bareFirstTaskPerSecond,
        'bare plain starts/s': bareStartOnlyPerSecond,
        'red/bare': redPerSecond / bareStartsPerSecond,
        'red/plain': redPerSecond / bareStartOnlyPerSecond,
        'peak children': children,
        'history events': events,
        correct: correct ? 'yes' : 'NO',
      },
    ];
    return {
      rows,
      correct,
      json: {
        units,
        indicators: units * PER_UNIT,
        openMs,
        reportMs,
        reportLatency: lat,
        publishMs,
        itemsMs,
        reds: outcome.reds,
        redPerSecond,
        bareStartsPerSecond,
        bareFirstTaskPerSecond,
        bareStartOnlyPerSecond,
        children,
        historyEvents: events,
        correct,
      },
    };
  } finally {
    await app.close();
    worker.shutdown();
    await running;
  }
}

/** From an activity's scheduling to its completion, in seconds, as the workflow's history has them. */
function activitySeconds(events: temporal.api.history.v1.IHistoryEvent[], activityType: string): number {
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType);
  const completed = events.find(
    (e) => scheduled && Number(e.activityTaskCompletedEventAttributes?.scheduledEventId) === Number(scheduled.eventId),
  );
  if (!scheduled || !completed) return NaN;
  return (tsToMs(completed.eventTime) - tsToMs(scheduled.eventTime)) / 1000;
}
