import type { Actor } from '../../domain/actors';
import { addDays } from '../../domain/calendar';
import { overdueWorkingDays } from '../../domain/deadlines';
import { STATUS_LABELS, STATUSES, type Status } from '../../domain/item';
import { can } from '../../domain/permissions';
import { LIGHTS } from '../../domain/policy';
import { Prisma } from '../../generated/prisma/client';
import { currentCalendar } from '../../lib/calendar-store';
import { loadUnitLabels } from '../../lib/unit-names';
import { today as todayOf, type Services } from '../services';
import { itemScope, planAccessById, scopeSql, type ItemScope } from '../visibility';
import { loadTaxonomy } from './classes';
import { classesWhereSql, type ListQuery } from './item-list';

/** The classes' filters the overview takes (those of the list). */
export type ClassFilter = Pick<ListQuery, 'source' | 'commonality' | 'domain' | 'tag' | 'selfFound'>;

const TREND_WEEKS = 12;
/** Units named with their overdue items, and with the 催办 they received. */
const OVERDUE_UNITS = 15;
/** The red items the overview names, most overdue first. */
const RED_ITEMS = 10;
/** Plans whose latest 晾晒 the overview shows, latest published first. */
const CYCLES = 10;
/** Units named at each end of a 晾晒's ranking. */
const ENDS = 3;

/** Monday of the week a date falls in (weeks as 督查 reports count them). */
function mondayOf(date: string): string {
  const dow = (new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7;
  return addDays(date, -dow);
}

/**
 * The 通报问责 proposals waiting for the actor's decision: items he sees (for a leader, those led
 * by a unit in his jurisdiction), not withdrawn, with a fired, sent `accountability` rung no
 * decision answers (same step, epoch and key) — `pendingAccountability` in SQL, the items his 待办
 * lists with 通报问责决定. Only for a role that decides them (null otherwise). The first condition
 * is the predicate of the partial index `items_accountability_fired_idx`, word for word: only the
 * few items with a fired rung have their snapshots read.
 */
function accountabilityPending(s: Services, actor: Actor, vis: Prisma.Sql): Promise<number | null> {
  if (!can(actor.role, 'decideAccountability')) return Promise.resolve(null);
  return s.db.$queryRaw<Array<{ n: number }>>`
    SELECT count(*)::int AS n FROM items
    WHERE ${vis} AND status <> 'withdrawn'
      AND jsonb_path_exists(snapshot, '$.deadlines.fired[*] ? (@.action == "accountability")')
      AND EXISTS (
        SELECT 1 FROM jsonb_array_elements(snapshot #> '{deadlines,fired}') f
        WHERE f->>'action' = 'accountability'
          AND f->'skipped' IS DISTINCT FROM 'true'::jsonb
          AND f->'notApplicable' IS DISTINCT FROM 'true'::jsonb
          AND NOT EXISTS (
            SELECT 1 FROM jsonb_array_elements(coalesce(snapshot->'accountabilityDecisions', '[]'::jsonb)) d
            WHERE d->>'step' = f->>'step' AND d->'epoch' = f->'epoch' AND d->>'key' = f->>'key'))`.then(
    ([r]) => r?.n ?? 0,
  );
}

interface CycleRow {
  id: string;
  plan_id: string;
  plan_title: string;
  period: string;
  published_at: Date | null;
  units: number;
  green: number;
  yellow: number;
  red: number;
  ranked: number;
  ends: Array<{ unitId: string; group: string; rank: number; score: number; pos: number }> | null;
}

/**
 * The latest published 晾晒 of each plan the actor sees, as the cycle page shows it to him: only
 * the standings of his units (their lights summed; the best and worst by score, each with the
 * rank it has in its group among all the plan's units). Read from the stored reports in SQL, so
 * only the figures leave the database; cycles where none of his units stands are left out.
 */
async function latestCycles(s: Services, actor: Actor) {
  const scope = itemScope(actor);
  let plans = Prisma.sql`TRUE`;
  if (scope.kind !== 'all') {
    const access = await planAccessById(s.db, actor);
    const ids = [...access].filter(([, a]) => a !== 'none').map(([id]) => id);
    if (ids.length === 0) return [];
    plans = Prisma.sql`plan_id = ANY(${ids}::text[])`;
  }
  // The rows of a unit, as `seesUnit` decides: its own for a unit, the jurisdiction's for oversight.
  const units =
    scope.kind === 'all'
      ? Prisma.sql`TRUE`
      : Prisma.sql`e.value->>'unitId' = ANY(${scope.kind === 'unit' ? [scope.unitId] : [...scope.unitIds]}::text[])`;
  return s.db.$queryRaw<CycleRow[]>`
    WITH latest AS (
      SELECT DISTINCT ON (plan_id) id, plan_id, period, published_at, report FROM cycles
      WHERE status = 'published' AND report IS NOT NULL AND ${plans}
      ORDER BY plan_id, period DESC),
    st AS (
      SELECT l.id, e.value AS s FROM latest l CROSS JOIN LATERAL jsonb_array_elements(l.report->'standings') e
      WHERE ${units}),
    agg AS (
      SELECT id, count(*)::int AS units,
             coalesce(sum((s#>>'{lights,green}')::int), 0)::int AS green,
             coalesce(sum((s#>>'{lights,yellow}')::int), 0)::int AS yellow,
             coalesce(sum((s#>>'{lights,red}')::int), 0)::int AS red
      FROM st GROUP BY id),
    ranked AS (
      SELECT id, s->>'unitId' AS unit_id, s->>'group' AS grp, (s->>'rank')::int AS rnk, (s->>'score')::float8 AS score,
             row_number() OVER (PARTITION BY id ORDER BY (s->>'score')::float8 DESC, s->>'unitId') AS pos,
             count(*) OVER (PARTITION BY id) AS n
      FROM st WHERE s->'ranked' = 'true'::jsonb AND jsonb_typeof(s->'score') = 'number' AND jsonb_typeof(s->'rank') = 'number'),
    ends AS (
      SELECT id, max(n)::int AS ranked,
             jsonb_agg(jsonb_build_object('unitId', unit_id, 'group', grp, 'rank', rnk, 'score', score, 'pos', pos) ORDER BY pos)
               FILTER (WHERE pos <= ${ENDS} OR pos > n - ${ENDS}) AS ends
      FROM ranked GROUP BY id)
    SELECT l.id, l.plan_id, p.title AS plan_title, l.period, l.published_at,
           a.units, a.green, a.yellow, a.red, coalesce(e.ranked, 0)::int AS ranked, e.ends
    FROM latest l JOIN plans p ON p.id = l.plan_id JOIN agg a ON a.id = l.id LEFT JOIN ends e ON e.id = l.id
    ORDER BY l.published_at DESC NULLS LAST, l.plan_id
    LIMIT ${CYCLES}`;
}

/**
 * The summary rows (migration dashboard_summaries, kept by triggers on items) the actor's scope
 * covers, as `itemScope` decides for items: everything is every item once, by its lead unit's
 * rows; a jurisdiction, the lead rows of its units; a unit's staff, its own rows (items it leads
 * or co-handles, each once).
 */
function summaryScopeSql(scope: ItemScope): Prisma.Sql {
  switch (scope.kind) {
    case 'all':
      return Prisma.sql`unit_id = lead_unit_id`;
    case 'unit':
      return Prisma.sql`unit_id = ${scope.unitId}`;
    case 'leadIn':
      return Prisma.sql`unit_id = lead_unit_id AND lead_unit_id = ANY(${[...scope.unitIds]}::text[])`;
  }
}

/** The units whose own statistics (被催办次数) the actor sees, as `seesUnit` decides. */
function unitStatsSql(scope: ItemScope): Prisma.Sql {
  switch (scope.kind) {
    case 'all':
      return Prisma.sql`TRUE`;
    case 'unit':
      return Prisma.sql`unit_id = ${scope.unitId}`;
    case 'leadIn':
      return Prisma.sql`unit_id = ANY(${[...scope.unitIds]}::text[])`;
  }
}

export interface SummaryFigures {
  counts: Array<{ status: string; light: string; late: boolean; attention: boolean; n: number }>;
  overdue: Array<{ unit_id: string; n: number; worst: string }>;
  weeks: Array<{ week: string; opened: number; closed: number }>;
  urges: Array<{ unit_id: string; n: number }>;
  reds: Array<{
    id: string;
    title: string;
    status: string;
    lead_unit_id: string;
    due_date: string;
    deadline_date: string | null;
  }>;
}

/**
 * Every figure the overview counts, in one statement (one round trip): the summary rows of the
 * scope summed (by status, light, closed late and attention; open items by deadline, overdue
 * being a deadline before today, by lead unit; weeks opened and closed; 催办 per unit), and the
 * red items most overdue, earliest deadline first as the list sorts 超期最久 (a pre-ladder item
 * by its due date), from the partial index items_red_open_deadline_idx that holds exactly them.
 * Exported for the benchmark, whose baseline runs this very statement.
 */
export function summarySql(scope: ItemScope, today: string, firstWeek: string): Prisma.Sql {
  const sum = summaryScopeSql(scope);
  return Prisma.sql`
    SELECT
      (SELECT coalesce(json_agg(c), '[]') FROM (
        SELECT status, light, closed_late AS late, attention, sum(n)::int AS n
        FROM dashboard_counts WHERE ${sum} AND n <> 0 GROUP BY 1, 2, 3, 4) c) AS counts,
      (SELECT coalesce(json_agg(o ORDER BY o.n DESC, o.unit_id), '[]') FROM (
        SELECT lead_unit_id AS unit_id, sum(n)::int AS n, min(due_date) AS worst
        FROM dashboard_deadlines WHERE ${sum} AND deadline < ${today} AND n > 0 GROUP BY 1) o) AS overdue,
      (SELECT coalesce(json_agg(w), '[]') FROM (
        SELECT to_char(week, 'YYYY-MM-DD') AS week, sum(opened)::int AS opened, sum(closed)::int AS closed
        FROM dashboard_weeks WHERE ${sum} AND week >= ${firstWeek}::date GROUP BY week) w) AS weeks,
      (SELECT coalesce(json_agg(u ORDER BY u.n DESC, u.unit_id), '[]') FROM (
        SELECT unit_id, n FROM unit_urges WHERE ${unitStatsSql(scope)} AND n > 0) u) AS urges,
      (SELECT coalesce(json_agg(r ORDER BY r.pos), '[]') FROM (
        SELECT id, title, status, lead_unit_id, due_date, deadline_date,
               row_number() OVER (ORDER BY coalesce(deadline_date, due_date), id) AS pos
        FROM (SELECT id, title, status, lead_unit_id, due_date, deadline_date FROM items WHERE ${scopeSql(scope)} AND light = 'red' AND status NOT IN ('closed', 'withdrawn')
              ORDER BY coalesce(deadline_date, due_date), id LIMIT ${RED_ITEMS}) top) r) AS reds`;
}

/**
 * The same figures as `summarySql`, counted from the items themselves under the classes'
 * filters (来源类别, 共性/个性, 领域, 标签, 自查自纠): the summary tables are kept per unit, not
 * per class, so a filtered overview reads the items in scope (indexed by source, domain, tags).
 * 被催办次数 are the units' own, whatever the filter.
 */
export function filteredSummarySql(
  scope: ItemScope,
  today: string,
  firstWeek: string,
  filter: Prisma.Sql[],
): Prisma.Sql {
  const where = Prisma.join([scopeSql(scope), ...filter], ' AND ');
  const week = (column: Prisma.Sql) => Prisma.sql`date_trunc('week', ${column} AT TIME ZONE 'Asia/Shanghai')::date`;
  return Prisma.sql`
    SELECT
      (SELECT coalesce(json_agg(c), '[]') FROM (
        SELECT status, light, coalesce(closed_late_working_days > 0, false) AS late, attention IS NOT NULL AS attention,
               count(*)::int AS n
        FROM items WHERE ${where} GROUP BY 1, 2, 3, 4) c) AS counts,
      (SELECT coalesce(json_agg(o ORDER BY o.n DESC, o.unit_id), '[]') FROM (
        SELECT lead_unit_id AS unit_id, count(*)::int AS n, min(due_date) AS worst
        FROM items WHERE ${where} AND status NOT IN ('closed', 'withdrawn')
          AND coalesce(deadline_date, due_date) < ${today} GROUP BY 1) o) AS overdue,
      (SELECT coalesce(json_agg(w), '[]') FROM (
        SELECT to_char(week, 'YYYY-MM-DD') AS week, sum(opened)::int AS opened, sum(closed)::int AS closed FROM (
          SELECT ${week(Prisma.sql`created_at`)} AS week, 1 AS opened, 0 AS closed FROM items WHERE ${where}
          UNION ALL
          SELECT ${week(Prisma.sql`closed_at`)}, 0, 1 FROM items WHERE ${where} AND status = 'closed' AND closed_at IS NOT NULL) x
        WHERE week >= ${firstWeek}::date GROUP BY week) w) AS weeks,
      (SELECT coalesce(json_agg(u ORDER BY u.n DESC, u.unit_id), '[]') FROM (
        SELECT unit_id, n FROM unit_urges WHERE ${unitStatsSql(scope)} AND n > 0) u) AS urges,
      (SELECT coalesce(json_agg(r ORDER BY r.pos), '[]') FROM (
        SELECT id, title, status, lead_unit_id, due_date, deadline_date,
               row_number() OVER (ORDER BY coalesce(deadline_date, due_date), id) AS pos
        FROM (SELECT id, title, status, lead_unit_id, due_date, deadline_date FROM items
              WHERE ${where} AND light = 'red' AND status NOT IN ('closed', 'withdrawn')
              ORDER BY coalesce(deadline_date, due_date), id LIMIT ${RED_ITEMS}) top) r) AS reds`;
}

/**
 * Items by 来源类别 (each source's total and open items), self-found apart: summed from
 * `dashboard_sources` (kept by triggers, migration 20261128100000_sources_classes) like the other
 * figures, or under the classes' filters counted from the items in scope.
 */
async function bySource(s: Services, scope: ItemScope, filter: Prisma.Sql[]) {
  type Row = { source_code: string; self_found: boolean; n: number; open: number };
  const [rows, taxonomy] = await Promise.all([
    filter.length === 0
      ? s.db.$queryRaw<Row[]>`
          SELECT source_code, self_found, sum(n)::int AS n, (coalesce(sum(n) FILTER (WHERE open), 0))::int AS open
          FROM dashboard_sources WHERE ${summaryScopeSql(scope)} AND n <> 0 GROUP BY 1, 2`
      : s.db.$queryRaw<Row[]>`
          SELECT source_code, self_found, count(*)::int AS n,
                 (count(*) FILTER (WHERE status NOT IN ('closed', 'withdrawn')))::int AS open
          FROM items WHERE ${Prisma.join([scopeSql(scope), ...filter], ' AND ')} GROUP BY 1, 2`,
    loadTaxonomy(s.db),
  ]);
  const order = new Map(taxonomy.sources.map((t, i) => [t.code, i]));
  const sources = new Map<string, { n: number; open: number }>();
  const selfFound = { total: 0, open: 0 };
  for (const r of rows) {
    const had = sources.get(r.source_code) ?? { n: 0, open: 0 };
    sources.set(r.source_code, { n: had.n + r.n, open: had.open + r.open });
    if (r.self_found) {
      selfFound.total += r.n;
      selfFound.open += r.open;
    }
  }
  return {
    // Every source in the taxonomy's order (those with no items too), then any code it no longer has.
    bySource: [...new Set([...taxonomy.sources.map((t) => t.code), ...sources.keys()])]
      .sort((a, b) => (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity) || a.localeCompare(b))
      .map((code) => {
        const term = taxonomy.sources.find((t) => t.code === code);
        return {
          sourceCode: code,
          label: term?.label ?? code,
          selfFound: term?.selfFound ?? false,
          count: sources.get(code)?.n ?? 0,
          open: sources.get(code)?.open ?? 0,
        };
      }),
    selfFound,
  };
}

/**
 * The overview: items by status and light, overdue items by lead unit, the weekly trend of items
 * opened and closed; the red items most overdue, the latest 晾晒 of each plan, and for a leader
 * the 通报问责 proposals waiting for him. The counts are sums of summary rows kept up to date by
 * triggers as items change (per unit and day, never per item), the rest limited index reads:
 * the same cost whatever the number of items.
 */
export async function dashboard(s: Services, actor: Actor, classes: ClassFilter = {}) {
  const today = todayOf(s);
  const scope = itemScope(actor);
  const firstWeek = addDays(mondayOf(today), -7 * (TREND_WEEKS - 1));
  const filter = classesWhereSql(classes);
  const [[figures], labels, cal, pending, cycles, sources] = await Promise.all([
    s.db.$queryRaw<[SummaryFigures]>(
      filter.length === 0 ? summarySql(scope, today, firstWeek) : filteredSummarySql(scope, today, firstWeek, filter),
    ),
    loadUnitLabels(s.db),
    currentCalendar(s.db),
    accountabilityPending(s, actor, scopeSql(scope)),
    latestCycles(s, actor),
    bySource(s, scope, filter),
  ]);
  const { counts, overdue: overdueRows, weeks: weekRows, urges: urgeRows, reds } = figures;
  const unitName = (id: string) => labels.get(id) ?? id;

  const byStatus = new Map<string, number>();
  const byLight = new Map<string, number>(LIGHTS.map((l) => [l, 0]));
  let total = 0;
  let open = 0;
  let closedLate = 0;
  let attention = 0;
  for (const r of counts) {
    total += r.n;
    byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + r.n);
    if (r.attention) attention += r.n;
    if (r.status === 'closed' && r.late) closedLate += r.n;
    if (r.status === 'closed' || r.status === 'withdrawn') continue;
    open += r.n;
    byLight.set(r.light, (byLight.get(r.light) ?? 0) + r.n);
  }
  const overdue = overdueRows.reduce((n, r) => n + r.n, 0);
  const urges = new Map(urgeRows.map((r) => [r.unit_id, r.n]));
  const weeks = Array.from({ length: TREND_WEEKS }, (_, i) => addDays(firstWeek, 7 * i));
  const byWeek = new Map(weekRows.map((r) => [r.week, r]));
  const closedCount = byStatus.get('closed') ?? 0;
  return {
    today,
    total,
    open,
    overdue,
    closed: closedCount,
    closedLate,
    /** Items whose writes failed past their attempt limit and are being retried on a timer. */
    attention,
    closureRate: total === 0 ? null : closedCount / total,
    ...sources,
    byStatus: STATUSES.map((status) => ({ status, label: STATUS_LABELS[status], count: byStatus.get(status) ?? 0 })),
    byLight: LIGHTS.map((light) => ({ light, count: byLight.get(light) ?? 0 })),
    overdueByUnit: overdueRows.slice(0, OVERDUE_UNITS).map((r) => ({
      unitId: r.unit_id,
      // Qualified by its parent's name where another unit bears the same name.
      unitName: unitName(r.unit_id),
      count: r.n,
      earliestDue: r.worst,
      urged: urges.get(r.unit_id) ?? 0,
    })),
    urgedByUnit: urgeRows
      .slice(0, OVERDUE_UNITS)
      .map((r) => ({ unitId: r.unit_id, unitName: unitName(r.unit_id), count: r.n })),
    trend: weeks.map((week) => ({
      week,
      opened: byWeek.get(week)?.opened ?? 0,
      closed: byWeek.get(week)?.closed ?? 0,
    })),
    redItems: reds.map((r) => {
      const deadline = r.deadline_date ?? r.due_date;
      return {
        id: r.id,
        title: r.title,
        status: r.status as Status,
        statusLabel: STATUS_LABELS[r.status as Status],
        leadUnitId: r.lead_unit_id,
        leadUnitName: unitName(r.lead_unit_id),
        deadline,
        overdueWorkingDays: overdueWorkingDays(cal, deadline, today),
      };
    }),
    accountabilityPending: pending,
    cycles: cycles.map((c) => {
      const ends = c.ends ?? [];
      // The best half at most at the top, the rest at the bottom: with few units, nobody twice.
      const topCount = Math.min(ENDS, Math.ceil(c.ranked / 2));
      const unit = (e: (typeof ends)[number]) => ({
        unitId: e.unitId,
        unitName: unitName(e.unitId),
        group: e.group,
        rank: e.rank,
        score: e.score,
      });
      return {
        cycleId: c.id,
        planId: c.plan_id,
        planTitle: c.plan_title,
        period: c.period,
        publishedAt: c.published_at?.toISOString() ?? null,
        units: c.units,
        lights: { green: c.green, yellow: c.yellow, red: c.red },
        ranked: c.ranked,
        top: ends.filter((e) => e.pos <= topCount).map(unit),
        bottom: ends.filter((e) => e.pos > Math.max(topCount, c.ranked - ENDS)).map(unit),
      };
    }),
  };
}
