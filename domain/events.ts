/**
 * What the item's workflow records for the steps it takes itself — opening the item, a rung of
 * the ladder, a 回头看 falling due — and the notices that go with them. (An action's event is
 * built by `decide`.) Pure: the workflow hands in the time and how its keys are made.
 */
import { SYSTEM_ACTOR, type Actor } from './actors';
import type { CreateItem } from './commands';
import type { Deadlines, FiredRung, Reinspection } from './deadlines';
import type { EventDraft, Item } from './item';
import type { NotificationDraft } from './notifications';

/**
 * Turns the id of one step of an item (an Update's id, `create`, a rung's or a 回头看's id) into
 * the key it is recorded under. The workflow passes `transitionKey` bound to its workflow id, so
 * every key is `<workflow id>/<id>`.
 */
export type KeyOf = (id: string) => string;

/** A step the workflow takes on its own: the item after it, the key it is recorded under, its event and notices. */
export interface SystemStep {
  item: Item;
  key: string;
  event: EventDraft;
  notices: NotificationDraft[];
}

/** The id of the opening step; its key is `<workflow id>/create`. */
export const CREATE_ID = 'create';

/** The id of a fired rung: per step, deadline epoch and rung, so no rung is recorded twice. */
export function rungId(f: Pick<FiredRung, 'step' | 'epoch' | 'key'>): string {
  return `rung/${f.step}/${f.epoch}/${f.key}`;
}

/** The id of a 回头看 falling due: one per re-inspection date. */
export function reinspectionId(r: Pick<Reinspection, 'due'>): string {
  return `reinspection/${r.due}`;
}

/** The id of the supervisor's notice that a year was counted without calendar data: once per year. */
export function calendarNoticeId(year: string): string {
  return `calendar-unknown/${year}`;
}

/**
 * The event of opening the item: seq 1, from no state, by whoever opened it, with what they opened;
 * for a backdated import also the day it began in the older system and the rungs recorded as not
 * applicable (absent otherwise: the payload stays the spec alone).
 */
export function creationEvent(
  item: Item,
  openedBy: Actor,
  spec: CreateItem,
  backdated?: { openedOn: string; notApplicable: FiredRung[] },
): EventDraft {
  return {
    seq: 1,
    action: 'create',
    fromStatus: null,
    toStatus: item.status,
    actor: openedBy,
    at: item.createdAt,
    payload: backdated
      ? {
          ...spec,
          backdated: {
            openedOn: backdated.openedOn,
            notApplicable: backdated.notApplicable.map((f) => ({
              step: f.step,
              key: f.key,
              action: f.action,
              dueAt: new Date(f.dueAt).toISOString(),
            })),
          },
        }
      : spec,
    attachments: [],
  };
}

/**
 * The system acts (an `escalate` event): the item is one seq further, with `deadlines`, and its
 * state unchanged.
 */
export function escalation(
  item: Item,
  deadlines: Deadlines,
  nowMs: number,
  payload: unknown,
): { item: Item; event: EventDraft } {
  const at = new Date(nowMs).toISOString();
  const next: Item = { ...item, deadlines, seq: item.seq + 1, updatedAt: at };
  return {
    item: next,
    event: {
      seq: next.seq,
      action: 'escalate',
      fromStatus: next.status,
      toStatus: next.status,
      actor: SYSTEM_ACTOR,
      at,
      payload,
      attachments: [],
    },
  };
}

/** A fired rung's event payload: the rung, the light it leaves, its instants as ISO strings. */
export function rungPayload(fired: FiredRung, light: Deadlines['light']): Record<string, unknown> {
  return {
    ...fired,
    light,
    dueAt: new Date(fired.dueAt).toISOString(),
    firedAt: new Date(fired.firedAt).toISOString(),
  };
}

/** A fired rung's notice to the rung's targets: the lead unit, and the co-units when they are named. */
export function rungNotice(key: string, item: Item, fired: FiredRung, light: Deadlines['light']): NotificationDraft {
  return {
    key,
    kind: fired.action,
    targets: fired.targets,
    unitIds: [item.leadUnitId, ...(fired.targets.includes('co_units') ? item.coParts.map((p) => p.unitId) : [])],
    payload: { title: item.title, step: fired.step, deadline: fired.deadline, light },
  };
}

/** The supervisor's notice that the 回头看 of `due` has come. */
export function reinspectionNotice(key: string, item: Item, due: string): NotificationDraft {
  return {
    key,
    kind: 'reinspection_due',
    targets: ['supervisor'],
    unitIds: [item.leadUnitId],
    payload: { title: item.title, due },
  };
}

/**
 * Tells the supervisor, once per year, that a deadline was counted without calendar data: the
 * years in the item's deadlines that were not in `before` (null: the item had none yet).
 */
export function calendarNotices(item: Item, before: Deadlines | null, keyOf: KeyOf): NotificationDraft[] {
  if (!item.deadlines) return [];
  return item.deadlines.unknownYears
    .filter((y) => !before?.unknownYears.includes(y))
    .map((year) => ({
      key: keyOf(calendarNoticeId(year)),
      kind: 'calendar_unknown',
      targets: ['supervisor'],
      unitIds: [item.leadUnitId],
      payload: { year, title: item.title },
    }));
}
