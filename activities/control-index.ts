/**
 * 管控力指数, the I/O: the facts of a quarter loaded with a few raw statements, the scores and
 * reasons computed by domain/control-index.ts, and a run written in multi-row statements inside
 * one transaction (all of it or nothing). Called by the quarterly Schedule's workflow (as an
 * activity), by the API on demand, and by the backtest (facts and rules only, nothing written).
 */
import { randomUUID } from 'node:crypto';
import { shanghaiDate, type Calendar } from '../domain/calendar';
import {
  computeIndex,
  IndexRulesSchema,
  periodDays,
  periodInstants,
  waiverKey,
  type IndexFacts,
  type IndexResult,
  type IndexRules,
} from '../domain/control-index';
import { currentCalendar } from '../lib/calendar-store';
import type { Db } from '../lib/db';

type Tx = Pick<Db, '$queryRaw' | '$executeRaw'>;

const iso = (d: Date | string | null): string | null =>
  d === null ? null : typeof d === 'string' ? new Date(d).toISOString() : d.toISOString();

/** Everything the rules count for `period`, from the recorded events (see each rule's definition). */
export async function loadIndexFacts(db: Tx, period: string): Promise<IndexFacts> {
  const { start, end } = periodDays(period);
  const { fromMs, toMs } = periodInstants(period);
  const from = new Date(fromMs);
  const to = new Date(toMs);
  const [units, overdue, events, fanOuts, overturned, selfFound] = await Promise.all([
    db.$queryRaw<Array<{ id: string; name: string; parent_id: string | null; kind: string }>>`
      SELECT id, name, parent_id, kind FROM units ORDER BY id`,
    // Items open past their closure deadline at some time in the period: still open, closed
    // late (handed in after it), or withdrawn after it. The traced event: the first closure rung
    // recorded after the deadline's day, on that deadline.
    db.$queryRaw<
      Array<{
        id: string;
        number: string;
        title: string;
        lead_unit_id: string;
        deadline: string;
        ended_on: string | null;
        event_id: string | null;
        event_action: string | null;
        event_at: Date | null;
      }>
    >`
      WITH c AS (
        SELECT i.id, i.number, i.title, i.lead_unit_id,
               -- A reopened item (回头看) works to its new deadline; a closed one was judged by the one at closure.
               CASE WHEN i.status = 'closed'
                 THEN coalesce(i.snapshot #>> '{deadlines,closing,deadline}', i.deadline_date, i.due_date)
                 ELSE coalesce(i.deadline_date, i.due_date) END AS deadline,
               CASE i.status
                 WHEN 'closed' THEN coalesce(i.snapshot #>> '{deadlines,closing,handedInOn}',
                                             to_char(i.closed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'))
                 WHEN 'withdrawn' THEN to_char(i.updated_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')
               END AS ended_on
          FROM items i
         WHERE i.created_at < ${to}
           AND coalesce(i.deadline_date, i.due_date) IS NOT NULL
           AND (i.status <> 'closed' OR coalesce(i.closed_late_working_days, 1) > 0)
      )
      SELECT c.id, c.number, c.title, c.lead_unit_id, c.deadline, c.ended_on,
             ev.id::text AS event_id, ev.action AS event_action, ev.at AS event_at
        FROM c
        LEFT JOIN LATERAL (
          SELECT e.id, e.action, e.at FROM item_events e
           WHERE e.item_id = c.id AND e.action = 'escalate' AND e.payload->>'step' = 'closure'
             AND e.payload->>'deadline' = c.deadline
             AND e.at >= ((c.deadline::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')
           ORDER BY e.seq LIMIT 1
        ) ev ON true
       WHERE c.deadline < ${end} AND (c.ended_on IS NULL OR (c.ended_on >= ${start} AND c.ended_on > c.deadline))`,
    // One pass over the period's events: returns at verification, relapses at 回头看, 催办 (by hand
    // naming the lead unit, or an urge rung that was sent), each 催办 with the lead unit's next record.
    db.$queryRaw<
      Array<{
        id: string;
        action: string;
        at: Date;
        item_id: string;
        number: string;
        title: string;
        lead_unit_id: string;
        answered_at: Date | null;
      }>
    >`
      SELECT e.id::text AS id, e.action, e.at, e.item_id, i.number, i.title, i.lead_unit_id,
             CASE WHEN e.action IN ('urge', 'escalate') THEN (
               SELECT min(n.at) FROM item_events n
                WHERE n.item_id = e.item_id AND n.seq > e.seq AND n.actor_unit_id = i.lead_unit_id
             ) END AS answered_at
        FROM item_events e JOIN items i ON i.id = e.item_id
       WHERE e.at >= ${from} AND e.at < ${to}
         AND (e.action = 'verifyReturn'
           OR (e.action = 'reinspect' AND e.payload->>'relapsed' = 'true')
           OR (e.action = 'urge' AND e.payload->'unitIds' @> jsonb_build_array(i.lead_unit_id))
           OR (e.action = 'escalate' AND e.payload->>'action' = 'urge'
               AND coalesce(e.payload->>'skipped', 'false') <> 'true'
               AND coalesce(e.payload->>'notApplicable', 'false') <> 'true'))`,
    db.$queryRaw<
      Array<{
        fan_out_id: string;
        unit_id: string;
        answer_due: string;
        answered_at: Date | null;
        origin_item_id: string;
        number: string;
        title: string;
      }>
    >`
      SELECT fu.fan_out_id, fu.unit_id, f.answer_due, fu.answered_at, f.origin_item_id, i.number, i.title
        FROM fan_out_units fu JOIN fan_outs f ON f.id = fu.fan_out_id JOIN items i ON i.id = f.origin_item_id
       WHERE fu.asked_at IS NOT NULL AND f.answer_due >= ${start} AND f.answer_due <= ${end}`,
    // 不存在 answers overturned at spot-check in the period, whatever quarter their answer_due fell in.
    db.$queryRaw<
      Array<{
        fan_out_id: string;
        unit_id: string;
        spot_check_at: Date;
        spot_check_note: string | null;
        origin_item_id: string;
        number: string;
        title: string;
      }>
    >`
      SELECT fu.fan_out_id, fu.unit_id, fu.spot_check_at, fu.spot_check_note, f.origin_item_id, i.number, i.title
        FROM fan_out_units fu JOIN fan_outs f ON f.id = fu.fan_out_id JOIN items i ON i.id = f.origin_item_id
       WHERE fu.answer = 'absent' AND fu.spot_check = 'overturned'
         AND fu.spot_check_at >= ${from} AND fu.spot_check_at < ${to}`,
    db.$queryRaw<Array<{ id: string; number: string; title: string; lead_unit_id: string; created_at: Date }>>`
      SELECT id, number, title, lead_unit_id, created_at FROM items
       WHERE self_found AND created_at >= ${from} AND created_at < ${to}`,
  ]);
  const event = (e: (typeof events)[number]) => ({
    eventId: e.id,
    action: e.action,
    at: iso(e.at)!,
    itemId: e.item_id,
    itemNumber: e.number,
    itemTitle: e.title,
    leadUnitId: e.lead_unit_id,
  });
  return {
    units: units.map((u) => ({ id: u.id, name: u.name, parentId: u.parent_id, kind: u.kind })),
    overdue: overdue.map((o) => ({
      itemId: o.id,
      itemNumber: o.number,
      itemTitle: o.title,
      leadUnitId: o.lead_unit_id,
      deadline: o.deadline,
      endedOn: o.ended_on,
      eventId: o.event_id,
      eventAction: o.event_action,
      eventAt: iso(o.event_at),
    })),
    returns: events.filter((e) => e.action === 'verifyReturn').map(event),
    relapses: events.filter((e) => e.action === 'reinspect').map(event),
    urges: events
      .filter((e) => e.action === 'urge' || e.action === 'escalate')
      .map((e) => ({ ...event(e), kind: e.action === 'urge' ? 'manual' : 'rung', answeredAt: iso(e.answered_at) })),
    fanOuts: fanOuts.map((f) => ({
      fanOutId: f.fan_out_id,
      unitId: f.unit_id,
      answerDue: f.answer_due,
      answeredAt: iso(f.answered_at),
      originItemId: f.origin_item_id,
      originNumber: f.number,
      originTitle: f.title,
    })),
    overturned: overturned.map((o) => ({
      fanOutId: o.fan_out_id,
      unitId: o.unit_id,
      spotCheckAt: iso(o.spot_check_at)!,
      note: o.spot_check_note,
      originItemId: o.origin_item_id,
      originNumber: o.number,
      originTitle: o.title,
    })),
    selfFound: selfFound.map((s) => ({
      itemId: s.id,
      itemNumber: s.number,
      itemTitle: s.title,
      leadUnitId: s.lead_unit_id,
      createdAt: iso(s.created_at)!,
    })),
  };
}

export interface RuleVersion {
  version: number;
  rules: IndexRules;
}

/** The rules in force: the latest version. */
export async function currentRules(db: Tx): Promise<RuleVersion> {
  const [row] = await db.$queryRaw<Array<{ version: number; rules: unknown }>>`
    SELECT version, rules FROM index_rule_versions ORDER BY version DESC LIMIT 1`;
  if (!row) throw new Error('index_rule_versions is empty: migration 20261128102000_control_index seeds version 1');
  return { version: row.version, rules: IndexRulesSchema.parse(row.rules) };
}

/** `unitId|reasonKey` of the reasons an upheld appeal waived in `period`. */
export async function waivedIn(db: Tx, period: string): Promise<Set<string>> {
  const rows = await db.$queryRaw<Array<{ unit_id: string; reason_key: string }>>`
    SELECT unit_id, reason_key FROM index_appeals WHERE period = ${period} AND status = 'upheld'`;
  return new Set(rows.map((r) => waiverKey(r.unit_id, r.reason_key)));
}

/** Facts, rules and waivers of a period turned into scores and reasons, in memory. */
export async function computeInMemory(
  db: Tx,
  period: string,
  rules: IndexRules,
  today: string,
  calendar?: Calendar,
): Promise<{ result: IndexResult; loadMs: number; computeMs: number }> {
  const t0 = performance.now();
  const [facts, waived, cal] = await Promise.all([
    loadIndexFacts(db, period),
    waivedIn(db, period),
    calendar ? Promise.resolve(calendar) : currentCalendar(db as Db),
  ]);
  const t1 = performance.now();
  const result = computeIndex(facts, rules, period, cal, { today, waived });
  return { result, loadMs: Math.round(t1 - t0), computeMs: Math.round(performance.now() - t1) };
}

export interface ComputeRunInput {
  /** Given by the caller so a retry finds the run it already wrote. */
  runId: string;
  period: string;
  trigger: 'schedule' | 'manual';
  by: { userId: string; name: string };
  /** The day it runs (Asia/Shanghai); the caller's clock. */
  today: string;
}

export interface RunSummary {
  id: string;
  period: string;
  ruleVersion: number;
  unitCount: number;
  computeMs: number;
  writeMs: number;
  reasons: number;
  /** False when the run had been written already (a retry). */
  created: boolean;
}

const CHUNK = 5000;

/**
 * Computes the index of `period` under the rules in force and writes it as a 'computed' run: the
 * run, its scores (units and regions) and its reasons, in one transaction. Idempotent: a run id
 * already written is returned as it stands.
 */
export async function computeRun(db: Db, input: ComputeRunInput): Promise<RunSummary> {
  const existing = await db.$queryRaw<
    Array<{ rule_version: number; unit_count: number; compute_ms: number; write_ms: number; reasons: bigint }>
  >`
    SELECT rule_version, unit_count, compute_ms, write_ms,
           (SELECT count(*) FROM index_reasons WHERE run_id = ${input.runId}) AS reasons
      FROM index_runs WHERE id = ${input.runId}`;
  if (existing[0]) {
    const e = existing[0];
    return {
      id: input.runId,
      period: input.period,
      ruleVersion: e.rule_version,
      unitCount: e.unit_count,
      computeMs: e.compute_ms,
      writeMs: e.write_ms,
      reasons: Number(e.reasons),
      created: false,
    };
  }
  const { version, rules } = await currentRules(db);
  const { result, loadMs, computeMs } = await computeInMemory(db, input.period, rules, input.today);
  const computedMs = loadMs + computeMs;
  const w0 = performance.now();
  const created = await db.$transaction(
    async (tx) => {
      const inserted = await tx.$queryRaw<Array<{ id: string }>>`
        INSERT INTO index_runs (id, period, rule_version, status, trigger, as_of, unit_count, compute_ms,
                                computed_at, computed_by, computed_by_name)
        VALUES (${input.runId}, ${input.period}, ${version}, 'computed', ${input.trigger}, ${result.asOf},
                ${result.scores.filter((s) => s.scope === 'unit').length}, ${computedMs}, now(),
                ${input.by.userId}, ${input.by.name})
        ON CONFLICT (id) DO NOTHING RETURNING id`;
      if (inserted.length === 0) return false;
      await writeScores(tx, input.runId, result);
      await writeReasons(tx, input.runId, result);
      return true;
    },
    { timeout: 120_000, maxWait: 10_000 },
  );
  const writeMs = Math.round(performance.now() - w0);
  if (created) await db.$executeRaw`UPDATE index_runs SET write_ms = ${writeMs} WHERE id = ${input.runId}`;
  return {
    id: input.runId,
    period: input.period,
    ruleVersion: version,
    unitCount: result.scores.filter((s) => s.scope === 'unit').length,
    computeMs: computedMs,
    writeMs,
    reasons: result.reasons.length,
    created,
  };
}

async function writeScores(tx: Tx, runId: string, result: IndexResult): Promise<void> {
  for (let i = 0; i < result.scores.length; i += CHUNK) {
    const rows = result.scores.slice(i, i + CHUNK);
    await tx.$executeRaw`
      INSERT INTO index_scores (run_id, scope, unit_id, unit_name, group_key, group_label, score, deducted, added, rank)
      SELECT ${runId}, * FROM unnest(
        ${rows.map((r) => r.scope)}::text[], ${rows.map((r) => r.unitId)}::text[], ${rows.map((r) => r.unitName)}::text[],
        ${rows.map((r) => r.group)}::text[], ${rows.map((r) => r.groupLabel)}::text[],
        ${rows.map((r) => r.score)}::float8[], ${rows.map((r) => r.deducted)}::float8[],
        ${rows.map((r) => r.added)}::float8[], ${rows.map((r) => r.rank)}::int[])`;
  }
}

async function writeReasons(tx: Tx, runId: string, result: IndexResult): Promise<void> {
  for (let i = 0; i < result.reasons.length; i += CHUNK) {
    const rows = result.reasons.slice(i, i + CHUNK);
    await tx.$executeRaw`
      INSERT INTO index_reasons (run_id, unit_id, rule_key, reason_key, points, item_id, fan_out_id, event_id,
                                 event_action, at, detail, waived)
      SELECT ${runId}, * FROM unnest(
        ${rows.map((r) => r.unitId)}::text[], ${rows.map((r) => r.ruleKey)}::text[], ${rows.map((r) => r.reasonKey)}::text[],
        ${rows.map((r) => r.points)}::float8[], ${rows.map((r) => r.itemId)}::text[], ${rows.map((r) => r.fanOutId)}::text[],
        ${rows.map((r) => r.eventId)}::text[]::bigint[], ${rows.map((r) => r.eventAction)}::text[],
        ${rows.map((r) => r.at)}::text[]::timestamptz[], ${rows.map((r) => r.detail)}::text[],
        ${rows.map((r) => r.waived)}::bool[])`;
  }
}

/**
 * The lock that makes publishing within a period one at a time, taken in the publishing
 * transaction. Try-only: a publish that finds another of the same quarter under way is refused
 * (the caller answers 409) rather than queued behind it, where it would silently supersede a
 * ranking its user never saw. Without it two publishes both supersede the old run, and the second
 * to commit breaks the one-in-force unique index (index_runs_published_key): a 500.
 */
export async function tryLockPeriodPublish(tx: Tx, period: string): Promise<boolean> {
  const [row] = await tx.$queryRaw<Array<{ locked: boolean }>>`
    SELECT pg_try_advisory_xact_lock(72707371, hashtext(${period})) AS locked`;
  return row?.locked === true;
}

export type PublishOutcome = 'published' | 'not_computed' | 'busy';

/**
 * Publishes a computed run: from then on the period's ranking, immutable. A run published earlier
 * for the period is superseded first (one run of a period in force at a time; it stays on record).
 * 'not_computed' when the run is not (or no longer) a computed one; 'busy' when another run of the
 * period is being published at this moment (nothing written).
 */
export async function publishRunInDb(
  db: Db,
  runId: string,
  by: { userId: string; name: string },
): Promise<PublishOutcome> {
  return db.$transaction(async (tx) => {
    const [run] = await tx.$queryRaw<Array<{ period: string }>>`SELECT period FROM index_runs WHERE id = ${runId}`;
    if (!run) return 'not_computed';
    if (!(await tryLockPeriodPublish(tx, run.period))) return 'busy';
    // Re-read under the lock: a publish that held it a moment ago may have published this very run.
    const [row] = await tx.$queryRaw<Array<{ period: string }>>`
      SELECT period FROM index_runs WHERE id = ${runId} AND status = 'computed' FOR UPDATE`;
    if (!row) return 'not_computed';
    await tx.$executeRaw`
      UPDATE index_runs SET superseded_by = ${runId}
       WHERE period = ${row.period} AND status = 'published' AND superseded_by IS NULL`;
    await tx.$executeRaw`
      UPDATE index_runs SET status = 'published', published_at = now(), published_by = ${by.userId},
             published_by_name = ${by.name}
       WHERE id = ${runId}`;
    return 'published';
  });
}

/** A run id for a computation asked for now (on demand). */
export const newRunId = (): string => `idx-${randomUUID()}`;

export interface ScheduledRunInput {
  /** The workflow's id: one run per firing of the Schedule, whatever the retries. */
  workflowId: string;
  period: string;
}

/** The activities the quarterly workflow calls. */
export function createControlIndexActivities(db: Db) {
  return {
    /** Computes and writes the run of the quarter the Schedule fired for; idempotent per workflow id. */
    async computeControlIndex(input: ScheduledRunInput): Promise<RunSummary> {
      return computeRun(db, {
        runId: `idx-${input.workflowId}`,
        period: input.period,
        trigger: 'schedule',
        by: { userId: 'system', name: '系统' },
        today: shanghaiDate(Date.now()),
      });
    },
  };
}
