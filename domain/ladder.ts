/**
 * The item's deadlines as the workflow drives them: starting and moving its clocks, when to wake
 * next, which rung is due, whether it climbs, what firing it records, and the 回头看 falling due.
 * Pure, on `Item`s: the workflow only sleeps, asks whether a notice was acknowledged, and records.
 */
import type { Action } from './commands';
import { parseDate, shanghaiDate, type Calendar } from './calendar';
import {
  afterTransition,
  fireRung,
  pendingRungs,
  previousRung,
  recalendar,
  scheduledReinspection,
  startDeadlines,
  type Deadlines,
  type DueRung,
  type FiredRung,
  type Move,
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
import { isFinished, isTerminal, type Item } from './item';
import type { Light, Policy } from './policy';

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
export function moveClocks(
  before: Item,
  after: Item,
  action: Action,
  cal: Calendar,
  nowMs: number,
  byUserId?: string,
): Item {
  if (!before.deadlines) return after;
  return { ...after, deadlines: afterTransition(before.deadlines, action, before, after, cal, nowMs, byUserId) };
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

/** The id of a calendar change applied to the item: its step's seq and the version (a calendar may come back). */
export function recalendarId(seq: number, version: string): string {
  return `calendar/${seq}/${version}`;
}

/**
 * Calendar `to` applied to a running item whose deadlines were counted with `from`: its pending
 * dates recomputed (`recalendar`), on record as a system step with both versions and what moved.
 * Null when the item has no deadlines, is finished, already counts with `to`, or nothing of it
 * would change.
 */
export function applyCalendar(
  item: Item,
  from: Calendar,
  to: Calendar,
  nowMs: number,
  keyOf: KeyOf,
): SystemStep | null {
  if (!item.deadlines || isFinished(item) || from.version === to.version) return null;
  const closedOn = item.status === 'closed' ? shanghaiDate(Date.parse(item.closedAt)) : null;
  const deadlines = recalendar(item.deadlines, from, to, item.dueDate, closedOn, nowMs);
  const change = deadlines.recalendared![deadlines.recalendared!.length - 1]!;
  // Nothing of the item's moves (a year it never counts in): no step on record, it just counts with `to` from now on.
  if (change.moves.length === 0 && deadlines.unknownYears.join() === item.deadlines.unknownYears.join()) return null;
  const step = escalation(item, deadlines, nowMs, {
    key: 'calendar-change',
    action: 'calendar',
    from: change.from,
    to: change.to,
    moves: change.moves,
    unknownYears: deadlines.unknownYears,
  });
  return { ...step, key: keyOf(recalendarId(step.item.seq, to.version)), notices: [] };
}

/** What applying a calendar would do to one running item: what moves, by how much, and the light. */
export interface CalendarImpact {
  itemId: string;
  title: string;
  leadUnitId: string;
  status: Item['status'];
  moves: Array<Move & { days: number }>;
  /** Rungs whose new day has already passed: they fire as soon as the calendar is applied. */
  firesAtOnce: string[];
  lightBefore: Light;
  lightAfter: Light;
  unknownYearsBefore: string[];
  unknownYearsAfter: string[];
}

/**
 * The impact of replacing calendar `from` with `to` on an item, as `applyCalendar` would apply it
 * at `nowMs`; null when nothing about the item would change. The light after counts the rungs
 * that would fire at once (an acknowledgement gate is not looked up: the worst case is shown).
 */
export function calendarImpact(item: Item, from: Calendar, to: Calendar, nowMs: number): CalendarImpact | null {
  const applied = applyCalendar(item, from, to, nowMs, (id) => id);
  if (!applied?.item.deadlines || !item.deadlines) return null;
  let after = applied.item.deadlines;
  const firesAtOnce: string[] = [];
  for (const due of pendingRungs(after, to).filter((r) => r.fireAt <= nowMs)) {
    firesAtOnce.push(due.rung.key);
    after = fireRung(after, due, nowMs).deadlines;
  }
  const moves = after.recalendared![after.recalendared!.length - 1]!.moves.map((m) => ({
    ...m,
    days: Math.round((parseDate(m.to) - parseDate(m.from)) / 86_400_000),
  }));
  const before = item.deadlines;
  const unchanged =
    moves.length === 0 &&
    firesAtOnce.length === 0 &&
    after.light === before.light &&
    after.unknownYears.join() === before.unknownYears.join();
  if (unchanged) return null;
  return {
    itemId: item.id,
    title: item.title,
    leadUnitId: item.leadUnitId,
    status: item.status,
    moves,
    firesAtOnce,
    lightBefore: before.light,
    lightAfter: after.light,
    unknownYearsBefore: before.unknownYears,
    unknownYearsAfter: after.unknownYears,
  };
}
