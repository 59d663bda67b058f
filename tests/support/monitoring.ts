import type { Client } from '@temporalio/client';
import type { Db } from '../../lib/db';
import { planScheduleId } from '../../workflows/client/schedules';
import { waitFor } from './wait';

/**
 * Waits until the cycle `id` is `collecting` (its workflow started and recorded) or `published`,
 * as its workflow records it after the request that asked for it; the cycle's row.
 */
export function waitForCycle(db: Db, id: string, status: 'collecting' | 'published', ms?: number) {
  return waitFor(async () => {
    const c = await db.cycle.findUnique({ where: { id } });
    return c?.status === status && (status !== 'collecting' || c.workflowId) ? c : null;
  }, ms);
}

/** The derived indicator 督办事项按期办结率 of `ownerUnitId`: counted from the unit's items, reported by nobody. */
export const closureRateIndicator = (code: string, ownerUnitId: string, baseline: number, target: number) => ({
  code,
  name: '督办事项按期办结率',
  ownerUnitId,
  baseline,
  target,
  source: 'closure_rate' as const,
});

/** A value as a unit's submitted report stores it, put straight into the database. */
export function reportedValue(
  db: Db,
  value: { planId: string; code: string; period: string; value: number; submittedBy: string },
) {
  return db.indicatorValue.create({
    data: { ...value, note: '', attachments: [], source: 'report', submittedAt: new Date() },
  });
}

/**
 * Indicators as the console tests' plans have them: 市财政局 (unit-b) owes F1 and F2, 市民政局
 * (unit-a) M1, 市公安局 (unit-c) P1.
 */
export const SAMPLE_INDICATORS = {
  F1: { code: 'F1', name: '一般公共预算收入增幅', ownerUnitId: 'unit-b', measure: '%', baseline: 2, target: 8 },
  F2: { code: 'F2', name: '政府性基金收入', ownerUnitId: 'unit-b', measure: '亿元', baseline: 100, target: 130 },
  M1: { code: 'M1', name: '城乡低保按时发放率', ownerUnitId: 'unit-a', measure: '%', baseline: 90, target: 100 },
  P1: { code: 'P1', name: '刑事案件破案率', ownerUnitId: 'unit-c', measure: '%', baseline: 50, target: 90 },
};

/** Deletes the plans' schedules, which would outlive the test file on the shared Temporal server; one already gone is fine. */
export async function deletePlanSchedules(client: Client | undefined, plans: string[]): Promise<void> {
  for (const plan of plans)
    await client?.schedule
      .getHandle(planScheduleId(plan))
      .delete()
      .catch(() => {});
}
