/**
 * 管控力指数: how well each unit handled its problems in a quarter, as a score out of a base, under
 * versioned deduction and bonus rules; every point deducted or added is a reason that names the
 * recorded event (or the 举一反三 row) that caused it, so a unit can check and appeal it.
 *
 * Pure: the facts are loaded by activities/control-index.ts with a few SQL statements; this module
 * turns facts, rules, a period and the working-day calendar into scores, reasons and rankings. The
 * API, the quarterly Schedule and the backtest all call `computeIndex`, so they cannot disagree.
 */
import { z } from 'zod';
import { instantAt, shanghaiDate, shiftWorkingDays, workingDaysBetween, type Calendar } from './calendar';
import { periodEnd } from './periods';
import { unitKindLabel } from './units';

const Points = z.number().min(0).max(1000);

/**
 * The rules of one version. Points are positive numbers: deductions are subtracted from `base`,
 * bonuses added. Each key names the reasons it produces.
 */
export const IndexRulesSchema = z.strictObject({
  base: Points,
  deductions: z.strictObject({
    /**
     * Per working day within the period on which an item led by the unit was open past its closure
     * deadline in force (items.deadline_date; for a closed item the deadline in force at closure,
     * counted to the day the accepted result was handed in; for a withdrawn item to its withdrawal),
     * at most `maxPerItem` points per item. One reason per item, traced to the first closure rung
     * recorded after the deadline (the `escalate` event that marked it overdue), else to the item.
     */
    overdueWorkingDay: z.strictObject({ points: Points, maxPerItem: Points }),
    /** Per `verifyReturn` event in the period on an item the unit leads (the result sent back at verification). */
    returnAtVerification: z.strictObject({ points: Points }),
    /** Per `reinspect` event in the period that found the problem back (payload.relapsed) and reopened the item. */
    relapse: z.strictObject({ points: Points }),
    /**
     * Per 催办 in the period — a manual `urge` naming the lead unit, or a fired `urge` rung of the
     * ladder (an `escalate` event whose payload.action is `urge`, neither skipped nor not
     * applicable) — after which the lead unit recorded nothing on the item (no event by any of its
     * staff) by the end of the `graceWorkingDays`-th working day after the urge. Urges whose grace
     * has not run out when the index is computed are not counted yet.
     */
    ignoredUrge: z.strictObject({ points: Points, graceWorkingDays: z.number().int().min(0).max(60) }),
    /**
     * Per 举一反三 row asked of the unit (fan_out_units with asked_at) whose answer_due falls in the
     * period and has passed, and which was not answered by the end of answer_due.
     */
    fanOutUnanswered: z.strictObject({ points: Points }),
    /**
     * Per 不存在 answer of the unit overturned at spot-check (fan_out_units.spot_check 'overturned')
     * with spot_check_at in the period. Optional, 0 points by default: version 1 was stored without
     * it and keeps meaning what it meant.
     */
    fanOutOverturned: z.strictObject({ points: Points }).default({ points: 0 }),
  }),
  bonuses: z.strictObject({
    /** Per item with self_found (自查自纠) opened in the period and led by the unit, at most `max` points. */
    selfFound: z.strictObject({ points: Points, max: Points }),
    /**
     * Per 举一反三 row of the unit with answer_due in the period answered by the end of answer_due, at
     * most `max` points; given as soon as the answer is in, without waiting for answer_due to pass.
     */
    fanOutCoverage: z.strictObject({ points: Points, max: Points }),
  }),
  /**
   * Who is ranked against whom: units of the same kind, units under the same parent, or units of the
   * same kind under the same parent (a district's bureaus apart from the city's). Units of kind
   * 'supervision' (the office that does the supervising) are never ranked.
   */
  peerGroup: z.enum(['kind', 'parent', 'kindWithinParent']),
});
export type IndexRules = z.infer<typeof IndexRulesSchema>;

/** Version 1, as the migration seeds it (20261128102000_control_index): a test checks they agree. */
export const INDEX_RULES_V1: IndexRules = {
  base: 100,
  deductions: {
    overdueWorkingDay: { points: 0.5, maxPerItem: 10 },
    returnAtVerification: { points: 2 },
    relapse: { points: 5 },
    ignoredUrge: { points: 1, graceWorkingDays: 3 },
    fanOutUnanswered: { points: 3 },
    fanOutOverturned: { points: 0 },
  },
  bonuses: {
    selfFound: { points: 1, max: 5 },
    fanOutCoverage: { points: 0.5, max: 5 },
  },
  peerGroup: 'kind',
};

/**
 * The defaults for new versions: version 2 as migration 20261128104000_index_rules_v2 seeds it (a
 * test checks they agree): a false 不存在 costs more than silence, and bureaus are ranked within
 * their own city or district.
 */
export const DEFAULT_INDEX_RULES: IndexRules = {
  ...INDEX_RULES_V1,
  deductions: { ...INDEX_RULES_V1.deductions, fanOutOverturned: { points: 5 } },
  peerGroup: 'kindWithinParent',
};

export const RULE_KEYS = [
  'overdueWorkingDay',
  'returnAtVerification',
  'relapse',
  'ignoredUrge',
  'fanOutUnanswered',
  'fanOutOverturned',
  'selfFound',
  'fanOutCoverage',
] as const;
export type RuleKey = (typeof RULE_KEYS)[number];

export const RULE_LABELS: Record<RuleKey, string> = {
  overdueWorkingDay: '逾期未办结（按工作日）',
  returnAtVerification: '核查退回',
  relapse: '回头看问题反弹',
  ignoredUrge: '催办后未响应',
  fanOutUnanswered: '举一反三逾期未答复',
  fanOutOverturned: '举一反三“不存在”答复被抽查推翻',
  selfFound: '自查自纠发现问题',
  fanOutCoverage: '举一反三按期答复',
};

/**
 * A quarter, 'YYYY-Qn', of a plausible year: nothing was recorded before 2000, and the same bounds
 * as dates elsewhere (domain/commands.ts) keep Date.UTC from reading a year below 100 as 19xx.
 */
export const PeriodSchema = z
  .string()
  .regex(/^20\d\d-Q[1-4]$/, '期间应为 2000 年至 2099 年之间的季度，格式 YYYY-Qn，如 2026-Q3');

/** The first and last day of a quarter (YYYY-MM-DD, Asia/Shanghai). */
export function periodDays(period: string): { start: string; end: string } {
  const [y, q] = [period.slice(0, 4), Number(period.slice(6))];
  return { start: `${y}-${String((q - 1) * 3 + 1).padStart(2, '0')}-01`, end: periodEnd(period) };
}

/** The quarter a day falls in. */
export function quarterOf(date: string): string {
  return `${date.slice(0, 4)}-Q${Math.floor((Number(date.slice(5, 7)) - 1) / 3) + 1}`;
}

/** The instants a period spans: [from, to). */
export function periodInstants(period: string): { fromMs: number; toMs: number } {
  const { start, end } = periodDays(period);
  return { fromMs: instantAt(start, '00:00'), toMs: instantAt(end, '24:00') };
}

// ---- Facts: what the recorded events say, loaded by activities/control-index.ts ----

export interface UnitFact {
  id: string;
  name: string;
  parentId: string | null;
  kind: string;
}

/** An item that may have been open past its closure deadline within the period. */
export interface OverdueFact {
  itemId: string;
  itemNumber: string;
  itemTitle: string;
  leadUnitId: string;
  /** The closure deadline in force (YYYY-MM-DD): at closure for a closed item, else now. */
  deadline: string;
  /** The last day it counts as open (handed in, withdrawn); null while open. */
  endedOn: string | null;
  /** The first closure rung recorded after the deadline: the event that marked it overdue. */
  eventId: string | null;
  eventAction: string | null;
  eventAt: string | null;
}

/** A recorded event on an item the unit leads: a verifyReturn, a relapsed reinspect, an urge. */
export interface EventFact {
  eventId: string;
  action: string;
  at: string;
  itemId: string;
  itemNumber: string;
  itemTitle: string;
  leadUnitId: string;
}

export interface UrgeFact extends EventFact {
  /** 'manual' (action urge) or 'rung' (escalate, an urge rung). */
  kind: 'manual' | 'rung';
  /** When the lead unit next recorded anything on the item after the urge; null: nothing since. */
  answeredAt: string | null;
}

/** A 举一反三 row asked of a unit. */
export interface FanOutFact {
  fanOutId: string;
  unitId: string;
  answerDue: string;
  answeredAt: string | null;
  originItemId: string;
  originNumber: string;
  originTitle: string;
}

/** A 不存在 answer overturned at spot-check: the fan_out_units row (fan-out, unit) it stands on. */
export interface OverturnedFact {
  fanOutId: string;
  unitId: string;
  /** When the spot-check overturned it (fan_out_units.spot_check_at). */
  spotCheckAt: string;
  note: string | null;
  originItemId: string;
  originNumber: string;
  originTitle: string;
}

export interface SelfFoundFact {
  itemId: string;
  itemNumber: string;
  itemTitle: string;
  leadUnitId: string;
  createdAt: string;
}

export interface IndexFacts {
  units: UnitFact[];
  overdue: OverdueFact[];
  returns: EventFact[];
  relapses: EventFact[];
  urges: UrgeFact[];
  fanOuts: FanOutFact[];
  overturned: OverturnedFact[];
  selfFound: SelfFoundFact[];
}

// ---- Results ----

export interface Reason {
  unitId: string;
  ruleKey: RuleKey;
  /** Stable across runs of a period: what an upheld appeal waives. */
  reasonKey: string;
  /** Signed: negative for a deduction, positive for a bonus; 0 when waived. */
  points: number;
  itemId: string | null;
  itemNumber: string | null;
  itemTitle: string | null;
  fanOutId: string | null;
  eventId: string | null;
  eventAction: string | null;
  at: string | null;
  detail: string;
  waived: boolean;
}

export interface Score {
  scope: 'unit' | 'region';
  unitId: string;
  unitName: string;
  group: string;
  groupLabel: string;
  score: number;
  deducted: number;
  added: number;
  rank: number;
}

export interface IndexResult {
  period: string;
  /** The last day the computation looked at: the period's end, or the day computed if earlier. */
  asOf: string;
  scores: Score[];
  reasons: Reason[];
}

const round2 = (n: number) => Math.round(n * 100) / 100;

function maxDate(a: string, b: string): string {
  return a > b ? a : b;
}
function minDate(a: string, b: string): string {
  return a < b ? a : b;
}

/** Working days in [from, to] (both inclusive); 0 when to < from. */
function workingDaysIn(cal: Calendar, from: string, to: string): number {
  return to < from ? 0 : workingDaysBetween(cal, shiftDate(from, -1), to);
}

export interface ComputeOptions {
  /** The day the computation stands on (YYYY-MM-DD): nothing after it is counted. */
  today: string;
  /** `unitId|reasonKey` of reasons an upheld appeal waived for this period. */
  waived?: ReadonlySet<string>;
}

export const waiverKey = (unitId: string, reasonKey: string): string => `${unitId}|${reasonKey}`;

/**
 * The index of every unit and region for `period` under `rules`. Units are every unit of the tree;
 * a unit with children is also a region, whose score is the mean of the unit scores of its whole
 * subtree (itself included). Ranks are within peer groups (rules.peerGroup), best first; equal
 * scores share a rank (1, 1, 3), ties listed by unit id.
 */
export function computeIndex(
  facts: IndexFacts,
  rules: IndexRules,
  period: string,
  cal: Calendar,
  opts: ComputeOptions,
): IndexResult {
  const { start, end } = periodDays(period);
  const asOf = minDate(end, opts.today);
  const { fromMs } = periodInstants(period);
  const toMs = instantAt(asOf, '24:00');
  const inPeriod = (iso: string) => {
    const ms = Date.parse(iso);
    return ms >= fromMs && ms < toMs;
  };
  // The office that does the supervising is not ranked, and nothing is counted against it.
  const ranked = facts.units.filter((u) => u.kind !== 'supervision');
  const known = new Set(ranked.map((u) => u.id));
  const reasons: Reason[] = [];
  const waived = opts.waived ?? new Set<string>();
  const push = (r: Omit<Reason, 'waived'>) => {
    if (!known.has(r.unitId) || r.points === 0) return;
    const isWaived = waived.has(waiverKey(r.unitId, r.reasonKey));
    reasons.push({ ...r, points: isWaived ? 0 : round2(r.points), waived: isWaived });
  };
  const d = rules.deductions;

  for (const o of facts.overdue) {
    // Overdue from the day after the deadline to the day it ended (or asOf), within the period.
    const from = maxDate(shiftDate(o.deadline, 1), start);
    const to = minDate(o.endedOn ?? asOf, asOf);
    const days = workingDaysIn(cal, from, to);
    if (days <= 0) continue;
    const points = Math.min(days * d.overdueWorkingDay.points, d.overdueWorkingDay.maxPerItem);
    push({
      unitId: o.leadUnitId,
      ruleKey: 'overdueWorkingDay',
      reasonKey: `overdueWorkingDay:item:${o.itemId}`,
      points: -points,
      itemId: o.itemId,
      itemNumber: o.itemNumber,
      itemTitle: o.itemTitle,
      fanOutId: null,
      eventId: o.eventId,
      eventAction: o.eventAction,
      at: o.eventAt,
      detail: `办结期限 ${o.deadline}，本期逾期 ${days} 个工作日（${from} 至 ${to}）${points < days * d.overdueWorkingDay.points ? `，按每项上限扣 ${d.overdueWorkingDay.maxPerItem} 分` : ''}`,
    });
  }
  const eventReason = (e: EventFact, ruleKey: RuleKey, points: number, detail: string) =>
    push({
      unitId: e.leadUnitId,
      ruleKey,
      reasonKey: `${ruleKey}:event:${e.eventId}`,
      points: -points,
      itemId: e.itemId,
      itemNumber: e.itemNumber,
      itemTitle: e.itemTitle,
      fanOutId: null,
      eventId: e.eventId,
      eventAction: e.action,
      at: e.at,
      detail,
    });
  for (const e of facts.returns)
    if (inPeriod(e.at))
      eventReason(
        e,
        'returnAtVerification',
        d.returnAtVerification.points,
        `${shanghaiDate(Date.parse(e.at))} 核查退回重新整改`,
      );
  for (const e of facts.relapses)
    if (inPeriod(e.at))
      eventReason(e, 'relapse', d.relapse.points, `${shanghaiDate(Date.parse(e.at))} 回头看发现问题反弹，重新整改`);
  const graceEnds = new Map<string, string>();
  const graceEndOf = (day: string) => {
    let e = graceEnds.get(day);
    if (e === undefined) graceEnds.set(day, (e = shiftWorkingDays(cal, day, d.ignoredUrge.graceWorkingDays).date));
    return e;
  };
  for (const u of facts.urges) {
    if (!inPeriod(u.at)) continue;
    const urgedOn = shanghaiDate(Date.parse(u.at));
    const graceEnd = graceEndOf(urgedOn);
    // The grace has not run out yet: the unit may still answer.
    if (graceEnd >= opts.today) continue;
    if (u.answeredAt && shanghaiDate(Date.parse(u.answeredAt)) <= graceEnd) continue;
    eventReason(
      u,
      'ignoredUrge',
      d.ignoredUrge.points,
      `${urgedOn} ${u.kind === 'manual' ? '督查催办' : '系统催办'}后 ${d.ignoredUrge.graceWorkingDays} 个工作日内（至 ${graceEnd}）无任何办理记录`,
    );
  }
  const coverage = new Map<string, number>();
  const b = rules.bonuses;
  for (const f of [...facts.fanOuts].sort((x, y) =>
    (x.answerDue + x.fanOutId).localeCompare(y.answerDue + y.fanOutId),
  )) {
    if (f.answerDue < start || f.answerDue > end) continue;
    const answeredOn = f.answeredAt ? shanghaiDate(Date.parse(f.answeredAt)) : null;
    // Answered on time counts as soon as it is in; silence or lateness only once answer_due has passed.
    const onTime = answeredOn !== null && answeredOn <= f.answerDue && answeredOn <= asOf;
    if (!onTime && f.answerDue >= opts.today) continue;
    const base = {
      unitId: f.unitId,
      itemId: f.originItemId,
      itemNumber: f.originNumber,
      itemTitle: f.originTitle,
      fanOutId: f.fanOutId,
      eventId: null,
      eventAction: null,
    };
    if (onTime) {
      const sofar = coverage.get(f.unitId) ?? 0;
      const points = Math.min(b.fanOutCoverage.points, b.fanOutCoverage.max - sofar);
      if (points <= 0) continue;
      coverage.set(f.unitId, sofar + points);
      push({
        ...base,
        ruleKey: 'fanOutCoverage',
        reasonKey: `fanOutCoverage:fanOut:${f.fanOutId}`,
        points,
        at: f.answeredAt,
        detail: `举一反三于 ${answeredOn} 按期答复（期限 ${f.answerDue}）`,
      });
    } else {
      push({
        ...base,
        ruleKey: 'fanOutUnanswered',
        reasonKey: `fanOutUnanswered:fanOut:${f.fanOutId}`,
        points: -d.fanOutUnanswered.points,
        at: f.answeredAt,
        detail: answeredOn
          ? `举一反三答复期限 ${f.answerDue}，${answeredOn} 才答复`
          : `举一反三答复期限 ${f.answerDue}，逾期未答复`,
      });
    }
  }
  for (const o of facts.overturned) {
    if (!inPeriod(o.spotCheckAt)) continue;
    const checkedOn = shanghaiDate(Date.parse(o.spotCheckAt));
    push({
      unitId: o.unitId,
      ruleKey: 'fanOutOverturned',
      reasonKey: `fanOutOverturned:fanOut:${o.fanOutId}`,
      points: -d.fanOutOverturned.points,
      itemId: o.originItemId,
      itemNumber: o.originNumber,
      itemTitle: o.originTitle,
      fanOutId: o.fanOutId,
      eventId: null,
      eventAction: null,
      at: o.spotCheckAt,
      detail: `${checkedOn} 抽查推翻本单位“不存在”的答复${o.note ? `：${o.note}` : ''}`,
    });
  }
  const selfFound = new Map<string, number>();
  for (const s of [...facts.selfFound].sort((x, y) => (x.createdAt + x.itemId).localeCompare(y.createdAt + y.itemId))) {
    if (!inPeriod(s.createdAt)) continue;
    const sofar = selfFound.get(s.leadUnitId) ?? 0;
    const points = Math.min(b.selfFound.points, b.selfFound.max - sofar);
    if (points <= 0) continue;
    selfFound.set(s.leadUnitId, sofar + points);
    push({
      unitId: s.leadUnitId,
      ruleKey: 'selfFound',
      reasonKey: `selfFound:item:${s.itemId}`,
      points,
      itemId: s.itemId,
      itemNumber: s.itemNumber,
      itemTitle: s.itemTitle,
      fanOutId: null,
      eventId: null,
      eventAction: 'create',
      at: s.createdAt,
      detail: `${shanghaiDate(Date.parse(s.createdAt))} 自查自纠发现并立项`,
    });
  }
  reasons.sort(
    (x, y) =>
      x.unitId.localeCompare(y.unitId) ||
      RULE_KEYS.indexOf(x.ruleKey) - RULE_KEYS.indexOf(y.ruleKey) ||
      (x.at ?? '').localeCompare(y.at ?? '') ||
      x.reasonKey.localeCompare(y.reasonKey),
  );

  const totals = new Map<string, { deducted: number; added: number }>();
  for (const r of reasons) {
    const t = totals.get(r.unitId) ?? { deducted: 0, added: 0 };
    if (r.points < 0) t.deducted += -r.points;
    else t.added += r.points;
    totals.set(r.unitId, t);
  }
  const byId = new Map(facts.units.map((u) => [u.id, u]));
  const unitScores = ranked.map((u) => {
    const t = totals.get(u.id) ?? { deducted: 0, added: 0 };
    const g = groupOf(u, rules.peerGroup, byId);
    return {
      scope: 'unit' as const,
      unitId: u.id,
      unitName: u.name,
      group: g.key,
      groupLabel: g.label,
      deducted: round2(t.deducted),
      added: round2(t.added),
      score: round2(rules.base - t.deducted + t.added),
      rank: 0,
    };
  });
  const scoreOf = new Map(unitScores.map((s) => [s.unitId, s]));
  const children = new Map<string, string[]>();
  for (const u of ranked)
    if (u.parentId && byId.has(u.parentId)) children.set(u.parentId, [...(children.get(u.parentId) ?? []), u.id]);
  const regionScores: Score[] = [];
  for (const u of ranked) {
    if (!children.has(u.id)) continue;
    const members = subtreeIds(u.id, children);
    const of = members.map((m) => scoreOf.get(m)!);
    const mean = (f: (s: Score) => number) => round2(of.reduce((a, s) => a + f(s), 0) / of.length);
    const g = groupOf(u, rules.peerGroup, byId);
    regionScores.push({
      scope: 'region',
      unitId: u.id,
      unitName: u.name,
      group: g.key,
      groupLabel: g.label,
      score: mean((s) => s.score),
      deducted: mean((s) => s.deducted),
      added: mean((s) => s.added),
      rank: 0,
    });
  }
  return { period, asOf, scores: [...rank(unitScores), ...rank(regionScores)], reasons };
}

function shiftDate(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

function subtreeIds(root: string, children: Map<string, string[]>): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const stack = [root];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(id);
    stack.push(...(children.get(id) ?? []));
  }
  return out;
}

function groupOf(
  u: UnitFact,
  peerGroup: IndexRules['peerGroup'],
  byId: Map<string, UnitFact>,
): { key: string; label: string } {
  if (peerGroup === 'kind') return { key: `kind:${u.kind}`, label: unitKindLabel(u.kind) };
  const parentName = u.parentId ? (byId.get(u.parentId)?.name ?? u.parentId) : null;
  if (peerGroup === 'kindWithinParent')
    return {
      key: `kindWithinParent:${u.parentId ?? ''}:${u.kind}`,
      // 丽水市莲都区人民政府 → 「丽水市莲都区 · 政府部门」: the place, then the kind.
      label: `${parentName ? parentName.replace(/人民政府$/, '') : '顶层单位'} · ${unitKindLabel(u.kind)}`,
    };
  if (!u.parentId) return { key: 'parent:', label: '顶层单位' };
  return { key: `parent:${u.parentId}`, label: `${parentName}下属单位` };
}

/** Ranks within each group: best score first, equal scores share a rank, ties by unit id. */
export function rank<S extends Score>(scores: S[]): S[] {
  const groups = new Map<string, S[]>();
  for (const s of scores) groups.set(s.group, [...(groups.get(s.group) ?? []), s]);
  const out: S[] = [];
  for (const key of [...groups.keys()].sort()) {
    const rows = groups.get(key)!.sort((a, b) => b.score - a.score || a.unitId.localeCompare(b.unitId));
    rows.forEach((s, i) => {
      const prev = rows[i - 1];
      out.push({ ...s, rank: prev && prev.score === s.score ? out[out.length - 1]!.rank : i + 1 });
    });
  }
  return out;
}
