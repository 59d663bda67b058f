/** Monitoring cycles as the caller sees them: reporting, values, the published report, a unit's lights. */
import { z } from 'zod';
import type { Actor } from '../../domain/actors';
import {
  CycleReportSchema,
  IndicatorResultSchema,
  UnitStandingSchema,
  type CycleReport,
} from '../../domain/monitoring';
import { Prisma } from '../../generated/prisma/client';
import { notFound } from '../errors';
import type { Services } from '../services';
import { planAccessById, seesEverything, seesUnit, type PlanAccess } from '../visibility';
import { visiblePlan } from './plans';

export async function listCycles(s: Services, actor: Actor, planId: string) {
  await visiblePlan(s, actor, planId);
  const cycles = await s.db.cycle.findMany({
    where: { planId },
    orderBy: { period: 'desc' },
    select: { id: true, period: true, status: true, dueDate: true, openedAt: true, publishedAt: true },
  });
  return cycles.map((c) => ({
    ...c,
    openedAt: c.openedAt.toISOString(),
    publishedAt: c.publishedAt?.toISOString() ?? null,
  }));
}

/** A cycle whose plan the actor may see, else 404 exactly like an unknown id. */
export async function visibleCycle(s: Services, actor: Actor, id: string) {
  const cycle = await s.db.cycle.findUnique({ where: { id } });
  const access: PlanAccess = cycle
    ? ((await planAccessById(s.db, actor, [cycle.planId])).get(cycle.planId) ?? 'none')
    : 'none';
  if (!cycle || access === 'none') throw notFound('监测周期不存在');
  return { cycle, access };
}

/**
 * Only the rows of the caller's units: their indicators, values, lights, reporting and ranking
 * entries. A ranking entry keeps the rank it has among all the plan's units: that is the
 * published result, and ranking a district's units among themselves would misstate it.
 */
function scopedReport(
  report: CycleReport | null,
  sees: (unitId: string | undefined) => boolean,
  ownerOf: Map<string, string>,
): CycleReport | null {
  if (!report) return null;
  return {
    ...report,
    indicators: report.indicators.filter((i) => sees(i.ownerUnitId)),
    notApplicable: report.notApplicable.filter((code) => sees(ownerOf.get(code))),
    standings: report.standings.filter((st) => sees(st.unitId)),
    requests: report.requests.filter((r) => sees(r.unitId)),
    reds: report.reds.filter((r) => sees(r.ownerUnitId)),
  };
}

export async function cycleDetail(s: Services, actor: Actor, id: string) {
  const { cycle } = await visibleCycle(s, actor, id);
  const [requests, values, owners] = await Promise.all([
    s.db.reportingRequest.findMany({ where: { cycleId: id }, orderBy: { unitId: 'asc' } }),
    s.db.indicatorValue.findMany({ where: { planId: cycle.planId, period: cycle.period }, orderBy: { code: 'asc' } }),
    s.db.indicator.findMany({ where: { planId: cycle.planId }, select: { code: true, ownerUnitId: true } }),
  ]);
  const ownerOf = new Map(owners.map((o) => [o.code, o.ownerUnitId]));
  const all = seesEverything(actor);
  const sees = (unitId: string | undefined) => all || (unitId !== undefined && seesUnit(actor, unitId));
  return {
    cycle: {
      ...cycle,
      openedAt: cycle.openedAt.toISOString(),
      publishedAt: cycle.publishedAt?.toISOString() ?? null,
      report: undefined,
    },
    report: scopedReport(cycle.report === null ? null : CycleReportSchema.parse(cycle.report), sees, ownerOf),
    requests: requests
      .filter((r) => sees(r.unitId))
      .map((r) => ({
        unitId: r.unitId,
        asked: r.indicators.length,
        indicators: r.indicators,
        chased: r.chased,
        completedAt: r.completedAt?.toISOString() ?? null,
      })),
    values: values
      .filter((v) => sees(ownerOf.get(v.code)))
      .map((v) => ({
        code: v.code,
        value: v.value,
        note: v.note,
        source: v.source,
        submittedBy: v.submittedBy,
        submittedAt: v.submittedAt.toISOString(),
      })),
  };
}

/** An evidence file a value refers to, as `submitValues` stores it (derived values have none). */
type StoredAttachment = { name: string; ref: string; sha256: string; mime: string; size: number };

/** What one unit owes and has reported for a cycle (the answer to its submission: small however big the plan). */
export async function unitReporting(s: Services, cycleId: string, planId: string, period: string, unitId: string) {
  const [request, owned] = await Promise.all([
    s.db.reportingRequest.findUnique({ where: { cycleId_unitId: { cycleId, unitId } } }),
    s.db.indicator.findMany({ where: { planId, ownerUnitId: unitId }, select: { code: true } }),
  ]);
  const values = await s.db.indicatorValue.findMany({
    where: { planId, period, code: { in: owned.map((o) => o.code) } },
    orderBy: { code: 'asc' },
  });
  return {
    cycleId,
    unitId,
    request: request
      ? { asked: request.indicators, chased: request.chased, completedAt: request.completedAt?.toISOString() ?? null }
      : null,
    values: values.map((v) => ({
      code: v.code,
      value: v.value,
      note: v.note,
      attachments: v.attachments as StoredAttachment[],
      source: v.source,
      submittedBy: v.submittedBy,
      submittedAt: v.submittedAt.toISOString(),
    })),
  };
}

/**
 * A unit's lights cycle by cycle, from the published reports. Of each report only the unit's
 * standing and indicators are read (picked out in SQL, then parsed): a plan of a thousand units
 * has reports of ten thousand rows, and one unit's history needs a handful of each.
 */
export async function unitLights(s: Services, actor: Actor, unitId: string) {
  if (!seesUnit(actor, unitId) || !(await s.db.unit.findUnique({ where: { id: unitId }, select: { id: true } })))
    throw notFound('单位不存在');
  const unit = Prisma.sql`jsonb_build_object('unit', ${unitId}::text)`;
  // A cycle marked published without a report stored has no lights to show (and must not fail the others).
  const cycles = await s.db.$queryRaw<
    Array<{ id: string; plan_id: string; period: string; standing: unknown; indicators: unknown }>
  >`
    SELECT id, plan_id, period,
      jsonb_path_query_first(report, '$.standings[*] ? (@.unitId == $unit)', ${unit}) AS standing,
      jsonb_path_query_array(report, '$.indicators[*] ? (@.ownerUnitId == $unit)', ${unit}) AS indicators
    FROM cycles WHERE status = 'published' AND report IS NOT NULL
    ORDER BY plan_id, period`;
  return {
    unitId,
    cycles: cycles
      .map((c) => ({
        cycleId: c.id,
        planId: c.plan_id,
        period: c.period,
        standing: UnitStandingSchema.nullable().parse(c.standing),
        indicators: z
          .array(IndicatorResultSchema)
          .parse(c.indicators ?? [])
          .map((i) => ({ code: i.code, name: i.name, value: i.value, light: i.light, missing: i.missing })),
      }))
      .filter((c) => c.indicators.length > 0),
  };
}
