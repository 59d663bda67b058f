import { z } from 'zod';

/**
 * Monitoring cycles (常态化监测, 定期晾晒): plans with tasks and indicators, the progress of an
 * indicator against the time elapsed in the year (时序进度), its light, and the ranking of units.
 * Pure: the cycle's activities, the API and the tests call it.
 */
export const DIRECTIONS = ['higher', 'lower'] as const;
export type Direction = (typeof DIRECTIONS)[number];
export const FREQUENCIES = ['monthly', 'quarterly'] as const;
export type Frequency = (typeof FREQUENCIES)[number];
/** Where a value comes from: reported by the owner unit, or derived from what the system holds. */
export const INDICATOR_SOURCES = ['report', 'closure_rate'] as const;

const Text = (max: number) => z.string().trim().min(1, '不能为空').max(max, `不能超过 ${max} 个字符`);
const Id = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, '只能包含字母、数字和 . _ -，最长 64 个字符');
const Num = z.number({ error: '应为数字' }).finite('应为有限数字');

export const TaskSchema = z.strictObject({
  no: z.number().int().min(1).max(10_000),
  title: Text(300),
  leadUnitId: Text(64),
  coUnitIds: z.array(Text(64)).max(20).default([]),
});

export const IndicatorSchema = z
  .strictObject({
    code: Id,
    name: Text(200),
    ownerUnitId: Text(64),
    measure: z.string().trim().max(20).default(''),
    baseline: Num,
    target: Num,
    direction: z.enum(DIRECTIONS).default('higher'),
    weight: Num.min(0.01, '权重应大于 0').max(100).default(1),
    category: z.string().trim().min(1).max(40).default('综合'),
    source: z.enum(INDICATOR_SOURCES).default('report'),
    /** Made up for the demo (the seeds name the indicators' existence, not their values). */
    invented: z.boolean().default(false),
  })
  .refine((i) => i.target !== i.baseline, { message: '目标值不能等于基期值', path: ['target'] })
  .refine((i) => (i.direction === 'higher' ? i.target > i.baseline : i.target < i.baseline), {
    message: '目标值与方向不符（越高越好时目标应高于基期值，越低越好时应低于基期值）',
    path: ['direction'],
  });
export type Indicator = z.output<typeof IndicatorSchema>;

export const ThresholdsSchema = z
  .strictObject({
    /** Progress ÷ 时序进度 at or above which the light is green. */
    green: Num.min(0).max(2).default(1),
    /** …at or above which it is yellow; below, red. */
    yellow: Num.min(0).max(2).default(0.8),
  })
  .refine((t) => t.yellow <= t.green, { message: '黄灯阈值不能高于绿灯阈值', path: ['yellow'] });
export type Thresholds = z.output<typeof ThresholdsSchema>;

export const CycleRulesSchema = z.strictObject({
  frequency: z.enum(FREQUENCIES).default('monthly'),
  /** Day of the month the cycle opens (1–28, so every month has it). */
  dayOfMonth: z.number().int().min(1).max(28).default(5),
  /** Working days the owner units have to report. */
  reportDays: z.number().int().min(1).max(30).default(5),
  thresholds: ThresholdsSchema.default({ green: 1, yellow: 0.8 }),
  /** Share of its indicators a unit must have reported to be named in the ranking. */
  minReportedShare: Num.min(0).max(1).default(0.6),
});
export type CycleRules = z.output<typeof CycleRulesSchema>;

export const PlanSchema = z.strictObject({
  id: Id,
  year: z.number().int().min(2000).max(2100),
  title: Text(200),
  source: z.string().trim().max(300).default(''),
  rules: CycleRulesSchema.default(CycleRulesSchema.parse({})),
  tasks: z.array(TaskSchema).max(1000).default([]),
  indicators: z.array(IndicatorSchema).max(20_000).default([]),
});
export type PlanInput = z.input<typeof PlanSchema>;
export type Plan = z.output<typeof PlanSchema>;

// The periods' arithmetic lives apart, free of zod: the console names the period 开启周期 will open.
export { periodEnd, periodFor } from './periods';

/** 时序进度: the share of the year gone by the end of the period (day count, end day included). */
export function elapsedShare(periodEnd: string): number {
  const y = Number(periodEnd.slice(0, 4));
  const start = Date.UTC(y, 0, 1);
  const end = Date.parse(`${periodEnd}T00:00:00Z`);
  const days = (Date.UTC(y + 1, 0, 1) - start) / 86_400_000;
  return Math.min(1, ((end - start) / 86_400_000 + 1) / days);
}

export type Light = 'green' | 'yellow' | 'red';

export interface IndicatorResult {
  code: string;
  name: string;
  ownerUnitId: string;
  category: string;
  weight: number;
  value: number | null;
  /** Share of the way from baseline to target (may exceed 1 or be negative). */
  progress: number | null;
  /** progress ÷ 时序进度 */
  pace: number | null;
  light: Light;
  missing: boolean;
}

/** Pace above this counts no more in a score: being far ahead on one indicator does not hide another. */
export const PACE_CAP = 1.5;

export function evaluate(ind: Indicator, value: number | null, elapsed: number, t: Thresholds): IndicatorResult {
  const base = {
    code: ind.code,
    name: ind.name,
    ownerUnitId: ind.ownerUnitId,
    category: ind.category,
    weight: ind.weight,
  };
  if (value === null) return { ...base, value: null, progress: null, pace: null, light: 'red', missing: true };
  const progress =
    ind.direction === 'higher'
      ? (value - ind.baseline) / (ind.target - ind.baseline)
      : (ind.baseline - value) / (ind.baseline - ind.target);
  const pace = elapsed > 0 ? progress / elapsed : progress;
  const light: Light = pace >= t.green ? 'green' : pace >= t.yellow ? 'yellow' : 'red';
  // Unrounded: scores are computed from these, and rounded once, at the end (so equal work ties).
  return { ...base, value, progress, pace, light, missing: false };
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;

export interface UnitStanding {
  unitId: string;
  group: string;
  indicators: number;
  reported: number;
  /** Weighted mean of capped pace over reported indicators; null when not ranked. */
  score: number | null;
  rank: number | null;
  ranked: boolean;
  reason?: string;
  lights: Record<Light, number>;
  /** The same score per indicator category (经济, 民生 …), so like is compared with like. */
  byCategory: Record<string, number>;
  /** What it would take to climb one place: the score gap and, per indicator, the value that closes it alone. */
  toRise: { scoreGap: number; aboveUnitId: string; options: Array<{ code: string; valueNeeded: number }> } | null;
}

/**
 * Ranks units within their group (like with like: districts with districts, bureaus with
 * bureaus). A unit with too few indicators reported is listed but not named in the ranking.
 * Equal scores (to four decimals) share a rank (1, 2, 2, 4), listed by unit id.
 */
export function rankUnits(
  results: IndicatorResult[],
  indicators: Indicator[],
  groupOf: (unitId: string) => string,
  rules: Pick<CycleRules, 'minReportedShare'>,
  elapsed: number,
): UnitStanding[] {
  const byUnit = new Map<string, IndicatorResult[]>();
  for (const r of results) byUnit.set(r.ownerUnitId, [...(byUnit.get(r.ownerUnitId) ?? []), r]);
  const standings: UnitStanding[] = [...byUnit.entries()].map(([unitId, rs]) => {
    const reported = rs.filter((r) => !r.missing);
    const lights = { green: 0, yellow: 0, red: 0 };
    for (const r of rs) lights[r.light]++;
    const enough = reported.length > 0 && reported.length >= Math.ceil(rs.length * rules.minReportedShare - 1e-9);
    const weight = reported.reduce((s, r) => s + r.weight, 0);
    const score = enough
      ? round(reported.reduce((s, r) => s + r.weight * Math.min(r.pace ?? 0, PACE_CAP), 0) / weight)
      : null;
    const byCategory: Record<string, number> = {};
    for (const cat of new Set(reported.map((r) => r.category))) {
      const rs2 = reported.filter((r) => r.category === cat);
      byCategory[cat] = round(
        rs2.reduce((sum, r) => sum + r.weight * Math.min(r.pace ?? 0, PACE_CAP), 0) /
          rs2.reduce((sum, r) => sum + r.weight, 0),
      );
    }
    return {
      unitId,
      group: groupOf(unitId),
      byCategory,
      indicators: rs.length,
      reported: reported.length,
      score,
      rank: null,
      ranked: enough,
      ...(enough
        ? {}
        : {
            reason: `报送指标 ${reported.length}/${rs.length}，不足 ${Math.round(rules.minReportedShare * 100)}%，不参与排名`,
          }),
      lights,
      toRise: null,
    };
  });
  const byCode = new Map(indicators.map((i) => [i.code, i]));
  const groups = new Map<string, UnitStanding[]>();
  for (const s of standings) groups.set(s.group, [...(groups.get(s.group) ?? []), s]);
  for (const members of groups.values()) {
    const ranked = members
      .filter((s) => s.ranked)
      .sort((a, b) => (b.score as number) - (a.score as number) || a.unitId.localeCompare(b.unitId));
    ranked.forEach((s, i) => {
      const prev = ranked[i - 1];
      s.rank = prev && prev.score === s.score ? prev.rank : i + 1;
    });
    // The unit just above: the last one with a higher score (ranked is sorted by score, descending).
    const aboveIndex = (list: UnitStanding[], s: UnitStanding) => {
      let i = list.indexOf(s) - 1;
      while (i >= 0 && list[i]!.score === s.score) i--;
      return i;
    };
    for (const s of ranked) {
      const above = ranked[aboveIndex(ranked, s)];
      if (!above) continue;
      const gap = round((above.score as number) - (s.score as number));
      const mine = (byUnit.get(s.unitId) ?? []).filter((r) => !r.missing);
      const totalWeight = mine.reduce((sum, r) => sum + r.weight, 0);
      const options = mine.flatMap((r) => {
        const ind = byCode.get(r.code);
        if (!ind || r.pace === null) return [];
        // Raising this indicator's pace by gap × W / w lifts the score by the gap (below the cap).
        const newPace = r.pace + (gap * totalWeight) / r.weight + 1e-4;
        if (newPace > PACE_CAP) return [];
        const progress = newPace * (elapsed > 0 ? elapsed : 1);
        const valueNeeded =
          ind.direction === 'higher'
            ? ind.baseline + progress * (ind.target - ind.baseline)
            : ind.baseline - progress * (ind.baseline - ind.target);
        return [{ code: r.code, valueNeeded: Math.round(valueNeeded * 100) / 100 }];
      });
      s.toRise = { scoreGap: gap, aboveUnitId: above.unitId, options };
    }
  }
  return standings.sort(
    (a, b) =>
      a.group.localeCompare(b.group) || (a.rank ?? Infinity) - (b.rank ?? Infinity) || a.unitId.localeCompare(b.unitId),
  );
}

/** What one unit owes for a period and has reported: indicators it reports itself (derived ones are owed by nobody). */
export interface UnitReportingCount {
  unitId: string;
  owed: number;
  reported: number;
  /** The codes it still owes. */
  missing: string[];
}

/**
 * The one definition of 报齐 (the board's summary, its rows, the ranking's column, the 通报, 催报):
 * a unit has reported when it has a value for every indicator it owes by report this period.
 * Units sorted by id.
 */
export function reportingCounts(
  indicators: Array<{ code: string; ownerUnitId: string; source: string }>,
  reported: (code: string) => boolean,
): UnitReportingCount[] {
  const units = new Map<string, UnitReportingCount>();
  for (const ind of indicators) {
    if (ind.source !== 'report') continue;
    const u = units.get(ind.ownerUnitId) ?? { unitId: ind.ownerUnitId, owed: 0, reported: 0, missing: [] };
    units.set(ind.ownerUnitId, u);
    u.owed++;
    if (reported(ind.code)) u.reported++;
    else u.missing.push(ind.code);
  }
  return [...units.values()].sort((a, b) => a.unitId.localeCompare(b.unitId));
}

export const hasReported = (u: Pick<UnitReportingCount, 'owed' | 'reported'>): boolean => u.reported >= u.owed;

/** The summary line of the board and the 通报, counted from the very rows they list. */
export function reportingSummary(units: UnitReportingCount[]): {
  units: number;
  complete: number;
  notReported: Array<{ unitId: string; missing: string[] }>;
} {
  const notReported = units.filter((u) => !hasReported(u)).map((u) => ({ unitId: u.unitId, missing: u.missing }));
  return { units: units.length, complete: units.length - notReported.length, notReported };
}

/**
 * A published report (晾晒) as it is stored on the cycle, for reading it back instead of casting
 * it. Types only, not the import's rules. Reports published before per-category scores and
 * not-applicable indicators existed lack `byCategory` and `notApplicable`: read as empty. A
 * score that overflowed (±Infinity, NaN: an absurd value or baseline) was written by JSON as
 * null, so the scores computed at publication may be null (`StoredStanding`).
 */
export const IndicatorResultSchema = z.object({
  code: z.string(),
  name: z.string(),
  ownerUnitId: z.string(),
  category: z.string(),
  weight: z.number(),
  value: z.number().nullable(),
  progress: z.number().nullable(),
  pace: z.number().nullable(),
  light: z.enum(['green', 'yellow', 'red']),
  missing: z.boolean(),
});

/** A number computed at publication, as JSON stored it: null where it overflowed. */
const Computed = z.number().nullable();

/** A unit's standing as stored: `UnitStanding`, its computed scores null where they overflowed. */
export type StoredStanding = Omit<UnitStanding, 'byCategory' | 'toRise'> & {
  byCategory: Record<string, number | null>;
  toRise: {
    scoreGap: number | null;
    aboveUnitId: string;
    options: Array<{ code: string; valueNeeded: number | null }>;
  } | null;
};

export const UnitStandingSchema = z.object({
  unitId: z.string(),
  group: z.string(),
  indicators: z.number(),
  reported: z.number(),
  score: z.number().nullable(),
  rank: z.number().nullable(),
  ranked: z.boolean(),
  reason: z.string().optional(),
  lights: z.object({ green: z.number(), yellow: z.number(), red: z.number() }),
  byCategory: z.record(z.string(), Computed).default({}),
  toRise: z
    .object({
      scoreGap: Computed,
      aboveUnitId: z.string(),
      options: z.array(z.object({ code: z.string(), valueNeeded: Computed })),
    })
    .nullable(),
});

export const CycleReportSchema = z.object({
  cycleId: z.string(),
  planId: z.string(),
  period: z.string(),
  elapsed: z.number(),
  publishedAt: z.string(),
  indicators: z.array(IndicatorResultSchema),
  /** Derived indicators with nothing to derive from this period: not lit. */
  notApplicable: z.array(z.string()).default([]),
  standings: z.array(UnitStandingSchema),
  requests: z.array(
    z.object({ unitId: z.string(), asked: z.number(), chased: z.number(), completedAt: z.string().nullable() }),
  ),
  reds: z.array(z.object({ code: z.string(), ownerUnitId: z.string(), itemId: z.string() })),
});
/** A published report as read back from the cycle. */
export type CycleReport = z.output<typeof CycleReportSchema>;

// Compile-time: the schemas yield exactly the result type above and the stored standing, both ways;
// and every standing `rankUnits` computes is one that can be stored.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const indicatorResultMatches: Same<z.output<typeof IndicatorResultSchema>, IndicatorResult> = true;
const standingMatches: Same<z.output<typeof UnitStandingSchema>, StoredStanding> = true;
const computedIsStorable: [UnitStanding] extends [StoredStanding] ? true : false = true;
void [indicatorResultMatches, standingMatches, computedIsStorable];
