/** One item as the caller sees it: its recorded state, and the timeline of what happened to it. */
import { EVENT_ROLE_LABELS, SYSTEM_ACTOR, type Actor, type EventRole } from '../../domain/actors';
import { shanghaiDate } from '../../domain/calendar';
import { ACTION_LABELS, type Action } from '../../domain/commands';
import {
  actionsFor,
  blockedActions,
  holdingUp,
  isFinished,
  isTerminal,
  STATUS_LABELS,
  type Item,
  type Status,
} from '../../domain/item';
import { parseItem } from '../../domain/item-schema';
import { rungEventText } from '../../domain/labels';
import { RUNG_LABELS, type RungAction } from '../../domain/policy';
import { notFound } from '../errors';
import type { Services } from '../services';
import { withSpan } from '../../lib/tracing';
import { itemsVisibleSql } from '../visibility';
import type { ItemClasses } from '../../domain/classes';
import { fanOutIdOfItem } from '../../domain/fan-out';
import { CLASS_COLUMNS, classesOfRow, type LabelledClassRow } from './classes';

/**
 * Past its closure deadline in force (the due date, moved to the next working day when it falls
 * on a rest day; the due date itself for rows from before that was kept) and still open.
 */
export function isOverdue(
  item: { status: string; dueDate: string; deadlineDate?: string | null },
  today = shanghaiDate(Date.now()),
): boolean {
  return !isTerminal(item.status as Status) && (item.deadlineDate ?? item.dueDate) < today;
}

/** The closure deadline in force: the working day the due date counts to. */
function deadlineDate(item: Item): string {
  return item.deadlines?.clocks.closure?.deadline ?? item.dueDate;
}

/**
 * What the caller may do now. Nothing once the item is finished (closed or withdrawn, no 回头看
 * pending): its workflow has ended with its handling, so what the state table still lists for a
 * closed item (a leader's 批示 or 圈阅) is not offered.
 */
export function offeredActions(item: Item, actor: Actor): Action[] {
  return isFinished(item) ? [] : actionsFor(item, actor);
}

/** A finished item's answer to any action: its record is final. */
export const FINISHED_MESSAGE = '该事项已办结，办理过程已结束（无待回头看），不能再执行操作';

/** The item as the API shows it: with its labels and what the caller may do now. */
export function itemView(item: Item, actor: Actor) {
  return {
    ...item,
    statusLabel: STATUS_LABELS[item.status],
    deadlineDate: deadlineDate(item),
    light: item.deadlines?.light ?? 'green',
    calendarWarning: (item.deadlines?.unknownYears.length ?? 0) > 0,
    closedLateWorkingDays: item.status === 'closed' ? (item.deadlines?.closing?.lateWorkingDays ?? null) : null,
    overdue: isOverdue({ status: item.status, dueDate: item.dueDate, deadlineDate: deadlineDate(item) }),
    holdingUp: holdingUp(item),
    allowedActions: offeredActions(item, actor),
    blockedActions: isFinished(item)
      ? []
      : blockedActions(item, actor).map((b) => ({ ...b, label: ACTION_LABELS[b.action] })),
    // The classes in force are the row's (api/read/classes.ts), not those the item was opened with.
    classes: undefined as ItemClasses | undefined,
  };
}

/** An `item_events` row as the timeline reads it. */
interface TimelineRow {
  seq: number;
  action: string;
  fromStatus: string | null;
  toStatus: string;
  actorUserId: string;
  actorName: string;
  actorRole: string;
  actorUnitId: string | null;
  /** ISO 8601 in UTC with milliseconds, as Date.toISOString() writes it (`at` is timestamptz(3)). */
  at: string;
  payload: unknown;
  attachments: unknown;
}

/** Where an item opened by a 举一反三 (a 存在, or an overturned 不存在) came from. */
export interface FanOutOrigin {
  fanOutId: string;
  originItemId: string;
  originNumber: string;
  originTitle: string;
}

interface ItemRowRead extends LabelledClassRow {
  snapshot: unknown;
  fan_out?: FanOutOrigin | null;
  number: string;
  attention: string | null;
  attention_since: Date | null;
  events?: TimelineRow[];
}

/**
 * The recorded item (with its timeline when asked), if the caller may see it: one statement
 * through the read layer's raw SQL (the visibility rule rendered by `itemsVisibleSql`, the same
 * decision as Prisma's filter), because the query compiler costs more than the query here.
 */
async function readItemRow(s: Services, actor: Actor, id: string, withTimeline: boolean) {
  const rows = await withSpan('stage item.load', {}, () =>
    withTimeline
      ? s.db.$queryRaw<ItemRowRead[]>`
          SELECT snapshot, number, attention, attention_since, ${CLASS_COLUMNS},
                 (SELECT coalesce(json_agg(json_build_object(
                    'seq', e.seq, 'action', e.action, 'fromStatus', e.from_status, 'toStatus', e.to_status,
                    'actorUserId', e.actor_user_id, 'actorName', e.actor_name, 'actorRole', e.actor_role,
                    'actorUnitId', e.actor_unit_id,
                    'at', to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                    'payload', e.payload, 'attachments', e.attachments) ORDER BY e.seq), '[]'::json)
                  FROM item_events e WHERE e.item_id = items.id) AS events,
                 (SELECT json_build_object('fanOutId', u.fan_out_id, 'originItemId', f.origin_item_id,
                                           'originNumber', o.number, 'originTitle', o.title)
                  FROM fan_out_units u JOIN fan_outs f ON f.id = u.fan_out_id JOIN items o ON o.id = f.origin_item_id
                  -- the fan-out named by the item's id: its rows by their key, not a scan for item_id
                  WHERE u.fan_out_id = ${fanOutIdOfItem(id) ?? ''} AND u.item_id = items.id LIMIT 1) AS fan_out
          FROM items WHERE id = ${id} AND ${itemsVisibleSql(actor)}`
      : s.db.$queryRaw<ItemRowRead[]>`
          SELECT snapshot, number, attention, attention_since, ${CLASS_COLUMNS}
          FROM items WHERE id = ${id} AND ${itemsVisibleSql(actor)}`,
  );
  const row = rows[0];
  if (!row) throw notFound();
  return {
    item: parseItem(row.snapshot),
    number: row.number,
    attention: row.attention,
    attentionSince: row.attention_since,
    classes: classesOfRow(row),
    events: row.events ?? [],
    fanOut: row.fan_out ?? null,
  };
}

/** The recorded item with its attention mark, if the caller may see it; else 404, exactly like an unknown id. */
export async function loadItemRow(s: Services, actor: Actor, id: string) {
  const { events: _none, fanOut: _unread, ...row } = await readItemRow(s, actor, id, false);
  return row;
}

export async function loadItem(s: Services, actor: Actor, id: string): Promise<Item> {
  return (await loadItemRow(s, actor, id)).item;
}

/**
 * An item as an action's answer shows it: the workflow's state with the 督办编号 of its row (the
 * workflow answers once PostgreSQL has recorded the step, so the row is there; without one, no
 * number). The workflow's answer does not carry the number (the insert trigger gives it), so it
 * is one indexed read of one column.
 */
export async function itemViewWithNumber(s: Services, item: Item, actor: Actor) {
  return withSpan('stage item.view', {}, async () => {
    const rows = await s.db.$queryRaw<Array<{ number: string } & LabelledClassRow>>`
      SELECT number, ${CLASS_COLUMNS} FROM items WHERE id = ${item.id}`;
    const row = rows[0];
    return {
      ...itemView(item, actor),
      ...(row ? { number: row.number, classes: classesOfRow(row) } : {}),
    };
  });
}

/** What the system did on its own, and to whom: "约谈提醒（已发牵头单位负责人，已报督查室）". */
function escalationLabel(
  p: {
    action: RungAction | 'calendar' | 'reinspection';
    targets?: string[];
    skipped?: boolean;
    notApplicable?: boolean;
  },
  coUnits: boolean,
): string {
  if (p.action === 'calendar') return '工作日历变更，期限重算';
  if (!(p.action in RUNG_LABELS)) return '回头看到期（已报督查室）';
  return rungEventText({ ...p, action: p.action as RungAction, targets: p.targets ?? [], coUnits });
}

export async function itemDetail(s: Services, actor: Actor, id: string) {
  const { item, number, attention, attentionSince, classes, events, fanOut } = await readItemRow(s, actor, id, true);
  const view = await withSpan('stage item.view', {}, async () => ({
    ...itemView(item, actor),
    number,
    classes,
    ...(fanOut ? { fanOut } : {}),
  }));
  const timeline = await withSpan('stage timeline', {}, async () => events.map((e) => timelineEntry(e, item)));
  return {
    item: view,
    /** A write of this item failed past its attempt limit; the system retries it on a timer. */
    attention: attention ? { reason: attention, since: attentionSince?.toISOString() ?? null } : null,
    timeline,
  };
}

/** One recorded step as the timeline shows it: labelled, its actor named. */
function timelineEntry(e: TimelineRow, item: Item) {
  return {
    seq: e.seq,
    action: e.action,
    actionLabel:
      e.action === 'create'
        ? (e.payload as { backdated?: unknown } | null)?.backdated
          ? '立项交办（补录原系统事项）'
          : '立项交办'
        : e.action === 'escalate'
          ? escalationLabel(e.payload as Parameters<typeof escalationLabel>[0], item.coParts.length > 0)
          : ACTION_LABELS[e.action as Action],
    fromStatus: e.fromStatus,
    toStatus: e.toStatus,
    actor: eventActorView(e),
    at: e.at,
    payload: e.payload,
    attachments: e.attachments,
  };
}

/**
 * Who took a step, as the timeline shows it. What the workflow did on its own is the system's:
 * recorded with the role `system`, or — before that role existed — as user `system` with the
 * role `admin`; both are labelled 系统 (the record itself stays as written).
 */
function eventActorView(e: { actorUserId: string; actorName: string; actorRole: string; actorUnitId: string | null }) {
  const role = e.actorRole as EventRole;
  const system = role === 'system' || e.actorUserId === SYSTEM_ACTOR.userId;
  return {
    userId: e.actorUserId,
    name: e.actorName,
    role,
    roleLabel: system ? EVENT_ROLE_LABELS.system : (EVENT_ROLE_LABELS[role] ?? e.actorRole),
    system,
    unitId: e.actorUnitId,
  };
}
