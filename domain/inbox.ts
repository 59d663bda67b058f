import type { Actor } from './actors';
import { workingDaysBetween, type Calendar } from './calendar';
import type { Action } from './commands';
import { actionsFor, isTerminal, type Item } from './item';
import { LIGHTS, STEP_LABELS, type Light, type Step } from './policy';

/**
 * The actions that move an item on: what someone owes. A unit rectifying owes its progress
 * reports too (submitting may wait for co-units); suspending, withdrawing and asking for more
 * time are always possible and put nothing in anybody's inbox.
 */
export const OWED_ACTIONS: readonly Action[] = [
  'sign',
  'filePlan',
  'reportProgress',
  'submit',
  'coSign',
  'coReport',
  'coComplete',
  'reassign',
  'arbitrate',
  'verifyPass',
  'decideExtension',
  'reinspect',
  'verifyReturn',
  'acknowledgeInstruction',
  'decideAccountability',
];

export interface InboxEntry {
  itemId: string;
  title: string;
  status: Item['status'];
  leadUnitId: string;
  /** What the actor can do now to move it on. */
  owes: Action[];
  /** The deadline that runs against the actor's side: the earliest running clock, else the due date. */
  deadline: string;
  deadlineStep: Step | null;
  deadlineLabel: string;
  /** Working days from today to the deadline: negative when overdue, 0 on the day. */
  workingDaysLeft: number;
  light: Light;
  returnCount: number;
  /** The reasons of the last return, for the unit to see what to fix. */
  lastReturn: string | null;
  /** Sent back by the verifier and not handed in again: the unit's first business. */
  returned: boolean;
}

/** The running clock due first, or null (items without a ladder, or one that only holds). */
function nextClock(item: Item): { step: Step; deadline: string } | null {
  const clocks = Object.values(item.deadlines?.clocks ?? {}).filter((c) => c.state === 'running');
  clocks.sort((a, b) => a.deadline.localeCompare(b.deadline));
  const first = clocks[0];
  return first ? { step: first.step, deadline: first.deadline } : null;
}

/** One row of the actor's inbox, or null when the actor owes nothing on this item. */
export function inboxEntry(
  item: Item,
  actor: Actor,
  cal: Calendar,
  today: string,
  lastReturn: string | null = null,
): InboxEntry | null {
  if (isTerminal(item.status) && item.status !== 'closed') return null;
  const owes = actionsFor(item, actor).filter((a) => OWED_ACTIONS.includes(a));
  // A pending extension is the supervisor's to decide only while one is asked for.
  const pendingExtension = item.extensions.some((e) => !e.decision);
  const effective = owes.filter((a) => a !== 'decideExtension' || pendingExtension);
  if (effective.length === 0) return null;
  const clock = nextClock(item);
  const deadline = clock?.deadline ?? item.dueDate;
  return {
    itemId: item.id,
    title: item.title,
    status: item.status,
    leadUnitId: item.leadUnitId,
    owes: effective,
    deadline,
    deadlineStep: clock?.step ?? null,
    deadlineLabel: clock ? `${STEP_LABELS[clock.step]}期限` : '办结期限',
    workingDaysLeft: workingDaysBetween(cal, today, deadline),
    light: item.deadlines?.light ?? 'green',
    returnCount: item.returnCount,
    lastReturn,
    returned: item.status === 'rectifying' && lastReturn !== null && effective.includes('reportProgress'),
  };
}

/** Most urgent first: returned items, then fewest working days left (most overdue), then red before yellow, then id. */
export function byUrgency(a: InboxEntry, b: InboxEntry): number {
  return (
    Number(b.returned) - Number(a.returned) ||
    a.workingDaysLeft - b.workingDaysLeft ||
    LIGHTS.indexOf(b.light) - LIGHTS.indexOf(a.light) ||
    a.itemId.localeCompare(b.itemId)
  );
}
