/** Monitoring cycles as the caller sees them: reporting, values, the published report, a unit's lights. */
import { z } from 'zod';
import type { Actor } from '../../domain/actors';
import { isUnitRole } from '../../domain/actors';
import { shanghaiDate } from '../../domain/calendar';
import {
  CycleReportSchema,
  CycleRulesSchema,
  elapsedShare,
  evaluate,
  IndicatorResultSchema,
  periodEnd,
  reportingCounts,
  reportingSummary,
  UnitStandingSchema,
  type CycleReport,
  type Indicator,
  type Light,
  type Thresholds,
} from '../../domain/monitoring';
import { Prisma } from '../../generated/prisma/client';
import { AppError, notFound } from '../errors';
import {
  bulletinTitle,
  gapWords,
  groupWords,
  indicatorLightWords,
  lightRuleWords,
  paceWords,
  percentText,
  periodWords,
} from '../../domain/monitoring-words';
import { LIGHT_LABELS } from '../../domain/labels';
import { loadUnitLabels } from '../../lib/unit-names';
import { exportedAt, type XlsxSheet } from '../../lib/xlsx';
import type { Services } from '../services';
import { planAccessById, seesEverything, seesUnit, type PlanAccess } from '../visibility';
import { visiblePlan } from './plans';
import { indicatorOf } from '../../lib/plans';

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

/** The notices that chase a unit for its values: the cycle's 报送提醒 and 催报 rungs, and a supervisor's 催报. */
const CHASE_KINDS = ['report_remind', 'report_chase', 'report_urged'];

export async function cycleDetail(s: Services, actor: Actor, id: string) {
  const { cycle } = await visibleCycle(s, actor, id);
  const [plan, requests, values, owners, chases] = await Promise.all([
    s.db.plan.findUniqueOrThrow({
      where: { id: cycle.planId },
      select: { id: true, title: true, year: true, rules: true },
    }),
    s.db.reportingRequest.findMany({ where: { cycleId: id }, orderBy: { unitId: 'asc' } }),
    s.db.indicatorValue.findMany({ where: { planId: cycle.planId, period: cycle.period }, orderBy: { code: 'asc' } }),
    s.db.indicator.findMany({
      where: { planId: cycle.planId },
      select: { code: true, name: true, ownerUnitId: true, source: true },
    }),
    s.db.notificationRequest.findMany({
      where: { subjectKind: 'cycle', subjectId: id, kind: { in: CHASE_KINDS } },
      select: { kind: true, unitIds: true, createdAt: true },
    }),
  ]);
  const ownerOf = new Map(owners.map((o) => [o.code, o.ownerUnitId]));
  const all = seesEverything(actor);
  const sees = (unitId: string | undefined) => all || (unitId !== undefined && seesUnit(actor, unitId));
  const units = reportingByUnit(owners, values, requests, chases, shanghaiDate(s.now?.() ?? Date.now())).filter((u) =>
    sees(u.unitId),
  );
  return {
    plan: { id: plan.id, title: plan.title, year: plan.year },
    thresholds: CycleRulesSchema.parse(plan.rules).thresholds,
    reporting: withNames(reportingSummary(units), new Map(owners.map((o) => [o.code, o.name]))),
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
    units,
  };
}

/** The summary with the names of the indicators each unit still owes. */
function withNames(summary: ReturnType<typeof reportingSummary>, names: Map<string, string>) {
  return {
    ...summary,
    notReported: summary.notReported.map((u) => ({
      unitId: u.unitId,
      missing: u.missing.map((code) => ({ code, name: names.get(code) ?? code })),
    })),
  };
}

type CycleDetailView = Awaited<ReturnType<typeof cycleDetail>>;

/**
 * The 晾晒通报 of a published cycle, as the caller may see it: its title, summary sentences, the
 * ranking of each group in words, the units with red indicators and those that did not report.
 * The console's print page and the .xlsx are both this.
 */
export async function cycleBulletin(s: Services, actor: Actor, id: string) {
  const detail = await cycleDetail(s, actor, id);
  if (!detail.report)
    throw new AppError(409, 'conflict', '本期尚未晾晒，还没有晾晒通报', { reason: 'cycle_not_published' });
  const [labels, items] = await Promise.all([
    loadUnitLabels(s.db),
    s.db.item.findMany({
      where: { id: { in: detail.report.reds.map((r) => r.itemId) } },
      select: { id: true, number: true, title: true },
    }),
  ]);
  // An item by its 督办编号 and title, as offices cite it; never its system id. The workflow
  // opens the items just after publishing: one not written yet is 正在立项.
  const itemWords = new Map(items.map((i) => [i.id, `${i.number} ${i.title}`]));
  return bulletinOf(
    detail,
    detail.report,
    (u) => labels.get(u) ?? u,
    (id) => itemWords.get(id) ?? '正在立项',
  );
}

export type Bulletin = ReturnType<typeof bulletinOf>;

function bulletinOf(
  d: CycleDetailView,
  report: CycleReport,
  unitName: (id: string) => string,
  itemWords: (id: string) => string,
) {
  const reportingOf = new Map(d.units.map((u) => [u.unitId, u]));
  const groups = [...new Set(report.standings.map((st) => st.group))].map((group) => ({
    group,
    label: groupWords(group),
    rows: report.standings
      .filter((st) => st.group === group)
      .map((st) => {
        const rep = reportingOf.get(st.unitId);
        return {
          rank: st.ranked ? st.rank : null,
          unitId: st.unitId,
          unitName: unitName(st.unitId),
          score: st.score,
          progress: st.score === null ? '不参与排名' : paceWords(st.score),
          gap: st.toRise ? `${gapWords(st.toRise.scoreGap)}（与${unitName(st.toRise.aboveUnitId)}）` : '—',
          lights: st.lights,
          owed: rep?.owed ?? 0,
          reported: rep?.reported ?? 0,
          note: st.ranked ? '' : (st.reason ?? '未参与排名'),
        };
      }),
  }));
  const redsByUnit = new Map<
    string,
    Array<{ code: string; name: string; why: string; itemId: string; item: string }>
  >();
  for (const red of report.reds) {
    const r = report.indicators.find((i) => i.code === red.code);
    if (!r) continue;
    redsByUnit.set(red.ownerUnitId, [
      ...(redsByUnit.get(red.ownerUnitId) ?? []),
      {
        code: r.code,
        name: r.name,
        why: indicatorLightWords(r, report.elapsed, d.thresholds),
        itemId: red.itemId,
        item: itemWords(red.itemId),
      },
    ]);
  }
  const reds = [...redsByUnit.entries()].map(([unitId, indicators]) => ({
    unitId,
    unitName: unitName(unitId),
    indicators,
  }));
  const notReported = d.reporting.notReported.map((u) => ({ ...u, unitName: unitName(u.unitId) }));
  const lights = { green: 0, yellow: 0, red: 0 };
  for (const r of report.indicators) lights[r.light]++;
  const names = (list: Array<{ unitName: string }>) => list.map((u) => u.unitName).join('、');
  const summary = [
    `${periodWords(d.cycle.period)}，${d.plan.title}共晾晒 ${report.standings.length} 个单位的 ${report.indicators.length} 项指标，时序进度 ${percentText(report.elapsed)}。`,
    `亮${LIGHT_LABELS.green} ${lights.green} 项、${LIGHT_LABELS.yellow} ${lights.yellow} 项、${LIGHT_LABELS.red} ${lights.red} 项。`,
    `应报送数据的 ${d.reporting.units} 个单位中，${d.reporting.complete} 个已报齐${notReported.length ? `，${notReported.length} 个未报齐：${names(notReported)}` : ''}。`,
    ...groups.flatMap((g) => {
      const ranked = g.rows.filter((r) => r.rank !== null);
      const first = ranked.filter((r) => r.rank === 1);
      const lastRank = ranked.at(-1)?.rank;
      const last = ranked.length > 1 ? ranked.filter((r) => r.rank === lastRank && r.rank !== 1) : [];
      if (!first.length) return [];
      return [
        `${g.label}中，${names(first)}排名第一，${first[0]!.progress}${last.length ? `；${names(last)}排名末位，${last[0]!.progress}` : ''}。`,
      ];
    }),
    reds.length
      ? `${reds.length} 个单位有红灯指标：${names(reds)}，已分别立项督办，请限期整改。`
      : '本期没有红灯指标。',
  ];
  return {
    cycleId: d.cycle.id,
    planTitle: d.plan.title,
    period: d.cycle.period,
    periodWords: periodWords(d.cycle.period),
    title: bulletinTitle(d.cycle.period),
    publishedAt: report.publishedAt,
    elapsed: report.elapsed,
    rule: lightRuleWords(d.thresholds),
    summary,
    groups,
    reds,
    notReported,
  };
}

/** The 通报 as workbook sheets (lib/xlsx.ts): the ranking in words, the red indicators, the units not reported. */
export function bulletinSheets(b: Bulletin, now: Date): XlsxSheet[] {
  const subtitle = `${b.planTitle} · ${b.periodWords} · 时序进度 ${percentText(b.elapsed)} · ${exportedAt(now)}`;
  return [
    {
      name: '排名',
      title: b.title,
      subtitle,
      columns: [
        { header: '分组', key: 'group' },
        { header: '名次', key: 'rank', kind: 'number' },
        { header: '单位', key: 'unit' },
        { header: '进度（相对时序进度）', key: 'score', kind: 'percent' },
        { header: '与时序进度相比', key: 'progress' },
        { header: '与前一名差距', key: 'gap' },
        { header: '绿灯', key: 'green', kind: 'number' },
        { header: '黄灯', key: 'yellow', kind: 'number' },
        { header: '红灯', key: 'red', kind: 'number' },
        { header: '已报 / 应报', key: 'reporting' },
        { header: '说明', key: 'note' },
      ],
      rows: b.groups.flatMap((g) =>
        g.rows.map((r) => ({
          group: g.label,
          rank: r.rank ?? '不参与排名',
          unit: r.unitName,
          score: r.score,
          progress: r.progress,
          gap: r.gap,
          green: r.lights.green,
          yellow: r.lights.yellow,
          red: r.lights.red,
          reporting: r.owed ? `${r.reported} / ${r.owed}` : '系统计算',
          note: r.note,
        })),
      ),
    },
    {
      name: '红灯指标',
      title: `${b.periodWords}红灯指标`,
      subtitle: b.rule,
      columns: [
        { header: '单位', key: 'unit' },
        { header: '指标', key: 'name' },
        { header: '亮灯原因', key: 'why' },
        { header: '督办事项', key: 'item' },
      ],
      rows: b.reds.flatMap((u) =>
        u.indicators.map((i) => ({ unit: u.unitName, name: i.name, why: i.why, item: i.item })),
      ),
    },
    {
      name: '未报齐单位',
      title: `${b.periodWords}未报齐单位`,
      columns: [
        { header: '单位', key: 'unit' },
        { header: '未报送的指标', key: 'missing' },
      ],
      rows: b.notReported.map((u) => ({ unit: u.unitName, missing: u.missing.map((m) => m.name).join('、') })),
    },
  ];
}

/**
 * Who has reported and who has not, per unit that owes indicators to report (`reportingCounts`,
 * the one definition of 报齐): how many it owes and has reported for the period, which it still
 * owes, when it last reported, how often it was chased and when last, and whether a supervisor
 * chased it today (once a day at most).
 */
function reportingByUnit(
  indicators: Array<{ code: string; ownerUnitId: string; source: string }>,
  values: Array<{ code: string; submittedAt: Date }>,
  requests: Array<{ unitId: string; chased: number }>,
  chases: Array<{ kind: string; unitIds: string[]; createdAt: Date }>,
  today: string,
) {
  const valueOf = new Map(values.map((v) => [v.code, v]));
  const units = reportingCounts(indicators, (code) => valueOf.has(code)).map((u) => {
    const times = indicators
      .filter((i) => i.ownerUnitId === u.unitId && i.source === 'report')
      .flatMap((i) => valueOf.get(i.code)?.submittedAt.toISOString() ?? []);
    return {
      ...u,
      lastReportedAt: times.length ? times.reduce((a, b) => (a > b ? a : b)) : null,
      chased: requests.find((r) => r.unitId === u.unitId)?.chased ?? 0,
      lastChasedAt: null as string | null,
      urgedToday: false,
    };
  });
  const byId = new Map(units.map((u) => [u.unitId, u]));
  for (const c of chases) {
    const u = byId.get(c.unitIds[0] ?? '');
    if (!u) continue;
    const at = c.createdAt.toISOString();
    if (!u.lastChasedAt || at > u.lastChasedAt) u.lastChasedAt = at;
    if (c.kind === 'report_urged' && shanghaiDate(c.createdAt.getTime()) === today) u.urgedToday = true;
  }
  return units;
}

/** A unit's draft as stored (report_drafts): values, possibly empty, with their notes; files by SHA-256. */
export const StoredDraftValues = z.array(
  z.object({ code: z.string(), value: z.number().nullable(), note: z.string() }),
);
export const StoredDraftFiles = z.array(z.object({ sha256: z.string() }));

/**
 * The value at which an indicator's pace reaches `threshold` at 时序进度 `elapsed` (pace =
 * progress ÷ elapsed, as `evaluate` lights it): baseline + threshold × elapsed × (target −
 * baseline), to two decimals on the safe side (up when higher is better, down when lower is),
 * and checked with `evaluate` itself, so that the figure shown, typed in, gets that light.
 */
export function valueForPace(ind: Indicator, elapsed: number, threshold: number): number {
  const exact = ind.baseline + threshold * (elapsed > 0 ? elapsed : 1) * (ind.target - ind.baseline);
  const step = ind.direction === 'higher' ? 1 : -1;
  let cents = ind.direction === 'higher' ? Math.ceil(exact * 100) : Math.floor(exact * 100);
  const at = { green: threshold, yellow: threshold };
  for (let i = 0; i < 3 && evaluate(ind, cents / 100, elapsed, at).light !== 'green'; i++) cents += step;
  return cents / 100;
}

/** The light a value would get now (for a draft: what it would be lit at publication, period unchanged). */
export const lightFor = (ind: Indicator, value: number | null, elapsed: number, t: Thresholds): Light | null =>
  value === null ? null : evaluate(ind, value, elapsed, t).light;

/**
 * The caller's unit's report form for a cycle: the indicators it reports (owner unit its own,
 * reported by the unit, not derived), each with its measure, target, baseline, direction, the
 * value of the latest earlier period, 时序进度 and the values that keep it green and yellow now;
 * what it has submitted (with the light) and its draft (with the light each value would get).
 */
export async function reportForm(s: Services, actor: Actor, cycleId: string) {
  const { cycle } = await visibleCycle(s, actor, cycleId);
  const unitId = isUnitRole(actor) ? actor.unitId : null;
  const plan = await s.db.plan.findUniqueOrThrow({ where: { id: cycle.planId }, select: { rules: true } });
  const { thresholds } = CycleRulesSchema.parse(plan.rules);
  const elapsed = elapsedShare(periodEnd(cycle.period));
  const rows = unitId
    ? await s.db.indicator.findMany({
        where: { planId: cycle.planId, ownerUnitId: unitId, source: 'report' },
        orderBy: { code: 'asc' },
      })
    : [];
  const codes = rows.map((r) => r.code);
  const [values, draft] = await Promise.all([
    s.db.indicatorValue.findMany({ where: { planId: cycle.planId, code: { in: codes } } }),
    unitId ? s.db.reportDraft.findUnique({ where: { cycleId_unitId: { cycleId, unitId } } }) : null,
  ]);
  const draftFiles = draft ? StoredDraftFiles.parse(draft.attachments) : [];
  const files = draftFiles.length
    ? await s.db.evidence.findMany({
        where: { subjectKind: 'cycle', subjectId: cycleId, sha256: { in: draftFiles.map((f) => f.sha256) } },
      })
    : [];
  const indicators = rows.map(indicatorOf);
  const byCode = new Map(indicators.map((i) => [i.code, i]));
  return {
    cycleId,
    period: cycle.period,
    status: cycle.status,
    dueDate: cycle.dueDate,
    unitId,
    elapsed: Math.round(elapsed * 10_000) / 10_000,
    thresholds,
    indicators: indicators.map((ind) => {
      const mine = values.filter((v) => v.code === ind.code);
      // Periods of one plan are all months or all quarters: their strings sort in time order.
      const previous = mine.filter((v) => v.period < cycle.period).sort((a, b) => (a.period < b.period ? 1 : -1))[0];
      const current = mine.find((v) => v.period === cycle.period);
      return {
        code: ind.code,
        name: ind.name,
        measure: ind.measure,
        baseline: ind.baseline,
        target: ind.target,
        direction: ind.direction,
        category: ind.category,
        expected: valueForPace(ind, elapsed, thresholds.green),
        yellowLine: valueForPace(ind, elapsed, thresholds.yellow),
        previous: previous ? { period: previous.period, value: previous.value } : null,
        submitted: current
          ? {
              value: current.value,
              note: current.note,
              attachments: (current.attachments as StoredAttachment[]).map(({ sha256, name, size, mime, ref }) => ({
                sha256,
                name,
                size,
                mime,
                ref,
              })),
              submittedBy: current.submittedBy,
              submittedAt: current.submittedAt.toISOString(),
              light: lightFor(ind, current.value, elapsed, thresholds)!,
            }
          : null,
      };
    }),
    draft: draft
      ? {
          values: StoredDraftValues.parse(draft.values).map((v) => {
            const ind = byCode.get(v.code);
            return { ...v, light: ind ? lightFor(ind, v.value, elapsed, thresholds) : null };
          }),
          attachments: draftFiles.flatMap((a) => {
            const f = files.find((x) => x.sha256 === a.sha256);
            return f
              ? [{ sha256: f.sha256, name: f.name, size: f.size, mime: f.mime, ref: `evidence:${f.sha256}` }]
              : [];
          }),
          savedBy: draft.savedBy,
          savedAt: draft.savedAt.toISOString(),
        }
      : null,
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
