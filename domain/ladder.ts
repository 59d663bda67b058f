/**
 * The item's deadlines as the workflow drives them: starting and moving its clocks, when to wake
 * next, which rung is due, whether it climbs, what firing it records, and the 回头看 falling due.
 * Pure, on `Item`s: the workflow only sleeps, asks whether a notice was acknowledged, and records.
 */
import type { Action } from './commands';
import type { Calendar } from './calendar';
import {
  afterTransition,
  fireRung,
  pendingRungs,
  previousRung,
  scheduledReinspection,
  startDeadlines,
  type Deadlines,
  type DueRung,
  type FiredRung,
} from './deadlines';
import {
  escalation,
  reinspectionId,
  reinspectionNotice,
  rungId,
  rungNotice,
  rungPayload,
  type KeyOf,
  type SystemStep,
} from './events';
import { isTerminal, type Item } from './item';
import type { Policy } from './policy';

/** An item whose deadlines run (opened after the ladder existed). */
export type ItemWithDeadlines = Item & { deadlines: Deadlines };

/** The item with its clocks started at `nowMs`: sign from today, closure by its due date. */
export function startClocks(item: Item, policy: Policy, cal: Calendar, nowMs: number): Item {
  return { ...item, deadlines: startDeadlines(policy, cal, nowMs, item.dueDate) };
}

/**
 * A backdated import (an item that began in an older system on `openedOn`): the closure clock
 * counts from that day, and every rung whose time had passed by `nowMs` is recorded as not
 * applicable (不适用): on record so it never fires, counted for the light (the item is as late
 * as it is), never sent. The sign clock runs from today: the unit has not seen the item here yet.
 */
export function startBackdated(item: Item, cal: Calendar, openedOn: string, nowMs: number): Item {
  if (!item.deadlines) return item;
  let d: Deadlines = {
    ...item.deadlines,
    assignedOn: openedOn,
    clocks: {
      ...item.deadlines.clocks,
      ...(item.deadlines.clocks.closure ? { closure: { ...item.deadlines.clocks.closure, start: openedOn } } : {}),
    },
  };
  for (const due of pendingRungs(d, cal).filter((r) => r.fireAt <= nowMs))
    d = fireRung(d, due, nowMs, false, true).deadlines;
  return { ...item, deadlines: d };
}

/** The rungs a backdated import recorded as not applicable. */
export function notApplicableRungs(item: Item): FiredRung[] {
  return item.deadlines?.fired.filter((f) => f.notApplicable) ?? [];
}

/** `after` (what `decide` accepted from `before`) with its clocks moved by the action; as it is without deadlines. */
export function moveClocks(before: Item, after: Item, action: Action, cal: Calendar, nowMs: number): Item {
  if (!before.deadlines) return after;
  return { ...after, deadlines: afterTransition(before.deadlines, action, before, after, cal, nowMs) };
}

/** When the workflow must next wake for the ladder: the earliest pending rung or 回头看; Infinity for nothing. */
export function nextWakeAt(item: Item, cal: Calendar): number {
  if (!item.deadlines) return Infinity;
  const reinspection = scheduledReinspection(item.deadlines);
  return Math.min(pendingRungs(item.deadlines, cal)[0]?.fireAt ?? Infinity, reinspection?.dueAt ?? Infinity);
}

/** The earliest rung due at `nowMs`, on an item still open; undefined when none is. */
export function dueRung(item: Item, cal: Calendar, nowMs: number): DueRung | undefined {
  if (!item.deadlines || isTerminal(item.status)) return undefined;
  return pendingRungs(item.deadlines, cal).find((r) => r.fireAt <= nowMs);
}

/**
 * The fired rung whose notice decides whether an acknowledgement-gated rung climbs: the one before
 * it on the same clock. Undefined for an ungated rung, or a gated one with nothing before it:
 * those climb.
 */
export function gatingRung(item: Item, due: DueRung): FiredRung | undefined {
  return due.rung.ackGate && item.deadlines ? previousRung(item.deadlines, due) : undefined;
}

/**
 * Whether `due` is still the rung due at `nowMs`: an action accepted meanwhile (while the gate's
 * acknowledgement was looked up) may have moved the clocks, ended them, or fired it.
 */
export function stillDue(item: Item, cal: Calendar, nowMs: number, due: DueRung): item is ItemWithDeadlines {
  const now = dueRung(item, cal, nowMs);
  return (
    !!now &&
    !!item.deadlines &&
    now.rung.key === due.rung.key &&
    now.clock.epoch === due.clock.epoch &&
    now.clock.step === due.clock.step
  );
}

/**
 * Fires the rung `due` at `nowMs`: it is on record (per step, epoch and rung, never twice), the
 * light follows, an `escalate` event says so, and its targets are told — unless `acknowledged`
 * (its gate's notice was acknowledged): then it is recorded as skipped, leaves the light, and
 * sends nothing.
 */
export function climb(
  item: ItemWithDeadlines,
  due: DueRung,
  nowMs: number,
  acknowledged: boolean,
  keyOf: KeyOf,
): SystemStep {
  const { deadlines, fired } = fireRung(item.deadlines, due, nowMs, acknowledged);
  const key = keyOf(rungId(fired));
  const step = escalation(item, deadlines, nowMs, rungPayload(fired, deadlines.light));
  return {
    ...step,
    key,
    notices: acknowledged ? [] : [rungNotice(key, step.item, fired, deadlines.light)],
  };
}

/**
 * The 回头看 whose day has come by `nowMs`: it is due (the item waits for the re-inspection's
 * result) and the supervisor is told. Null when none is scheduled or its day is still ahead.
 */
export function reinspectionDue(item: Item, nowMs: number, keyOf: KeyOf): SystemStep | null {
  const r = item.deadlines && scheduledReinspection(item.deadlines);
  if (!r || r.dueAt > nowMs || !item.deadlines) return null;
  const key = keyOf(reinspectionId(r));
  const step = escalation(item, { ...item.deadlines, reinspection: { ...r, state: 'due' } }, nowMs, {
    key: 'reinspection-due',
    action: 'reinspection',
    due: r.due,
  });
  return { ...step, key, notices: [reinspectionNotice(key, step.item, r.due)] };
}
