import type { Db } from './db';

/** What an operator watches of the product itself, read at scrape time. */
export interface ProductFigures {
  /** Open items (neither closed nor withdrawn) by status and light. */
  openItems: Array<{ status: string; light: string; n: number }>;
  /** Items flagged 需关注 (items.attention set), open or not. */
  attention: number;
  /** Notification requests not yet turned into messages, and the age of the oldest of them. */
  requestsPending: number;
  oldestRequestSeconds: number | null;
  /** Messages not sent yet (pending, sending, digest) or given up on (failed), by status. */
  outbox: Array<{ status: string; n: number }>;
  /** The oldest message still waiting to be sent (pending or sending). */
  oldestMessageSeconds: number | null;
  /** The last reconciliation's end and its open findings; null while the tables do not exist. */
  reconciliation: { lastFinished: Date | null; openFindings: number } | null;
}

/** Outbox states that are work still to do, or mail that will not go out: never 'sent' (it only grows). */
const OUTBOX_BACKLOG = ['pending', 'sending', 'digest', 'failed'];

/**
 * Cheap by construction, however many items there are: items come from the dashboard's summary
 * rows (a few hundred, kept by triggers; the lead rows count each item once), the outbox only
 * through its status indexes and only for states that drain.
 */
export async function readProductFigures(db: Db, now = Date.now()): Promise<ProductFigures> {
  const [counts, requests, outbox, oldestMessage, reconciliation] = await Promise.all([
    db.$queryRaw<Array<{ status: string; light: string; attention: boolean; n: bigint }>>`
      SELECT status, light, attention, sum(n)::bigint AS n FROM dashboard_counts
      WHERE unit_id = lead_unit_id GROUP BY status, light, attention HAVING sum(n) <> 0`,
    db.$queryRaw<Array<{ n: bigint; oldest: Date | null }>>`
      SELECT count(*)::bigint AS n, min(created_at) AS oldest FROM notification_requests WHERE status = 'pending'`,
    db.$queryRaw<Array<{ status: string; n: bigint }>>`
      SELECT status, count(*)::bigint AS n FROM outbox WHERE status = ANY(${OUTBOX_BACKLOG}) GROUP BY status`,
    db.$queryRaw<Array<{ oldest: Date | null }>>`
      SELECT min(created_at) AS oldest FROM outbox WHERE status IN ('pending', 'sending')`,
    readReconciliation(db),
  ]);
  const age = (d: Date | null | undefined) => (d ? Math.max(0, (now - d.getTime()) / 1000) : null);
  const open = new Map<string, { status: string; light: string; n: number }>();
  let attention = 0;
  for (const row of counts) {
    if (row.attention) attention += Number(row.n);
    if (row.status === 'closed' || row.status === 'withdrawn') continue;
    const key = `${row.status}\n${row.light}`;
    const entry = open.get(key) ?? { status: row.status, light: row.light, n: 0 };
    entry.n += Number(row.n);
    open.set(key, entry);
  }
  return {
    openItems: [...open.values()],
    attention,
    requestsPending: Number(requests[0]?.n ?? 0),
    oldestRequestSeconds: age(requests[0]?.oldest),
    outbox: outbox.map((r) => ({ status: r.status, n: Number(r.n) })),
    oldestMessageSeconds: age(oldestMessage[0]?.oldest),
    reconciliation,
  };
}

/** reconciliation_runs/_findings come with the reconciliation's migration; before it, nothing to say. */
async function readReconciliation(db: Db): Promise<ProductFigures['reconciliation']> {
  const [exists] = await db.$queryRaw<Array<{ runs: boolean; findings: boolean }>>`
    SELECT to_regclass('reconciliation_runs') IS NOT NULL AS runs,
           to_regclass('reconciliation_findings') IS NOT NULL AS findings`;
  if (!exists?.runs || !exists.findings) return null;
  const [row] = await db.$queryRaw<Array<{ last: Date | null; open: bigint }>>`
    SELECT (SELECT max(finished_at) FROM reconciliation_runs) AS last,
           (SELECT count(*) FROM reconciliation_findings WHERE resolved_at IS NULL)::bigint AS open`;
  return { lastFinished: row?.last ?? null, openFindings: Number(row?.open ?? 0) };
}
