/**
 * Bulk actions on items (批量催办, 批量延期审批, 批量撤销), on a selection or on a filter of the
 * list. The preview decides every item with `decide`, the workflow's own rule, on its recorded
 * state, exactly as the single-item action is pre-checked; the run then takes the previewed
 * items, and only those, one by one through `act`, the single-item path (a Temporal Update
 * each). An item someone acted on since the preview is reported, not acted on.
 */
import type { Actor } from '../domain/actors';
import { ACTION_LABELS, parseCommand, type Action, type Command } from '../domain/commands';
import { decide, STATUS_LABELS, type Item, type Refusal, type Status } from '../domain/item';
import { parseItem } from '../domain/item-schema';
import { can } from '../domain/permissions';
import { currentCalendar } from '../lib/calendar-store';
import { itemWorkflowId, transitionKey } from '../workflows/ids';
import { AppError, badRequest, forbidden } from './errors';
import { act } from './items-service';
import { listWhere, type ListQuery } from './read/item-list';
import { today, type Services } from './services';
import { itemsVisibleTo } from './visibility';

export const BULK_ACTIONS = ['urge', 'decideExtension', 'withdraw'] as const satisfies readonly Action[];
export type BulkAction = (typeof BULK_ACTIONS)[number];
export const BULK_MAX_ITEMS = 500;
/** Updates in flight at once: enough to finish 500 items in seconds, few enough not to crowd one worker. */
const CONCURRENCY = 8;

/** Said of an id the caller may not see exactly as of one that does not exist. */
const NOT_FOUND = '事项不存在';
const CHANGED_SINCE_PREVIEW = '预览后该事项有了新的办理记录，未执行，请重新预览';
const NOT_PREVIEWED = '该事项不在预览结果中或预览后有了新的办理记录，未执行，请重新预览';

export type BulkFilter = Omit<ListQuery, 'sort' | 'page' | 'pageSize'>;
export type BulkTarget = { ids: string[] } | { filter: BulkFilter };

interface Request {
  action: BulkAction;
  payload: unknown;
}

const ROW = { id: true, number: true, seq: true, snapshot: true } as const;
interface Row {
  id: string;
  /** 督办编号. */
  number: string;
  seq: number;
  snapshot: unknown;
}

export interface PreviewEntry {
  id: string;
  number?: string;
  title?: string;
  status?: Status;
  statusLabel?: string;
  outcome: 'will_apply' | 'skipped';
  reason?: string;
}

export interface RunEntry {
  id: string;
  number?: string;
  title?: string;
  /** The item's state after the run (as it was found, when skipped). */
  status?: Status;
  statusLabel?: string;
  outcome: 'applied' | 'skipped' | 'failed';
  reason?: string;
}

/** An item as the preview and the run list it: its number, title and state as recorded. */
const entryOf = (id: string, row: Row, item: Item) => ({
  id,
  number: row.number,
  title: item.title,
  status: item.status,
  statusLabel: STATUS_LABELS[item.status],
});

/** The role may take the action at all (a unit's staff may not withdraw), else 403 for the whole request. */
function commandFor(actor: Actor, { action, payload }: Request): Command {
  if (!can(actor.role, action)) throw forbidden(`您的角色不能执行“${ACTION_LABELS[action]}”`);
  return parseCommand({ action, payload, actor });
}

/** Why `decide` refuses the action on this item, in words for the preview's table. */
function refusalReason(refusal: Refusal, action: BulkAction): string {
  return refusal.code === 'not_allowed_in_state'
    ? `当前状态“${STATUS_LABELS[refusal.status]}”不能${ACTION_LABELS[action]}`
    : refusal.message;
}

/** The workflow's decision on the recorded item: null when the action will be accepted. */
function refusedBecause(s: Services, item: Item, command: Command): string | null {
  const verdict = decide(item, command, new Date(s.now?.() ?? Date.now()).toISOString(), {
    maxDeclines: s.maxDeclines,
  });
  return verdict.ok ? null : refusalReason(verdict, command.action as BulkAction);
}

/** The visible rows among these ids, by id. */
async function visibleRows(s: Services, actor: Actor, ids: readonly string[]): Promise<Map<string, Row>> {
  const rows = await s.db.item.findMany({
    where: { AND: [{ id: { in: [...ids] } }, itemsVisibleTo(actor)] },
    select: ROW,
  });
  return new Map(rows.map((r) => [r.id, r]));
}

/** The target's items in order: those the caller sees, and the ids asked for that he does not (as `undefined`). */
async function targetRows(s: Services, actor: Actor, target: BulkTarget): Promise<Array<[string, Row | undefined]>> {
  if ('ids' in target) {
    const ids = [...new Set(target.ids)];
    const rows = await visibleRows(s, actor, ids);
    return ids.map((id) => [id, rows.get(id)]);
  }
  const where = listWhere(actor, target.filter, await currentCalendar(s.db), today(s));
  const rows = await s.db.item.findMany({
    where,
    orderBy: [{ updatedAt: 'desc' }, { id: 'asc' }],
    take: BULK_MAX_ITEMS + 1,
    select: ROW,
  });
  if (rows.length > BULK_MAX_ITEMS) {
    const reason = `筛选结果有 ${await s.db.item.count({ where })} 项，超过一次批量操作的上限 ${BULK_MAX_ITEMS} 项，请缩小筛选范围`;
    throw badRequest([{ field: 'body.target.filter', reason }], reason);
  }
  return rows.map((r) => [r.id, r]);
}

export async function previewBulk(s: Services, actor: Actor, request: Request & { target: BulkTarget }) {
  const command = commandFor(actor, request);
  const items = (await targetRows(s, actor, request.target)).map(([id, row]): PreviewEntry & { seq?: number } => {
    if (!row) return { id, outcome: 'skipped', reason: NOT_FOUND };
    const item = parseItem(row.snapshot);
    const reason = refusedBecause(s, item, command);
    const shown = entryOf(id, row, item);
    return reason === null
      ? { ...shown, seq: row.seq, outcome: 'will_apply' }
      : { ...shown, outcome: 'skipped', reason };
  });
  const willApply = items.flatMap(({ seq, ...entry }) => (seq === undefined ? [] : [{ id: entry.id, seq }]));
  return {
    action: request.action,
    actionLabel: ACTION_LABELS[request.action],
    total: items.length,
    willApply: willApply.length,
    skipped: items.length - willApply.length,
    items: items.map(({ seq: _seq, ...entry }) => entry),
    /** What the run is sent back: the items that will be acted on, each at the version previewed. */
    expected: willApply,
  };
}

/**
 * Whether someone acted on the item after the previewed version. The ladder's own steps
 * (`escalate`) do not count: they change no decision the supervisor saw. A transition this same
 * run recorded before (a retry of it) means the action was already applied.
 */
async function changedSince(
  s: Services,
  id: string,
  seq: number,
  updateId: string | undefined,
): Promise<'unchanged' | 'changed' | 'applied'> {
  const events = await s.db.itemEvent.findMany({
    where: { itemId: id, seq: { gt: seq }, action: { not: 'escalate' } },
    select: { key: true },
  });
  if (events.length === 0) return 'unchanged';
  const ours = updateId ? transitionKey(itemWorkflowId(id), updateId) : null;
  return events.every((e) => e.key === ours) ? 'applied' : 'changed';
}

async function runOne(
  s: Services,
  actor: Actor,
  command: Command,
  request: Request,
  expected: { id: string; seq: number },
  row: Row | undefined,
  updateId: string | undefined,
): Promise<RunEntry> {
  const { id } = expected;
  if (!row) return { id, outcome: 'skipped', reason: NOT_FOUND };
  const item = parseItem(row.snapshot);
  const found = entryOf(id, row, item);
  // A seq the item has not reached was never previewed (made up, or from another item): refused
  // like a stale one, so a run acts only on what a preview of this item showed.
  if (row.seq < expected.seq) return { ...found, outcome: 'skipped', reason: NOT_PREVIEWED };
  if (row.seq !== expected.seq) {
    const since = await changedSince(s, id, expected.seq, updateId);
    if (since === 'applied') return { ...found, outcome: 'applied' };
    if (since === 'changed') return { ...found, outcome: 'skipped', reason: CHANGED_SINCE_PREVIEW };
  }
  const reason = refusedBecause(s, item, command);
  if (reason !== null) return { ...found, outcome: 'skipped', reason };
  try {
    const after = await act(s, actor, id, request.action, request.payload, updateId);
    return { ...found, status: after.status, statusLabel: STATUS_LABELS[after.status], outcome: 'applied' };
  } catch (err) {
    // Refused after all (the item moved on in the meantime): nothing was done to it.
    if (err instanceof AppError && err.statusCode < 500)
      return err.statusCode === 404
        ? { id, outcome: 'skipped', reason: NOT_FOUND }
        : { ...found, outcome: 'skipped', reason: err.message };
    return {
      ...found,
      outcome: 'failed',
      reason: err instanceof AppError ? err.message : '执行失败，请稍后对该事项重试',
    };
  }
}

/** Runs `fn` over the list with at most `limit` calls in flight; results in the list's order. */
async function mapConcurrently<T, R>(list: readonly T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(list.length);
  let next = 0;
  const lane = async () => {
    while (next < list.length) {
      const i = next++;
      results[i] = await fn(list[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, list.length) }, lane));
  return results;
}

/**
 * Acts on the previewed items. With an Idempotency-Key each item's Update has an id of its own
 * derived from it, so a retry of the same run never acts twice on an item.
 */
export async function runBulk(
  s: Services,
  actor: Actor,
  request: Request & { expected: Array<{ id: string; seq: number }> },
  key: string | undefined,
) {
  const command = commandFor(actor, request);
  const expected = [...new Map(request.expected.map((e) => [e.id, e])).values()];
  const rows = await visibleRows(
    s,
    actor,
    expected.map((e) => e.id),
  );
  const items = await mapConcurrently(expected, CONCURRENCY, (e) =>
    runOne(s, actor, command, request, e, rows.get(e.id), key ? `${actor.userId}/bulk/${key}/${e.id}` : undefined),
  );
  const count = (outcome: RunEntry['outcome']) => items.filter((i) => i.outcome === outcome).length;
  return {
    action: request.action,
    actionLabel: ACTION_LABELS[request.action],
    total: items.length,
    applied: count('applied'),
    skipped: count('skipped'),
    failed: count('failed'),
    items,
  };
}
