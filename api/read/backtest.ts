/**
 * A ladder tried on the past (POST /api/backtests/ladder): the items of the period the caller
 * sees are read in batches (their events, and the read times of their rungs' notices when the
 * candidate ladder has acknowledgement gates), each replayed by domain/backtest.ts, and only the
 * totals and the rows worth showing are kept. Reads only: no row is written, no workflow started.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { instantAt } from '../../domain/calendar';
import type { Actor } from '../../domain/actors';
import {
  addItem,
  compareRows,
  emptyTotals,
  inPeriod,
  replayItem,
  worthShowing,
  type AckLookup,
  type ActionCounts,
  type BacktestRung,
  type ItemBacktest,
  type RecordedItem,
  type Target,
} from '../../domain/backtest';
import type { Policy, RungAction } from '../../domain/policy';
import { Prisma } from '../../generated/prisma/client';
import { currentCalendar } from '../../lib/calendar-store';
import { policyFor } from '../../lib/policies';
import { loadUnitLabels } from '../../lib/unit-names';
import { badRequest } from '../errors';
import { today as todayOf, type Services } from '../services';
import { itemsVisibleSql } from '../visibility';

/** Items replayed per round trip: their events stay a few MB at most. */
export const BACKTEST_BATCH = 500;
/** Items replayed between two turns of the event loop (a few tens of milliseconds). */
const YIELD_EVERY = 50;
/** The rows the report lists (changed first); the totals count every item. */
export const BACKTEST_MAX_ROWS = 2000;

export interface LadderBacktestRequest {
  policy: Policy | { category: string; priority: string };
  from: string;
  to: string;
  category?: string;
  priority?: string;
}

type ItemRow = { id: string; number: string; title: string };
type EventRow = {
  item_id: string;
  seq: number;
  key: string;
  action: string;
  to_status: string;
  actor_user_id: string;
  at: Date;
  payload: unknown;
};

/** The candidate: the policy given, or the one in force for a category and priority. */
async function candidateOf(s: Services, policy: LadderBacktestRequest['policy']): Promise<Policy> {
  return 'ladder' in policy ? policy : policyFor(s.db, policy.category, policy.priority);
}

/**
 * The items that can have a rung in the period: opened by its end, with deadlines (items from
 * before the ladder have none), and either still open or changed since its start (a closed item's
 * clocks are done; a 回头看 that reopened it is an event). Keyset by id.
 */
function itemsBatch(s: Services, actor: Actor, r: LadderBacktestRequest, after: string): Promise<ItemRow[]> {
  const toEnd = new Date(instantAt(r.to, '24:00'));
  const fromStart = new Date(instantAt(r.from, '00:00'));
  return s.db.$queryRaw<ItemRow[]>`
    SELECT id, number, title FROM items
    WHERE id > ${after} AND created_at <= ${toEnd}
      AND jsonb_typeof(snapshot->'deadlines') = 'object'
      AND (status NOT IN ('closed', 'withdrawn') OR updated_at >= ${fromStart})
      AND ${r.category ? Prisma.sql`category = ${r.category}` : Prisma.sql`TRUE`}
      AND ${r.priority ? Prisma.sql`priority = ${r.priority}` : Prisma.sql`TRUE`}
      AND ${itemsVisibleSql(actor)}
    ORDER BY id LIMIT ${BACKTEST_BATCH}`;
}

/** The earliest read of each recorded rung notice of these items (the notice's key is its event's key). */
async function readTimes(s: Services, keys: string[]): Promise<Map<string, number>> {
  if (keys.length === 0) return new Map();
  const rows = await s.db.$queryRaw<Array<{ request_key: string; read_at: Date }>>`
    SELECT request_key, min(read_at) AS read_at FROM outbox
    WHERE request_key = ANY(${keys}::text[]) AND read_at IS NOT NULL GROUP BY request_key`;
  return new Map(rows.map((r) => [r.request_key, r.read_at.getTime()]));
}

interface Batch {
  items: ItemRow[];
  byItem: Map<string, RecordedItem>;
  ackAt: AckLookup;
}

/** One batch of items after `after` with their events in order, and (for a gated ladder) their notices' read times; null when none is left. */
async function loadBatch(
  s: Services,
  actor: Actor,
  r: LadderBacktestRequest,
  after: string,
  gated: boolean,
): Promise<Batch | null> {
  const items = await itemsBatch(s, actor, r, after);
  if (items.length === 0) return null;
  const events = await s.db.$queryRaw<EventRow[]>`
    SELECT item_id, seq, key, action, to_status, actor_user_id, at, payload FROM item_events
    WHERE item_id = ANY(${items.map((i) => i.id)}::text[]) ORDER BY item_id, seq`;
  const reads = gated
    ? await readTimes(
        s,
        events.filter((e) => e.action === 'escalate').map((e) => e.key),
      )
    : new Map<string, number>();
  const ackAt: AckLookup = (itemId, rungId) => reads.get(`item-${itemId}/${rungId}`) ?? null;
  const byItem = new Map<string, RecordedItem>(items.map((i) => [i.id, { ...i, events: [] }]));
  for (const e of events)
    byItem.get(e.item_id)!.events.push({
      seq: e.seq,
      action: e.action,
      toStatus: e.to_status,
      actorUserId: e.actor_user_id,
      at: e.at.getTime(),
      payload: e.payload,
    });
  return { items, byItem, ackAt };
}

export interface ResolvedTargetView {
  target: Target;
  unitId?: string;
  unitName?: string;
}

export interface RungView {
  key: string;
  action: RungAction;
  at: string;
  targets: ResolvedTargetView[];
  /** A backdated import's rung recorded as not applicable at the import (`at`); `dueAt` is when its time passed. */
  notApplicable?: true;
  dueAt?: string;
}

export interface LadderBacktestReport {
  from: string;
  to: string;
  items: number;
  totals: {
    candidate: ActionCounts;
    recorded: ActionCounts;
    notApplicable: { candidate: ActionCounts; recorded: ActionCounts };
  };
  byTarget: Array<ResolvedTargetView & { candidate: number; recorded: number }>;
  rows: Array<{
    itemId: string;
    itemNumber: string;
    title: string;
    leadUnitId: string;
    leadUnitName: string;
    candidate: RungView[];
    recorded: RungView[];
    redCandidateAt: string | null;
    redRecordedAt: string | null;
    change: ItemBacktest['change'];
  }>;
  /** Rows worth showing in all (the list stops at BACKTEST_MAX_ROWS). */
  rowsTotal: number;
  /** What the replay assumed, for the reader. */
  notes: string[];
}

export async function ladderBacktest(
  s: Services,
  actor: Actor,
  asked: LadderBacktestRequest,
): Promise<LadderBacktestReport> {
  // Nothing after today has happened: a period that starts later is refused, one that ends later is cut at today.
  const today = todayOf(s);
  if (asked.from > today)
    throw badRequest(
      [{ field: 'body.from', reason: `开始日期不能晚于今天（${today}）` }],
      '回测只能针对已经过去的期间',
    );
  const r = asked.to > today ? { ...asked, to: today } : asked;
  const policy = await candidateOf(s, r.policy);
  const cal = await currentCalendar(s.db);
  const names = await loadUnitLabels(s.db);
  const gated = policy.ladder.some((x) => x.ackGate);
  // Nothing after now has happened: the replay stops at the end of `to` or now, whichever is first.
  const horizon = Math.min(instantAt(r.to, '24:00'), s.now?.() ?? Date.now());
  const totals = emptyTotals();
  let shown: ItemBacktest[] = [];
  let rowsTotal = 0;

  // Each batch is replayed while the next one is read: the replay is CPU, the read mostly PostgreSQL's time.
  const load = (after: string): Promise<Batch | null> => {
    const p = loadBatch(s, actor, r, after, gated);
    p.catch(() => undefined); // awaited below; a replay that throws first must not leave it unhandled
    return p;
  };
  for (let next = load(''); ;) {
    const batch = await next;
    if (!batch) break;
    const { items, byItem, ackAt } = batch;
    next = items.length < BACKTEST_BATCH ? Promise.resolve(null) : load(items[items.length - 1]!.id);
    let replayed = 0;
    for (const item of byItem.values()) {
      // Now and then let the event loop run: the next batch's queries go on, and other requests are served.
      if (++replayed % YIELD_EVERY === 0) await yieldToEventLoop();
      const result = replayItem(item, policy, cal, horizon, ackAt);
      if (!result) continue;
      addItem(totals, result, r.from, r.to);
      if (!worthShowing(result, r.from, r.to)) continue;
      rowsTotal++;
      shown.push(result);
      // Keep the best rows only, so a year of items never sits in memory at once.
      if (shown.length > 2 * BACKTEST_MAX_ROWS) shown = shown.sort(compareRows).slice(0, BACKTEST_MAX_ROWS);
    }
  }

  const named = (t: { target: Target; unitId?: string }): ResolvedTargetView =>
    t.unitId ? { ...t, unitName: names.get(t.unitId) ?? t.unitId } : { target: t.target };
  const rungView = (x: BacktestRung): RungView => ({
    key: x.key,
    action: x.action,
    at: new Date(x.at).toISOString(),
    targets: x.targets.map(named),
    ...(x.notApplicable ? { notApplicable: true as const, dueAt: new Date(x.dueAt).toISOString() } : {}),
  });
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    from: r.from,
    to: r.to,
    items: totals.items,
    totals: { candidate: totals.candidate, recorded: totals.recorded, notApplicable: totals.notApplicable },
    byTarget: [...totals.byTarget.values()]
      .map((t) => ({ ...named(t), candidate: t.candidate, recorded: t.recorded }))
      .sort((a, b) => b.candidate + b.recorded - (a.candidate + a.recorded) || (a.target < b.target ? -1 : 1)),
    rows: shown
      .sort(compareRows)
      .slice(0, BACKTEST_MAX_ROWS)
      .map((x) => ({
        itemId: x.itemId,
        itemNumber: x.number,
        title: x.title,
        leadUnitId: x.leadUnitId,
        leadUnitName: names.get(x.leadUnitId) ?? x.leadUnitId,
        candidate: inPeriod(x.candidate, r.from, r.to).map(rungView),
        recorded: inPeriod(x.recorded, r.from, r.to).map(rungView),
        redCandidateAt: iso(x.redCandidateAt),
        redRecordedAt: iso(x.redRecordedAt),
        change: x.change,
      })),
    rowsTotal,
    notes: [
      ...(r.to !== asked.to ? [`结束日期晚于今天，已按今天（${today}）计算`] : []),
      '按当前工作日历计算（事项期间如有日历变更，以变更后的日历重算）',
      '补录事项：导入时已过期的各级催办记为“不适用”（不发送，但计入红黄灯），候选规则同样处理，单独计数；红灯时间按其应触发时刻计',
      gated
        ? '需确认后才升级的催办：以原通知的实际阅读时间判断；候选规则新增、原记录中没有的通知按未确认计'
        : '候选规则没有需确认后才升级的催办',
    ],
  };
}
