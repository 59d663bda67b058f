import type { Action } from './commands';
import {
  instantAt,
  nextWorkingDayOnOrAfter,
  shanghaiDate,
  shiftWorkingDays,
  workingDaysBetween,
  type Calendar,
} from './calendar';
import { LIGHT_OF_ACTION, LIGHTS, type Light, type Policy, type Rung, type RungAction, type Step } from './policy';
import { rungId } from './events';
import { assertNever } from './never';

/**
 * The deadlines of one item and its escalation ladder, as plain data in the workflow's state.
 * Every function here is pure: the workflow calls them with its own clock and calendar.
 */

/** running: counting; held: the supervisor's turn (verification), resumes with the same deadline;
 * paused: suspended, resumes with the working days that were left; done: the step is over. */
export type ClockState = 'running' | 'held' | 'paused' | 'done';

export interface Clock {
  step: Step;
  /** Bumped whenever the deadline is granted anew (extension, reassignment, a new report cycle). */
  epoch: number;
  start: string;
  deadline: string;
  dueAt: number;
  state: ClockState;
  /** Working days left when paused (negative: already overdue by that many). */
  left: number | null;
  /** Co-units owe their parts by the closure deadline too. */
  calendarVersion: string;
  /** The day the clock was last held (the unit handed in): a closure's lateness counts to this day. */
  heldOn?: string;
}

/** Why a deadline stopped being the one in force: an action, or a calendar change applied to the item. */
export type EndedBy = Action | 'calendar';

/** A deadline that was replaced (a new epoch, a calendar change): the ledger keeps every one. */
export interface PastClock extends Clock {
  endedOn: string;
  endedBy: EndedBy;
  /** Who took the action that replaced it (absent for the system's own steps). */
  endedByUserId?: string;
}

/** One rung of the plan as it stood: when it was due, fired or not. */
export interface PlannedRung {
  step: Step;
  epoch: number;
  key: string;
  action: RungAction;
  deadline: string;
  dueAt: number;
}

/** How the item stood against its closure deadline when it closed, kept with it. */
export interface Closing {
  closedOn: string;
  deadline: string;
  /** The day the accepted result was handed in: the unit is late to this day, not to the verification. */
  handedInOn: string;
  lateWorkingDays: number;
  /** The rungs still to come on the clocks in force: what would have followed. */
  plan: PlannedRung[];
}

/** What a calendar change moved on one item (a deadline, a rung, the 回头看), day to day. */
export interface Move {
  kind: 'deadline' | 'rung' | 'reinspection';
  step: Step | null;
  key: string | null;
  from: string;
  to: string;
}

/** A new calendar applied to a running item: both versions, and what moved. */
export interface Recalendar {
  at: number;
  from: string;
  to: string;
  moves: Move[];
}

export interface FiredRung {
  step: Step;
  epoch: number;
  key: string;
  action: RungAction;
  deadline: string;
  dueAt: number;
  firedAt: number;
  targets: string[];
  /** An acknowledgement-gated rung whose previous notice had been acknowledged: it did not climb. */
  skipped?: boolean;
  /** A backdated import: the rung's time had passed before the item entered this system; recorded, never sent (不适用). */
  notApplicable?: boolean;
}

export interface Pause {
  from: string;
  to: string | null;
}

/** 回头看: a re-inspection some working days after closure, by policy. */
export interface Reinspection {
  due: string;
  dueAt: number;
  state: 'scheduled' | 'due' | 'done';
}

export interface Deadlines {
  policy: Policy;
  calendarVersion: string;
  clocks: Partial<Record<Step, Clock>>;
  fired: FiredRung[];
  pauses: Pause[];
  light: Light;
  /** Years a deadline was counted in without calendar data (weekdays only): shown, never silent. */
  unknownYears: string[];
  /** The two clocks: from assignment (交办) and from signing (签收). */
  assignedOn: string;
  /** The due date the item was opened with (absent on items from before it was kept). */
  openedDueDate?: string;
  signedOn: string | null;
  reinspection?: Reinspection;
  relapses?: number;
  /** Every deadline replaced so far, oldest first (absent on items from before it was kept). */
  past?: PastClock[];
  /** Set when the item closed. */
  closing?: Closing;
  /** Calendar changes applied while the item ran. */
  recalendared?: Recalendar[];
}

export interface DueRung {
  rung: Rung;
  clock: Clock;
  /** The working day the rung falls on; it fires at that day's end of work (`fireAt`). */
  day: string;
  fireAt: number;
}

/** Remembers the years a count crossed without calendar data, once each. */
function noteUnknownYears(d: Deadlines, years: string[]): void {
  for (const y of years) if (!d.unknownYears.includes(y)) d.unknownYears.push(y);
}

function clock(
  cal: Calendar,
  policy: Policy,
  step: Step,
  epoch: number,
  start: string,
  deadline: { date: string; unknownYears: string[] },
  d: Deadlines,
): Clock {
  noteUnknownYears(d, deadline.unknownYears);
  return {
    step,
    epoch,
    start,
    deadline: deadline.date,
    dueAt: instantAt(deadline.date, policy.workdayEnd),
    state: 'running',
    left: null,
    calendarVersion: cal.version,
  };
}

function nextEpoch(d: Deadlines, step: Step): number {
  return (d.clocks[step]?.epoch ?? 0) + 1;
}

/** Who and what replaced a clock, on the day it happened; null while the clocks are first set. */
type Replacing = { on: string; by: EndedBy; userId?: string } | null;

function replace(d: Deadlines, next: Clock, replacing: Replacing): void {
  const old = d.clocks[next.step];
  if (old && replacing)
    d.past = [
      ...(d.past ?? []),
      {
        ...old,
        state: 'done',
        endedOn: replacing.on,
        endedBy: replacing.by,
        ...(replacing.userId ? { endedByUserId: replacing.userId } : {}),
      },
    ];
  d.clocks[next.step] = next;
}

function startAfter(d: Deadlines, cal: Calendar, step: Step, today: string, days: number, r: Replacing): void {
  replace(d, clock(cal, d.policy, step, nextEpoch(d, step), today, shiftWorkingDays(cal, today, days), d), r);
}

function startClosure(d: Deadlines, cal: Calendar, today: string, dueDate: string, r: Replacing): void {
  replace(
    d,
    clock(cal, d.policy, 'closure', nextEpoch(d, 'closure'), today, nextWorkingDayOnOrAfter(cal, dueDate), d),
    r,
  );
}

function setState(d: Deadlines, step: Step, state: ClockState, today?: string): void {
  const c = d.clocks[step];
  if (c && c.state !== 'done')
    d.clocks[step] = { ...c, state, ...(state === 'held' && today ? { heldOn: today } : {}) };
}

export function startDeadlines(policy: Policy, cal: Calendar, nowMs: number, dueDate: string): Deadlines {
  const today = shanghaiDate(nowMs);
  const d: Deadlines = {
    policy,
    calendarVersion: cal.version,
    clocks: {},
    fired: [],
    pauses: [],
    light: 'green',
    unknownYears: [],
    assignedOn: today,
    openedDueDate: dueDate,
    signedOn: null,
  };
  startAfter(d, cal, 'sign', today, policy.signDays, null);
  startClosure(d, cal, today, dueDate, null);
  return withLight(flagUnknownYears(d, cal));
}

export interface ItemFacts {
  dueDate: string;
  status: string;
  leadUnitId?: string;
}

/** How an accepted transition moves the clocks. */
export function afterTransition(
  prev: Deadlines,
  action: Action,
  before: ItemFacts,
  after: ItemFacts,
  cal: Calendar,
  nowMs: number,
  byUserId?: string,
): Deadlines {
  const d = JSON.parse(JSON.stringify(prev)) as Deadlines;
  d.calendarVersion = cal.version;
  const today = shanghaiDate(nowMs);
  const r: Replacing = { on: today, by: action, ...(byUserId ? { userId: byUserId } : {}) };
  switch (action) {
    case 'sign':
      setState(d, 'sign', 'done');
      d.signedOn = today;
      startAfter(d, cal, 'plan', today, d.policy.planDays, r);
      break;
    case 'decline':
      setState(d, 'sign', 'held');
      break;
    case 'reassign':
    case 'arbitrate':
      startAfter(d, cal, 'sign', today, d.policy.signDays, r);
      if (after.dueDate !== before.dueDate) startClosure(d, cal, today, after.dueDate, r);
      break;
    case 'edit':
      // As a reassignment, for what changed: a new lead unit has its full time to sign; a new due date, a new closure deadline.
      if (after.leadUnitId !== undefined && after.leadUnitId !== before.leadUnitId)
        startAfter(d, cal, 'sign', today, d.policy.signDays, r);
      if (after.dueDate !== before.dueDate) startClosure(d, cal, today, after.dueDate, r);
      break;
    case 'filePlan':
      setState(d, 'plan', 'done');
      startAfter(d, cal, 'progress', today, d.policy.progressEveryDays, r);
      break;
    case 'reportProgress':
      startAfter(d, cal, 'progress', today, d.policy.progressEveryDays, r);
      break;
    case 'submit':
      setState(d, 'progress', 'held', today);
      setState(d, 'closure', 'held', today);
      break;
    case 'verifyReturn':
      setState(d, 'closure', 'running');
      startAfter(d, cal, 'progress', today, d.policy.progressEveryDays, r);
      break;
    case 'decideExtension':
      // Approval sets the later date that was asked for; a refusal leaves the due date as it was.
      if (after.dueDate !== before.dueDate) startClosure(d, cal, today, after.dueDate, r);
      break;
    case 'suspend':
      d.pauses.push({ from: today, to: null });
      for (const c of Object.values(d.clocks)) {
        if (c.state === 'running')
          d.clocks[c.step] = { ...c, state: 'paused', left: workingDaysBetween(cal, today, c.deadline) };
      }
      break;
    case 'resume': {
      const open = d.pauses[d.pauses.length - 1];
      if (open && open.to === null) open.to = today;
      for (const c of Object.values(d.clocks)) {
        if (c.state !== 'paused') continue;
        const moved = shiftWorkingDays(cal, today, c.left ?? 0);
        noteUnknownYears(d, moved.unknownYears);
        d.clocks[c.step] = {
          ...c,
          state: 'running',
          deadline: moved.date,
          dueAt: instantAt(moved.date, d.policy.workdayEnd),
          left: null,
          calendarVersion: cal.version,
        };
      }
      break;
    }
    case 'verifyPass':
      d.closing = closingOf(d, cal, today, nowMs);
      for (const step of Object.keys(d.clocks) as Step[]) setState(d, step, 'done');
      if (d.policy.reinspectAfterDays > 0) {
        const due = shiftWorkingDays(cal, today, d.policy.reinspectAfterDays);
        noteUnknownYears(d, due.unknownYears);
        // Due at the start of that working day, so the supervisor has the whole day for it.
        d.reinspection = { due: due.date, dueAt: instantAt(due.date, '00:00'), state: 'scheduled' };
      }
      break;
    case 'withdraw':
      for (const step of Object.keys(d.clocks) as Step[]) setState(d, step, 'done');
      if (d.reinspection) d.reinspection = { ...d.reinspection, state: 'done' };
      break;
    case 'reinspect':
      if (d.reinspection) d.reinspection = { ...d.reinspection, state: 'done' };
      // The problem was back: the item is reopened for rectification.
      if (after.status === 'rectifying') {
        d.relapses = (d.relapses ?? 0) + 1;
        startClosure(d, cal, today, after.dueDate, r);
        startAfter(d, cal, 'progress', today, d.policy.progressEveryDays, r);
      }
      break;
    case 'coSign':
    case 'coReport':
    case 'coComplete':
    case 'requestExtension':
    case 'instruct':
    case 'acknowledgeInstruction':
    case 'initial':
    case 'decideAccountability':
    case 'remindCoUnits':
    case 'urge':
    case 'recordInterview':
      // No clock moves: a co-unit's part and an extension still to be decided leave every deadline as it is.
      break;
    default:
      assertNever(action);
  }
  return withLight(flagUnknownYears(d, cal));
}

/** The closure deadline in force at closing, how late the result was handed in, and what would have fired next. */
function closingOf(d: Deadlines, cal: Calendar, today: string, nowMs: number): Closing | undefined {
  const c = d.clocks.closure;
  if (!c) return undefined;
  const handedInOn = c.state === 'held' ? (c.heldOn ?? today) : today;
  return {
    closedOn: today,
    deadline: c.deadline,
    handedInOn,
    lateWorkingDays: overdueWorkingDays(cal, c.deadline, handedInOn),
    plan: rungPlan(d, cal, ['running', 'held'])
      .filter((r) => r.fireAt > nowMs)
      .map((r) => ({
        step: r.clock.step,
        epoch: r.clock.epoch,
        key: r.rung.key,
        action: r.rung.action,
        deadline: r.clock.deadline,
        dueAt: r.fireAt,
      })),
  };
}

/**
 * The item's unknown years as they stand under `cal`: those already noted that `cal` still lacks,
 * and every year a pending rung or the 回头看 is counted in (a rung ten working days past a
 * December deadline counts January too).
 */
export function flagUnknownYears(d: Deadlines, cal: Calendar): Deadlines {
  const years = new Set(d.unknownYears.filter((y) => !cal.years[y]));
  const note = (date: string) => !cal.years[date.slice(0, 4)] && years.add(date.slice(0, 4));
  for (const r of rungPlan(d, cal, ['running', 'held', 'paused'])) {
    note(r.clock.deadline);
    for (const y of shiftWorkingDays(cal, r.clock.deadline, r.rung.offset).unknownYears) years.add(y);
  }
  if (d.reinspection && d.reinspection.state !== 'done') note(d.reinspection.due);
  return { ...d, unknownYears: [...years].sort() };
}

function firedIn(d: Deadlines, c: Clock, key: string): boolean {
  return d.fired.some((f) => f.step === c.step && f.epoch === c.epoch && f.key === key);
}

/** The rungs still to fire on running clocks, earliest first. */
export function pendingRungs(d: Deadlines, cal: Calendar): DueRung[] {
  return rungPlan(d, cal, ['running']);
}

/** The rungs not yet fired on the clocks in the given states, earliest first. */
function rungPlan(d: Deadlines, cal: Calendar, states: ClockState[]): DueRung[] {
  const out: DueRung[] = [];
  for (const c of Object.values(d.clocks)) {
    if (!states.includes(c.state)) continue;
    for (const rung of d.policy.ladder) {
      if (rung.step !== c.step || firedIn(d, c, rung.key)) continue;
      const day = rung.offset === 0 ? c.deadline : shiftWorkingDays(cal, c.deadline, rung.offset).date;
      out.push({ rung, clock: c, day, fireAt: instantAt(day, d.policy.workdayEnd) });
    }
  }
  return out.sort((a, b) => a.fireAt - b.fireAt || a.rung.offset - b.rung.offset);
}

/** The rung fired before `due` on the same clock, whose notice an `ackGate` rung looks at. */
export function previousRung(d: Deadlines, due: DueRung): FiredRung | undefined {
  return [...d.fired].reverse().find((f) => f.step === due.clock.step && f.epoch === due.clock.epoch && !f.skipped);
}

export function fireRung(
  prev: Deadlines,
  due: DueRung,
  nowMs: number,
  skipped = false,
  notApplicable = false,
): { deadlines: Deadlines; fired: FiredRung } {
  const fired: FiredRung = {
    step: due.clock.step,
    epoch: due.clock.epoch,
    key: due.rung.key,
    action: due.rung.action,
    deadline: due.clock.deadline,
    dueAt: due.fireAt,
    firedAt: nowMs,
    targets: due.rung.targets,
    ...(skipped ? { skipped: true } : {}),
    ...(notApplicable ? { notApplicable: true } : {}),
  };
  return { deadlines: withLight({ ...prev, fired: [...prev.fired, fired] }), fired };
}

/** The fired rungs the light counts: those against a deadline still in force, not skipped. */
export function rungsBehindLight(d: Deadlines): FiredRung[] {
  return d.fired.filter((f) => {
    const c = d.clocks[f.step];
    return !!c && c.state !== 'done' && c.epoch === f.epoch && !f.skipped;
  });
}

/** Green, yellow or red: the worst rung fired against a deadline still in force. */
function withLight(d: Deadlines): Deadlines {
  let worst = 0;
  for (const f of rungsBehindLight(d)) worst = Math.max(worst, LIGHTS.indexOf(LIGHT_OF_ACTION[f.action]));
  return { ...d, light: LIGHTS[worst]! };
}

/** Working days past the closure deadline today (0 when not overdue). */
export function overdueWorkingDays(cal: Calendar, deadline: string, today: string): number {
  return today > deadline ? workingDaysBetween(cal, deadline, today) : 0;
}

/** A re-inspection waiting for its day, or null. */
export function scheduledReinspection(d: Deadlines): Reinspection | null {
  return d.reinspection?.state === 'scheduled' ? d.reinspection : null;
}

export function reinspectionPending(d: Deadlines | null): boolean {
  return !!d?.reinspection && d.reinspection.state !== 'done';
}

/**
 * A clock's deadline under another calendar. A closure deadline set by the due date stays on the
 * due date (moved to the next working day of the new calendar); any other deadline keeps the
 * number of working days it was counted from its start.
 */
function deadlineUnder(c: Clock, from: Calendar, to: Calendar, dueDate: string): string {
  if (c.step === 'closure' && c.deadline === nextWorkingDayOnOrAfter(from, dueDate).date)
    return nextWorkingDayOnOrAfter(to, dueDate).date;
  return shiftWorkingDays(to, c.start, workingDaysBetween(from, c.start, c.deadline)).date;
}

/** The rungs still to come on the clocks in force, by their id (`rungId`: step, epoch and rung). */
function planById(d: Deadlines, cal: Calendar): Map<string, DueRung> {
  return new Map(
    rungPlan(d, cal, ['running', 'held']).map((r) => [
      rungId({ step: r.clock.step, epoch: r.clock.epoch, key: r.rung.key }),
      r,
    ]),
  );
}

/**
 * The item's deadlines under calendar `to` (they were counted with `from`): every deadline in
 * force, the rungs still to fire and the 回头看 move to their days under the new calendar; rungs
 * already fired stay fired (same step, epoch and key: none fires twice), a paused clock keeps the
 * working days it had left. The change is kept with both versions and what moved.
 */
export function recalendar(
  prev: Deadlines,
  from: Calendar,
  to: Calendar,
  dueDate: string,
  closedOn: string | null,
  nowMs: number,
): Deadlines {
  const d = JSON.parse(JSON.stringify(prev)) as Deadlines;
  const moves: Move[] = [];
  const today = shanghaiDate(nowMs);
  for (const c of Object.values(prev.clocks)) {
    if (c.state === 'done' || c.state === 'paused') continue;
    const deadline = deadlineUnder(c, from, to, dueDate);
    if (deadline === c.deadline) {
      d.clocks[c.step] = { ...c, calendarVersion: to.version };
      continue;
    }
    moves.push({ kind: 'deadline', step: c.step, key: null, from: c.deadline, to: deadline });
    replace(
      d,
      { ...c, deadline, dueAt: instantAt(deadline, d.policy.workdayEnd), calendarVersion: to.version },
      { on: today, by: 'calendar' },
    );
  }
  const r = prev.reinspection;
  if (r?.state === 'scheduled' && closedOn) {
    const due = shiftWorkingDays(to, closedOn, workingDaysBetween(from, closedOn, r.due)).date;
    if (due !== r.due) {
      moves.push({ kind: 'reinspection', step: null, key: null, from: r.due, to: due });
      d.reinspection = { ...r, due, dueAt: instantAt(due, '00:00') };
    }
  }
  const before = planById(prev, from);
  for (const [id, now] of planById(d, to)) {
    const was = before.get(id);
    if (was && was.day !== now.day)
      moves.push({ kind: 'rung', step: now.clock.step, key: now.rung.key, from: was.day, to: now.day });
  }
  d.calendarVersion = to.version;
  d.recalendared = [...(prev.recalendared ?? []), { at: nowMs, from: prev.calendarVersion, to: to.version, moves }];
  return withLight(flagUnknownYears(d, to));
}
