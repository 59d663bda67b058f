import type { Indicator, Plan } from '../domain/monitoring';
import type { Prisma } from '../generated/prisma/client';
import type { Db } from './db';

/** Writes a validated plan and its indicators in one transaction. */
export async function savePlan(db: Db, plan: Plan, createdBy: string): Promise<void> {
  await db.$transaction([
    db.plan.create({
      data: {
        id: plan.id,
        year: plan.year,
        title: plan.title,
        source: plan.source,
        rules: plan.rules as Prisma.InputJsonValue,
        tasks: plan.tasks as unknown as Prisma.InputJsonValue,
        createdBy,
      },
    }),
    db.indicator.createMany({ data: plan.indicators.map((i) => ({ planId: plan.id, ...i })) }),
  ]);
}

export async function deletePlan(db: Db, planId: string): Promise<void> {
  await db.$transaction([db.indicator.deleteMany({ where: { planId } }), db.plan.delete({ where: { id: planId } })]);
}

/** An indicator row as the domain's lighting takes it (stored by `savePlan` from a checked plan). */
export function indicatorOf(row: {
  code: string;
  name: string;
  ownerUnitId: string;
  measure: string;
  baseline: number;
  target: number;
  direction: string;
  weight: number;
  category: string;
  source: string;
  invented: boolean;
}): Indicator {
  return { ...row, direction: row.direction as Indicator['direction'], source: row.source as Indicator['source'] };
}
