/**
 * Reconciliation, the I/O: every open item's row against its workflow, every running item
 * workflow against the rows, every fired rung against notification_requests (the comparison is
 * domain/reconcile.ts). What differs is kept in reconciliation_findings and marks the item as
 * needing attention; a later complete run resolves what it no longer sees and lowers the marks it set.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { Prisma } from '../generated/prisma/client';
import {
  attentionText,
  ATTENTION_PREFIX,
  compareItem,
  expectedRungNotices,
  type Finding,
  type Look,
  type RecordedRow,
} from '../domain/reconcile';
import type { Db } from '../lib/db';
import { itemIdOf, itemKeyOf, itemWorkflowSide, runningItemWorkflowIds } from '../workflows/client/reconcile';
import { itemWorkflowId } from '../workflows/ids';

export interface ReconcileInput {
  trigger: 'schedule' | 'manual';
  /** The items' task queue: the running item workflows are those on it (one deployment's). */
  taskQueue: string;
  /** How long to wait before the second look at an item that differed or could not be told. */
  recheckDelayMs?: number;
  /** Items looked at in parallel (each look is two queries and a lookup). */
  concurrency?: number;
}

export interface ReconcileReport {
  runId: string;
  itemsChecked: number;
  /** What this run saw: new findings and ones still there. */
  findings: Finding[];
  /** Findings of earlier runs this run no longer saw. */
  resolved: number;
}

const PAGE = 500;
export const DEFAULT_RECHECK_DELAY_MS = 5_000;
const DEFAULT_CONCURRENCY = 8;

/** The rows whose workflow still runs: open, or closed with a 回头看 to come (as the calendar rollout picks them). */
const OPEN = Prisma.sql`status <> 'withdrawn' AND (status <> 'closed' OR snapshot #>> '{deadlines,reinspection,state}' IN ('scheduled', 'due'))`;

/** Tells Temporal the activity is alive (and which run it is, for a retry); a no-op outside an activity (the CLI). */
function alive(runId: string): void {
  try {
    Context.current().heartbeat({ runId });
  } catch {
    // not running as an activity
  }
}

function retriedRunId(): string | undefined {
  try {
    const details = Context.current().info.heartbeatDetails as { runId?: string } | undefined;
    return details?.runId;
  } catch {
    return undefined;
  }
}

/** Runs `fn` over `xs`, at most `limit` at a time. */
async function eachLimited<T>(xs: readonly T[], limit: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < xs.length) await fn(xs[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, xs.length) }, lane));
}

/**
 * One check of everything, recorded as a run. Idempotent as an activity: a retry (the heartbeat
 * carries the run's id) checks everything again under the same run; findings are keyed per
 * subject, kind and key, so nothing is recorded twice, and only a complete pass resolves anything.
 */
export async function runReconciliation(db: Db, temporal: Client, input: ReconcileInput): Promise<ReconcileReport> {
  const runId =
    retriedRunId() ??
    String((await db.reconciliationRun.create({ data: { startedAt: new Date(), trigger: input.trigger } })).id);
  alive(runId);
  const checker = new Checker(db, temporal);

  // The running item workflows of this deployment; each one met through a row is struck off.
  const running = await runningItemWorkflowIds(temporal, input.taskQueue, () => alive(runId));
  const unmet = new Set(running);

  const suspects = new Set<string>();
  let checked = 0;
  const concurrency = input.concurrency ?? DEFAULT_CONCURRENCY;
  const firstLook = async (id: string, row: RecordedRow | null) => {
    const look = await checker.look(id, row, running.has(itemWorkflowId(id)), false);
    checked++;
    if (!look.settled || look.findings.length) suspects.add(id);
  };
  for (let after = ''; ;) {
    const rows = await db.$queryRaw<Array<{ id: string; status: string; seq: number }>>`
      SELECT id, status, seq FROM items WHERE id > ${after} AND ${OPEN} ORDER BY id LIMIT ${PAGE}`;
    for (const r of rows) unmet.delete(itemWorkflowId(r.id));
    await eachLimited(rows, concurrency, (r) => firstLook(r.id, { status: r.status, seq: r.seq, open: true }));
    alive(runId);
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1]!.id;
  }
  // Running workflows whose row is not open: a row finished too early, or none at all.
  const strays = [...unmet].map(itemIdOf).filter((id) => id !== null);
  const strayRows = await checker.rows(strays);
  await eachLimited(strays, concurrency, (id) => firstLook(id, strayRows.get(id) ?? null));

  // A second look at whatever differed or could not be told: a record in flight lands meanwhile,
  // an item that moved between our reads settles. What still differs is a finding.
  const findings: Finding[] = [];
  if (suspects.size) {
    await new Promise((r) => setTimeout(r, input.recheckDelayMs ?? DEFAULT_RECHECK_DELAY_MS));
    alive(runId);
    const ids = [...suspects];
    const rows = await checker.rows(ids);
    await eachLimited(ids, concurrency, async (id) => {
      const look = await checker.look(id, rows.get(id) ?? null, false, true);
      if (look.settled) findings.push(...look.findings);
    });
  }
  if (checker.looks > 0 && checker.unanswered === checker.looks)
    throw new Error(
      `no item workflow answered its queries (${checker.looks} tried): is a worker polling ${input.taskQueue}?`,
    );
  const resolved = await record(db, BigInt(runId), checked, findings);
  return { runId, itemsChecked: checked, findings, resolved };
}

/** Looks at one item: its row (as the caller read it), its workflow, its rung notices. */
class Checker {
  unanswered = 0;
  constructor(
    private readonly db: Db,
    private readonly temporal: Client,
  ) {}

  /** Looks taken, and those whose workflow did not answer. */
  looks = 0;

  async rows(ids: string[]): Promise<Map<string, RecordedRow>> {
    if (!ids.length) return new Map();
    const rows = await this.db.$queryRaw<Array<{ id: string } & RecordedRow>>`
      SELECT id, status, seq, ${OPEN} AS open FROM items WHERE id = ANY(${ids}::text[])`;
    return new Map(rows.map((r) => [r.id, { status: r.status, seq: r.seq, open: r.open }]));
  }

  async look(id: string, row: RecordedRow | null, listedRunning: boolean, last: boolean): Promise<Look> {
    const wf = await itemWorkflowSide(this.temporal, id, listedRunning);
    this.looks++;
    if (wf.kind === 'unanswered') this.unanswered++;
    const expected = wf.kind === 'running' ? expectedRungNotices(wf.item, itemKeyOf(id)) : [];
    const present = expected.length
      ? await this.db.notificationRequest.findMany({
          where: { key: { in: expected.map((e) => e.key) } },
          select: { key: true },
        })
      : [];
    return compareItem(id, row, wf, { expected, present: new Set(present.map((n) => n.key)) }, last);
  }
}

/**
 * Keeps what a complete run saw, in one transaction: its findings (a finding already open is
 * seen again, its detail refreshed), the earlier ones it no longer saw resolved, the items with
 * open findings marked as needing attention (unless something else marked them: a failing write
 * says more), the marks it set on items without open findings lowered; the run finished.
 * Returns how many findings it resolved.
 */
async function record(db: Db, runId: bigint, checked: number, findings: Finding[]): Promise<number> {
  const now = new Date();
  const rows = findings.map((f) => ({
    subject_kind: f.subjectKind,
    subject_id: f.subjectId,
    kind: f.kind,
    key: f.key,
    detail: f.detail,
  }));
  return db.$transaction(async (tx) => {
    // Two runs at once (the schedule and a manual one) write one after the other.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(72707370)`;
    if (rows.length)
      await tx.$executeRaw`
        INSERT INTO reconciliation_findings (run_id, subject_kind, subject_id, kind, key, detail, found_at)
        SELECT ${runId}, f.subject_kind, f.subject_id, f.kind, f.key, f.detail, ${now}
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
          AS f(subject_kind text, subject_id text, kind text, key text, detail jsonb)
        ON CONFLICT (subject_kind, subject_id, kind, key) WHERE resolved_at IS NULL
        DO UPDATE SET run_id = EXCLUDED.run_id, detail = EXCLUDED.detail`;
    const resolved = await tx.$executeRaw`
      UPDATE reconciliation_findings SET resolved_at = ${now} WHERE resolved_at IS NULL AND run_id <> ${runId}`;
    // Each item with open findings: one attention text naming them all.
    const byItem = new Map<string, Finding[]>();
    for (const f of findings)
      if (f.subjectKind === 'item') byItem.set(f.subjectId, [...(byItem.get(f.subjectId) ?? []), f]);
    const marks = [...byItem].map(([id, fs]) => ({ id, text: attentionText(fs) }));
    if (marks.length)
      await tx.$executeRaw`
        UPDATE items SET attention = m.text, attention_since = coalesce(CASE WHEN items.attention LIKE ${`${ATTENTION_PREFIX}%`} THEN items.attention_since END, ${now})
        FROM jsonb_to_recordset(${JSON.stringify(marks)}::jsonb) AS m(id text, text text)
        WHERE items.id = m.id AND (items.attention IS NULL OR items.attention LIKE ${`${ATTENTION_PREFIX}%`})
          AND items.attention IS DISTINCT FROM m.text`;
    await tx.$executeRaw`
      UPDATE items SET attention = NULL, attention_since = NULL
      WHERE attention IS NOT NULL AND attention LIKE ${`${ATTENTION_PREFIX}%`} AND NOT (id = ANY(${[...byItem.keys()]}::text[]))`;
    await tx.reconciliationRun.update({
      where: { id: runId },
      data: { finishedAt: now, itemsChecked: checked, findings: findings.length },
    });
    return resolved;
  });
}

export function createReconcileActivities(db: Db, temporal?: Client) {
  return {
    /** The scheduled reconciliation (workflows/reconcile.ts): a summary, the findings are in the tables. */
    async reconcile(
      input: ReconcileInput,
    ): Promise<{ runId: string; itemsChecked: number; findings: number; resolved: number }> {
      if (!temporal) throw new Error('reconcile needs a Temporal client among the activities’ dependencies');
      const r = await runReconciliation(db, temporal, input);
      return { runId: r.runId, itemsChecked: r.itemsChecked, findings: r.findings.length, resolved: r.resolved };
    },
  };
}
