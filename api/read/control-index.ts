/**
 * 管控力指数, the reads: rule versions, runs, rankings within peer groups, a unit's score with
 * its reasons and appeals, and the backtest of candidate rules (computed in memory, written
 * nowhere). Who sees what: oversight without a jurisdiction and the auditor see every unit;
 * oversight with a jurisdiction the units in it; a unit's staff its own reasons and its peer
 * group's ranking (for regions: the groups of the regions it belongs to), never another unit's
 * reasons. A run not yet published is seen only by those who may publish it.
 */
import { isUnitRole, type Actor } from '../../domain/actors';
import { shanghaiDate } from '../../domain/calendar';
import {
  IndexRulesSchema,
  periodDays,
  RULE_LABELS,
  type IndexRules,
  type RuleKey,
  type Score,
} from '../../domain/control-index';
import { can } from '../../domain/permissions';
import { computeInMemory } from '../../activities/control-index';
import { badRequest, notFound } from '../errors';
import type { Services } from '../services';
import { seesEverything, seesUnit } from '../visibility';

export interface RunRow {
  id: string;
  period: string;
  rule_version: number;
  status: 'computed' | 'published';
  trigger: 'schedule' | 'manual';
  as_of: string;
  computed_at: Date;
  computed_by_name: string;
  published_at: Date | null;
  published_by_name: string | null;
  superseded_by: string | null;
  unit_count: number;
  compute_ms: number;
  write_ms: number;
}

/** What clients see of a run. A superseded run keeps 'published' in the table (its publication stands on record); the view says 'superseded'. */
export function runView(r: RunRow) {
  return {
    id: r.id,
    period: r.period,
    ruleVersion: r.rule_version,
    status: r.superseded_by !== null ? ('superseded' as const) : r.status,
    trigger: r.trigger,
    asOf: r.as_of,
    computedAt: r.computed_at.toISOString(),
    computedByName: r.computed_by_name,
    publishedAt: r.published_at?.toISOString() ?? null,
    publishedByName: r.published_by_name,
    supersededBy: r.superseded_by,
    unitCount: r.unit_count,
    computeMs: r.compute_ms,
    writeMs: r.write_ms,
  };
}
export type RunView = ReturnType<typeof runView>;

/** Whether the actor may compute, publish and answer appeals at all. */
const manages = (actor: Actor) => can(actor.role, 'index.manage');

export async function indexRules(s: Services) {
  const rows = await s.db.$queryRaw<
    Array<{ version: number; rules: unknown; note: string; created_by_name: string; created_at: Date }>
  >`SELECT version, rules, note, created_by_name, created_at FROM index_rule_versions ORDER BY version DESC`;
  const versions = rows.map((r) => ({
    version: r.version,
    rules: IndexRulesSchema.parse(r.rules),
    note: r.note,
    createdByName: r.created_by_name,
    createdAt: r.created_at.toISOString(),
  }));
  return { current: versions[0]!, versions };
}

const RUN_COLUMNS = `id, period, rule_version, status, trigger, as_of, computed_at, computed_by_name, published_at,
  published_by_name, superseded_by, unit_count, compute_ms, write_ms`;

export async function listRuns(s: Services, actor: Actor) {
  const rows = await s.db.$queryRawUnsafe<RunRow[]>(
    `SELECT ${RUN_COLUMNS} FROM index_runs ORDER BY computed_at DESC, id LIMIT 200`,
  );
  return { runs: rows.filter((r) => r.status === 'published' || manages(actor)).map(runView) };
}

/** The run, or the unknown id's 404 for one the actor may not see. */
export async function runFor(s: Pick<Services, 'db'>, actor: Actor, id: string): Promise<RunRow> {
  const [row] = await s.db.$queryRawUnsafe<RunRow[]>(`SELECT ${RUN_COLUMNS} FROM index_runs WHERE id = $1`, id);
  if (!row || (row.status !== 'published' && !manages(actor))) throw notFound('指数计算不存在');
  return row;
}

/** The published run of a period in force (not superseded), if any. */
export async function publishedRunOf(s: Pick<Services, 'db'>, period: string): Promise<RunRow | null> {
  const [row] = await s.db.$queryRawUnsafe<RunRow[]>(
    `SELECT ${RUN_COLUMNS} FROM index_runs WHERE period = $1 AND status = 'published' AND superseded_by IS NULL`,
    period,
  );
  return row ?? null;
}

type Unit = { id: string; parent_id: string | null };

/** The unit and every unit above it. */
function ancestry(units: Unit[], unitId: string): Set<string> {
  const parent = new Map(units.map((u) => [u.id, u.parent_id]));
  const out = new Set<string>();
  for (let u: string | null | undefined = unitId; u && !out.has(u); u = parent.get(u)) out.add(u);
  return out;
}

/**
 * The ranking rows the actor may see, grouped: everything, the units of its jurisdiction, or (a
 * unit's staff) the whole of each peer group its unit (for regions: a region it lies in) is in.
 */
export async function visibleGroups(
  s: Pick<Services, 'db'>,
  actor: Actor,
  scores: Score[],
): Promise<
  Array<{
    group: string;
    label: string;
    rows: Array<{ rank: number; unitId: string; unitName: string; score: number; deducted: number; added: number }>;
  }>
> {
  let keep: (s: Score) => boolean;
  if (seesEverything(actor)) keep = () => true;
  else if (isUnitRole(actor)) {
    const mine = actor.unitId
      ? ancestry(await s.db.$queryRaw<Unit[]>`SELECT id, parent_id FROM units`, actor.unitId)
      : new Set<string>();
    const groups = new Set(
      scores.filter((x) => (x.scope === 'unit' ? x.unitId === actor.unitId : mine.has(x.unitId))).map((x) => x.group),
    );
    keep = (x) => groups.has(x.group);
  } else keep = (x) => seesUnit(actor, x.unitId);
  const out = new Map<
    string,
    {
      group: string;
      label: string;
      rows: Array<{ rank: number; unitId: string; unitName: string; score: number; deducted: number; added: number }>;
    }
  >();
  for (const x of scores) {
    if (!keep(x)) continue;
    let g = out.get(x.group);
    if (!g) out.set(x.group, (g = { group: x.group, label: x.groupLabel, rows: [] }));
    g.rows.push({
      rank: x.rank,
      unitId: x.unitId,
      unitName: x.unitName,
      score: x.score,
      deducted: x.deducted,
      added: x.added,
    });
  }
  const groups = [...out.values()].sort((a, b) => a.group.localeCompare(b.group));
  for (const g of groups) g.rows.sort((a, b) => a.rank - b.rank || a.unitId.localeCompare(b.unitId));
  return groups;
}

type ScoreRow = {
  scope: 'unit' | 'region';
  unit_id: string;
  unit_name: string;
  group_key: string;
  group_label: string;
  score: number;
  deducted: number;
  added: number;
  rank: number;
};
const scoreOf = (r: ScoreRow): Score => ({
  scope: r.scope,
  unitId: r.unit_id,
  unitName: r.unit_name,
  group: r.group_key,
  groupLabel: r.group_label,
  score: r.score,
  deducted: r.deducted,
  added: r.added,
  rank: r.rank,
});

async function scoresOf(s: Pick<Services, 'db'>, runId: string, scope: 'unit' | 'region'): Promise<Score[]> {
  const rows = await s.db.$queryRaw<ScoreRow[]>`
    SELECT scope, unit_id, unit_name, group_key, group_label, score, deducted, added, rank
      FROM index_scores WHERE run_id = ${runId} AND scope = ${scope}`;
  return rows.map(scoreOf);
}

export async function ranking(s: Services, actor: Actor, runId: string, scope: 'unit' | 'region') {
  const run = await runFor(s, actor, runId);
  return { run: runView(run), scope, groups: await visibleGroups(s, actor, await scoresOf(s, runId, scope)) };
}

type AppealRow = {
  id: string;
  run_id: string;
  reason_id: bigint;
  unit_id: string;
  period: string;
  text: string;
  status: 'pending' | 'upheld' | 'dismissed';
  created_by_name: string;
  created_at: Date;
  decided_by_name: string | null;
  decided_at: Date | null;
  note: string | null;
};
export const appealView = (a: AppealRow) => ({
  id: a.id,
  runId: a.run_id,
  reasonId: String(a.reason_id),
  unitId: a.unit_id,
  period: a.period,
  text: a.text,
  status: a.status,
  createdByName: a.created_by_name,
  createdAt: a.created_at.toISOString(),
  decidedByName: a.decided_by_name,
  decidedAt: a.decided_at?.toISOString() ?? null,
  note: a.note,
});
export const APPEAL_COLUMNS = `id, run_id, reason_id, unit_id, period, text, status, created_by_name, created_at,
  decided_by_name, decided_at, note`;

/** A unit's score in a run, with every reason and the unit's appeals of this period. */
export async function unitScore(s: Services, actor: Actor, runId: string, unitId: string) {
  const run = await runFor(s, actor, runId);
  if (!seesUnit(actor, unitId)) throw notFound('该单位的得分不存在');
  const [row] = await s.db.$queryRaw<ScoreRow[]>`
    SELECT scope, unit_id, unit_name, group_key, group_label, score, deducted, added, rank
      FROM index_scores WHERE run_id = ${runId} AND scope = 'unit' AND unit_id = ${unitId}`;
  if (!row) throw notFound('该单位的得分不存在');
  const [reasons, appeals, version] = await Promise.all([
    s.db.$queryRaw<
      Array<{
        id: bigint;
        rule_key: RuleKey;
        points: number;
        item_id: string | null;
        number: string | null;
        title: string | null;
        fan_out_id: string | null;
        event_id: bigint | null;
        event_action: string | null;
        at: Date | null;
        detail: string;
        waived: boolean;
      }>
    >`
      SELECT r.id, r.rule_key, r.points, r.item_id, i.number, i.title, r.fan_out_id, r.event_id, r.event_action,
             r.at, r.detail, r.waived
        FROM index_reasons r LEFT JOIN items i ON i.id = r.item_id
       WHERE r.run_id = ${runId} AND r.unit_id = ${unitId}
       ORDER BY r.id`,
    s.db.$queryRawUnsafe<AppealRow[]>(
      `SELECT ${APPEAL_COLUMNS} FROM index_appeals WHERE period = $1 AND unit_id = $2 ORDER BY created_at, id`,
      run.period,
      unitId,
    ),
    s.db.$queryRaw<
      Array<{ rules: IndexRules }>
    >`SELECT rules FROM index_rule_versions WHERE version = ${run.rule_version}`,
  ]);
  const score = scoreOf(row);
  return {
    run: runView(run),
    unitId,
    unitName: score.unitName,
    score: score.score,
    base: IndexRulesSchema.parse(version[0]!.rules).base,
    deducted: score.deducted,
    added: score.added,
    rank: score.rank,
    group: score.group,
    groupLabel: score.groupLabel,
    reasons: reasons.map((r) => ({
      id: String(r.id),
      ruleKey: r.rule_key,
      ruleLabel: RULE_LABELS[r.rule_key],
      points: r.points,
      itemId: r.item_id,
      itemNumber: r.number,
      itemTitle: r.title,
      fanOutId: r.fan_out_id,
      eventId: r.event_id === null ? null : String(r.event_id),
      eventAction: r.event_action,
      at: r.at?.toISOString() ?? null,
      detail: r.detail,
      waived: r.waived,
    })),
    appeals: appeals.map(appealView),
  };
}

/** The appeals filed against a run's reasons, of the units the actor sees, oldest first. */
export async function runAppeals(s: Services, actor: Actor, runId: string) {
  await runFor(s, actor, runId);
  const rows = await s.db.$queryRawUnsafe<Array<AppealRow & { unit_name: string; rule_key: RuleKey; points: number }>>(
    `SELECT ${APPEAL_COLUMNS.replace(/(\w+)/g, 'a.$1')}, u.name AS unit_name, r.rule_key, r.points
       FROM index_appeals a JOIN index_reasons r ON r.id = a.reason_id JOIN units u ON u.id = a.unit_id
      WHERE a.run_id = $1 ORDER BY a.created_at, a.id`,
    runId,
  );
  return {
    appeals: rows
      .filter((a) => seesUnit(actor, a.unit_id))
      .map((a) => ({
        ...appealView(a),
        unitName: a.unit_name,
        ruleKey: a.rule_key,
        ruleLabel: RULE_LABELS[a.rule_key],
        points: a.points,
      })),
  };
}

/**
 * Candidate rules over a past quarter, in memory, beside the published ranking of that quarter:
 * reads the recorded events and the published scores, writes nothing.
 */
export async function indexBacktest(s: Services, actor: Actor, rules: IndexRules, period: string) {
  const today = shanghaiDate(s.now?.() ?? Date.now());
  if (periodDays(period).start > today)
    throw badRequest([{ field: 'body.period', reason: `${period} 尚未开始` }], `${period} 尚未开始，没有可试算的记录`);
  const { result } = await computeInMemory(s.db, period, rules, today);
  const published = await publishedRunOf(s, period);
  const before = published ? await scoresOf(s, published.id, 'unit') : [];
  const after = result.scores.filter((x) => x.scope === 'unit');
  const beforeOf = new Map(before.map((b) => [b.unitId, b]));
  const changes = after
    .filter((a) => {
      const b = beforeOf.get(a.unitId);
      return !b || b.score !== a.score || b.rank !== a.rank;
    })
    .filter((a) => seesUnit(actor, a.unitId))
    .map((a) => ({
      unitId: a.unitId,
      unitName: a.unitName,
      scoreBefore: beforeOf.get(a.unitId)?.score ?? null,
      scoreAfter: a.score,
      rankBefore: beforeOf.get(a.unitId)?.rank ?? null,
      rankAfter: a.rank,
    }));
  return {
    period,
    asOf: result.asOf,
    candidate: await visibleGroups(s, actor, after),
    published: published ? await visibleGroups(s, actor, before) : null,
    publishedRunId: published?.id ?? null,
    publishedRuleVersion: published?.rule_version ?? null,
    changes,
  };
}
