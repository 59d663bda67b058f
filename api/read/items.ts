/** One item as the caller sees it: its recorded state, and the timeline of what happened to it. */
import { EVENT_ROLE_LABELS, SYSTEM_ACTOR, type Actor, type EventRole } from '../../domain/actors';
import { shanghaiDate } from '../../domain/calendar';
import { ACTION_LABELS, type Action } from '../../domain/commands';
import {
  actionsFor,
  blockedActions,
  holdingUp,
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
import { itemsVisibleTo } from '../visibility';

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
    allowedActions: actionsFor(item, actor),
    blockedActions: blockedActions(item, actor).map((b) => ({ ...b, label: ACTION_LABELS[b.action] })),
  };
}

/** The recorded item with its attention mark, if the caller may see it; else 404, exactly like an unknown id. */
export async function loadItemRow(s: Services, actor: Actor, id: string) {
  const row = await s.db.item.findFirst({
    where: { AND: [{ id }, itemsVisibleTo(actor)] },
    select: { snapshot: true, number: true, attention: true, attentionSince: true },
  });
  if (!row) throw notFound();
  return {
    item: parseItem(row.snapshot),
    number: row.number,
    attention: row.attention,
    attentionSince: row.attentionSince,
  };
}

export async function loadItem(s: Services, actor: Actor, id: string): Promise<Item> {
  return (await loadItemRow(s, actor, id)).item;
}

/**
 * An item as an action's answer shows it: the workflow's state with the 督办编号 of its row (the
 * workflow answers once PostgreSQL has recorded the step, so the row is there; without one, no number).
 */
export async function itemViewWithNumber(s: Services, item: Item, actor: Actor) {
  const row = await s.db.item.findUnique({ where: { id: item.id }, select: { number: true } });
  return { ...itemView(item, actor), ...(row ? { number: row.number } : {}) };
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
  const { item, number, attention, attentionSince } = await loadItemRow(s, actor, id);
  const events = await s.db.itemEvent.findMany({ where: { itemId: id }, orderBy: { seq: 'asc' } });
  return {
    item: { ...itemView(item, actor), number },
    /** A write of this item failed past its attempt limit; the system retries it on a timer. */
    attention: attention ? { reason: attention, since: attentionSince?.toISOString() ?? null } : null,
    timeline: events.map((e) => ({
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
      at: e.at.toISOString(),
      payload: e.payload,
      attachments: e.attachments,
    })),
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
