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
  signedOn: string | null;
  reinspection?: Reinspection;
  relapses?: number;
}

export interface DueRung {
  rung: Rung;
  clock: Clock;
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

function startAfter(d: Deadlines, cal: Calendar, step: Step, today: string, days: number): void {
  d.clocks[step] = clock(cal, d.policy, step, nextEpoch(d, step), today, shiftWorkingDays(cal, today, days), d);
}

function startClosure(d: Deadlines, cal: Calendar, today: string, dueDate: string): void {
  d.clocks.closure = clock(
    cal,
    d.policy,
    'closure',
    nextEpoch(d, 'closure'),
    today,
    nextWorkingDayOnOrAfter(cal, dueDate),
    d,
  );
}

function setState(d: Deadlines, step: Step, state: ClockState): void {
  const c = d.clocks[step];
  if (c && c.state !== 'done') d.clocks[step] = { ...c, state };
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
    signedOn: null,
  };
  startAfter(d, cal, 'sign', today, policy.signDays);
  startClosure(d, cal, today, dueDate);
  return withLight(d);
}

export interface ItemFacts {
  dueDate: string;
  status: string;
}

/** How an accepted transition moves the clocks. */
export function afterTransition(
  prev: Deadlines,
  action: Action,
  before: ItemFacts,
  after: ItemFacts,
  cal: Calendar,
  nowMs: number,
): Deadlines {
  const d = JSON.parse(JSON.stringify(prev)) as Deadlines;
  d.calendarVersion = cal.version;
  const today = shanghaiDate(nowMs);
  switch (action) {
    case 'sign':
      setState(d, 'sign', 'done');
      d.signedOn = today;
      startAfter(d, cal, 'plan', today, d.policy.planDays);
      break;
    case 'decline':
      setState(d, 'sign', 'held');
      break;
    case 'reassign':
    case 'arbitrate':
      startAfter(d, cal, 'sign', today, d.policy.signDays);
      if (after.dueDate !== before.dueDate) startClosure(d, cal, today, after.dueDate);
      break;
    case 'filePlan':
      setState(d, 'plan', 'done');
      startAfter(d, cal, 'progress', today, d.policy.progressEveryDays);
      break;
    case 'reportProgress':
      startAfter(d, cal, 'progress', today, d.policy.progressEveryDays);
      break;
    case 'submit':
      setState(d, 'progress', 'held');
      setState(d, 'closure', 'held');
      break;
    case 'verifyReturn':
      setState(d, 'closure', 'running');
      startAfter(d, cal, 'progress', today, d.policy.progressEveryDays);
      break;
    case 'decideExtension':
      // Approval sets the later date that was asked for; a refusal leaves the due date as it was.
      if (after.dueDate !== before.dueDate) startClosure(d, cal, today, after.dueDate);
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
        startClosure(d, cal, today, after.dueDate);
        startAfter(d, cal, 'progress', today, d.policy.progressEveryDays);
      }
      break;
    case 'coSign':
    case 'coReport':
    case 'coComplete':
    case 'requestExtension':
      // No clock moves: a co-unit's part and an extension still to be decided leave every deadline as it is.
      break;
    default:
      assertNever(action);
  }
  return withLight(d);
}

function firedIn(d: Deadlines, c: Clock, key: string): boolean {
  return d.fired.some((f) => f.step === c.step && f.epoch === c.epoch && f.key === key);
}

/** The rungs still to fire on running clocks, earliest first. */
export function pendingRungs(d: Deadlines, cal: Calendar): DueRung[] {
  const out: DueRung[] = [];
  for (const c of Object.values(d.clocks)) {
    if (c.state !== 'running') continue;
    for (const rung of d.policy.ladder) {
      if (rung.step !== c.step || firedIn(d, c, rung.key)) continue;
      const day = rung.offset === 0 ? c.deadline : shiftWorkingDays(cal, c.deadline, rung.offset).date;
      out.push({ rung, clock: c, fireAt: instantAt(day, d.policy.workdayEnd) });
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

/** Green, yellow or red: the worst rung fired against a deadline still in force. */
function withLight(d: Deadlines): Deadlines {
  let worst = 0;
  for (const f of d.fired) {
    const c = d.clocks[f.step];
    if (!c || c.state === 'done' || c.epoch !== f.epoch || f.skipped) continue;
    worst = Math.max(worst, LIGHTS.indexOf(LIGHT_OF_ACTION[f.action]));
  }
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
