import { condition, defineSignal, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { attentionGuard } from './attention';

const { openCycle, chaseReporters, publishCycle } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 12 },
});
const { openRedItems } = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 12 },
});

/** 提前晾晒: every unit has reported, the supervisor publishes before the due date. */
export const publishNowSignal = defineSignal('publishNow');

export interface CycleInput {
  planId: string;
  /** Count the cycle as opened on this day (YYYY-MM-DD) instead of today: reruns and tests. */
  openedOn?: string;
}

export interface CycleOutcome {
  cycleId: string;
  period: string;
  reds: number;
  itemsOpened: number;
}

/**
 * One monitoring cycle of a plan, started by the plan's Schedule: ask the owner units for their
 * values, chase those who owe them, and at the due date light, rank, publish, and open an item
 * for every red indicator. The units' values go straight to PostgreSQL through the API, so the
 * history holds a fixed handful of events whether the plan has ten units or a thousand.
 */
export async function monitoringCycleWorkflow(input: CycleInput): Promise<CycleOutcome> {
  const guard = attentionGuard();
  let publishNow = false;
  setHandler(publishNowSignal, () => {
    publishNow = true;
  });
  const opened = await guard.run(() =>
    openCycle({
      planId: input.planId,
      now: Date.now(),
      workflowId: workflowInfo().workflowId,
      ...(input.openedOn ? { openedOn: input.openedOn } : {}),
    }),
  );
  if (opened.status === 'collecting') {
    for (const rung of opened.rungs) {
      if (await waitUntil(rung.at, () => publishNow)) break;
      await guard.run(() => chaseReporters({ cycleId: opened.cycleId, rung: rung.key, now: Date.now() }));
    }
    await waitUntil(opened.dueAt, () => publishNow);
  }
  const published = await guard.run(() => publishCycle({ cycleId: opened.cycleId, now: Date.now() }));
  const itemsOpened = published.reds.length
    ? await guard.run(() =>
        openRedItems({ cycleId: opened.cycleId, now: Date.now(), taskQueue: workflowInfo().taskQueue }),
      )
    : 0;
  return { cycleId: opened.cycleId, period: opened.period, reds: published.reds.length, itemsOpened };
}

/** Waits until `at`, or until `early()` turns true; says whether it was the latter. */
async function waitUntil(at: number, early: () => boolean): Promise<boolean> {
  const wait = at - Date.now();
  if (early()) return true;
  if (wait <= 0) return false;
  return condition(early, wait);
}
