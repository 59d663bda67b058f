import { describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../domain/actors';
import type { Action } from '../../domain/commands';
import { afterTransition, pendingRungs } from '../../domain/deadlines';
import type { KeyOf } from '../../domain/events';
import { createItem, type Item } from '../../domain/item';
import {
  climb,
  dueRung,
  gatingRung,
  moveClocks,
  nextWakeAt,
  reinspectionDue,
  startClocks,
  stillDue,
  type ItemWithDeadlines,
} from '../../domain/ladder';
import { DEFAULT_POLICY, type Policy } from '../../domain/policy';
import { calendarOf, shippedYears } from '../../lib/calendar-store';
import { supervisor } from '../support/actors';

const cal = calendarOf(shippedYears());
const at = (iso: string) => Date.parse(iso);
const keyOf: KeyOf = (id) => `item-i1/${id}`;

// Assigned Wednesday 30 Sep 2026, 10:00 in Shanghai, due Friday 30 Oct 2026. A day ends at 24:00
// Shanghai (16:00 UTC): sign-remind is due at the end of Thu 8 Oct, sign-urge of Fri 9 Oct (after
// the National Day holiday), closure-remind of Tue 27 Oct, closure-urge of Fri 30 Oct.
const ASSIGNED = at('2026-09-30T02:00:00Z');
const SIGN_REMIND_AT = at('2026-10-08T16:00:00Z');
const SIGN_URGE_AT = at('2026-10-09T16:00:00Z');
const CLOSURE_URGE_AT = at('2026-10-30T16:00:00Z');

/** The item as `decide` knows it, before the workflow starts its clocks. */
function created(coUnitIds: string[] = ['unit-c']): Item {
  return createItem({
    id: 'i1',
    problemListId: null,
    spec: {
      title: '整改事项',
      description: '',
      category: 'inspection',
      priority: 'normal',
      source: '',
      leadUnitId: 'unit-a',
      coUnitIds,
      dueDate: '2026-10-30',
    },
    createdBy: supervisor,
    createdAt: new Date(ASSIGNED).toISOString(),
    config: { maxDeclines: 2 },
  });
}

function opened(policy: Policy = DEFAULT_POLICY, coUnitIds?: string[]): ItemWithDeadlines {
  return startClocks(created(coUnitIds), policy, cal, ASSIGNED) as ItemWithDeadlines;
}

/** The item after an accepted action that leaves its state as it is, as `decide` and `moveClocks` would. */
function acted(item: ItemWithDeadlines, action: Action, nowMs: number, status: Item['status'] = item.status) {
  const after = { ...item, status, seq: item.seq + 1 } as Item;
  return moveClocks(item, after, action, cal, nowMs) as ItemWithDeadlines;
}

/** Fires every rung due at `nowMs`, as the workflow's ladder loop does when no notice was acknowledged. */
function climbAll(item: ItemWithDeadlines, nowMs: number): ItemWithDeadlines {
  for (let due = dueRung(item, cal, nowMs); due; due = dueRung(item, cal, nowMs)) {
    item = climb(item, due, nowMs, false, keyOf).item as ItemWithDeadlines;
  }
  return item;
}

describe('the ladder on an item (pure)', () => {
  it('starts the clocks of a new item: sign from today, closure by its due date, nothing else changes', () => {
    const item = opened();
    expect(item.deadlines.clocks.sign).toMatchObject({ deadline: '2026-10-09', state: 'running', epoch: 1 });
    expect(item.deadlines.clocks.closure).toMatchObject({ deadline: '2026-10-30', state: 'running', epoch: 1 });
    expect(item.deadlines.light).toBe('green');
    expect({ ...item, deadlines: null }).toEqual(created());
  });

  it('moves the clocks of an accepted action, and leaves an item without deadlines as decided', () => {
    const signed = acted(opened(), 'sign', at('2026-10-08T02:00:00Z'), 'signed');
    expect(signed.deadlines.clocks.sign?.state).toBe('done');
    expect(signed.deadlines.clocks.plan).toMatchObject({ state: 'running', deadline: '2026-10-14' });
    expect(signed.deadlines.signedOn).toBe('2026-10-08');

    const legacy = created();
    const after: Item = { ...legacy, status: 'signed', seq: 2 };
    expect(moveClocks(legacy, after, 'sign', cal, at('2026-10-08T02:00:00Z'))).toBe(after);
  });

  it('wakes for the earliest pending rung, for a 回头看 when only that is left, and never without deadlines', () => {
    expect(nextWakeAt(opened(), cal)).toBe(SIGN_REMIND_AT);
    const reminded = climbAll(opened(), SIGN_REMIND_AT);
    expect(nextWakeAt(reminded, cal)).toBe(SIGN_URGE_AT);

    expect(nextWakeAt({ ...opened(), deadlines: null }, cal)).toBe(Infinity);
    const withdrawn = acted(opened(), 'withdraw', at('2026-10-08T02:00:00Z'), 'withdrawn');
    expect(nextWakeAt(withdrawn, cal)).toBe(Infinity);

    const closed = verifiedWithReinspection();
    expect(pendingRungs(closed.deadlines, cal)).toEqual([]);
    expect(nextWakeAt(closed, cal)).toBe(closed.deadlines.reinspection!.dueAt);
  });

  it('finds no rung before its instant, the rung at its instant, and the earliest of several due', () => {
    const item = opened();
    expect(dueRung(item, cal, SIGN_REMIND_AT - 1)).toBeUndefined();
    expect(dueRung(item, cal, SIGN_REMIND_AT)?.rung.key).toBe('sign-remind');
    // Waking late (the worker was down over both): the earlier rung comes first, then the next.
    const late = at('2026-10-12T02:00:00Z');
    expect(dueRung(item, cal, late)?.rung.key).toBe('sign-remind');
    const once = climb(item, dueRung(item, cal, late)!, late, false, keyOf).item;
    expect(dueRung(once, cal, late)?.rung.key).toBe('sign-urge');
    expect(climbAll(item, late).deadlines.fired.map((f) => f.key)).toEqual(['sign-remind', 'sign-urge']);
  });

  it('finds nothing due on an item without deadlines, or closed or withdrawn', () => {
    expect(dueRung({ ...opened(), deadlines: null }, cal, CLOSURE_URGE_AT)).toBeUndefined();
    // A terminal item with a clock left running (it never happens through `moveClocks`): still nothing fires.
    const item = opened();
    expect(dueRung({ ...item, status: 'withdrawn', reason: 'x' }, cal, CLOSURE_URGE_AT)).toBeUndefined();
    expect(dueRung({ ...item, status: 'closed', closedAt: '2026-10-01' }, cal, CLOSURE_URGE_AT)).toBeUndefined();
  });

  it('fires a rung: on record, light, an escalate event by the system, a notice to its targets', () => {
    const item = opened();
    const due = dueRung(item, cal, SIGN_URGE_AT + 5_000)!;
    expect(due.rung.key).toBe('sign-remind');
    const reminded = climb(item, due, SIGN_URGE_AT + 5_000, false, keyOf);
    const urgeDue = dueRung(reminded.item, cal, SIGN_URGE_AT + 5_000)!;
    const step = climb(reminded.item as ItemWithDeadlines, urgeDue, SIGN_URGE_AT + 5_000, false, keyOf);

    const firedAt = new Date(SIGN_URGE_AT + 5_000).toISOString();
    expect(step.key).toBe('item-i1/rung/sign/1/sign-urge');
    expect(step.item).toMatchObject({ seq: 3, updatedAt: firedAt, status: 'assigned' });
    expect(step.item.deadlines?.light).toBe('yellow');
    expect(step.item.deadlines?.fired.map((f) => f.key)).toEqual(['sign-remind', 'sign-urge']);
    expect(step.event).toEqual({
      seq: 3,
      action: 'escalate',
      fromStatus: 'assigned',
      toStatus: 'assigned',
      actor: SYSTEM_ACTOR,
      at: firedAt,
      payload: {
        step: 'sign',
        epoch: 1,
        key: 'sign-urge',
        action: 'urge',
        deadline: '2026-10-09',
        dueAt: new Date(SIGN_URGE_AT).toISOString(),
        firedAt,
        targets: ['handler', 'unit_leader'],
        light: 'yellow',
      },
      attachments: [],
    });
    expect(step.notices).toEqual([
      {
        key: 'item-i1/rung/sign/1/sign-urge',
        kind: 'urge',
        targets: ['handler', 'unit_leader'],
        unitIds: ['unit-a'],
        payload: { title: '整改事项', step: 'sign', deadline: '2026-10-09', light: 'yellow' },
      },
    ]);
    // The input is left as it was.
    expect(item.seq).toBe(1);
    expect(item.deadlines.fired).toEqual([]);
  });

  it('tells the co-units only when the rung names them', () => {
    const signed = acted(opened(), 'sign', at('2026-10-08T02:00:00Z'), 'signed');
    // Planned on Fri 9 Oct: the first progress report is due on Thu 22 Oct (Sat 10 Oct is a working day).
    const planned = climbAll(
      acted(signed, 'filePlan', at('2026-10-09T02:00:00Z'), 'rectifying'),
      at('2026-10-27T00:00:00Z'),
    );
    expect(planned.deadlines.fired.map((f) => f.key)).toEqual(['progress-remind']);
    const now = at('2026-10-27T16:00:00Z');
    const due = dueRung(planned, cal, now)!;
    expect(due.rung.key).toBe('closure-remind');
    expect(climb(planned, due, now, false, keyOf).notices[0]?.unitIds).toEqual(['unit-a', 'unit-c']);
    // 红灯 goes to the lead unit's leader and the supervisor: the co-units are not named.
    const urged = climbAll(planned, CLOSURE_URGE_AT);
    const redAt = at('2026-11-04T16:00:00Z');
    const redDue = dueRung(urged, cal, redAt)!;
    expect(redDue.rung.key).toBe('closure-red');
    expect(climb(urged, redDue, redAt, false, keyOf).notices[0]).toMatchObject({
      kind: 'red',
      targets: ['unit_leader', 'supervisor'],
      unitIds: ['unit-a'],
    });
    const withNoCoUnits = opened(DEFAULT_POLICY, []);
    const step = climb(withNoCoUnits, dueRung(withNoCoUnits, cal, SIGN_REMIND_AT)!, SIGN_REMIND_AT, false, keyOf);
    expect(step.notices[0]?.unitIds).toEqual(['unit-a']);
  });

  it('records an acknowledged gated rung as skipped: no notice, no change of light', () => {
    const gated: Policy = {
      ...DEFAULT_POLICY,
      ladder: DEFAULT_POLICY.ladder.map((r) => (r.key === 'sign-urge' ? { ...r, ackGate: true } : r)),
    };
    const item = climbAll(opened(gated), SIGN_REMIND_AT);
    const due = dueRung(item, cal, SIGN_URGE_AT)!;
    expect(due.rung.key).toBe('sign-urge');
    const gate = gatingRung(item, due);
    expect(gate).toMatchObject({ step: 'sign', epoch: 1, key: 'sign-remind' });

    const step = climb(item, due, SIGN_URGE_AT, true, keyOf);
    expect(step.notices).toEqual([]);
    expect(step.item.deadlines?.light).toBe('green');
    expect(step.item.deadlines?.fired.at(-1)).toMatchObject({ key: 'sign-urge', skipped: true });
    expect(step.event.payload).toMatchObject({ key: 'sign-urge', skipped: true, light: 'green' });
    expect(dueRung(step.item, cal, SIGN_URGE_AT)).toBeUndefined();
    // Unacknowledged, the same rung climbs: yellow, and the notice goes out.
    const climbed = climb(item, due, SIGN_URGE_AT, false, keyOf);
    expect(climbed.item.deadlines?.light).toBe('yellow');
    expect(climbed.notices).toHaveLength(1);
  });

  it('gates only gated rungs, and only on an earlier notice of the same clock that went out', () => {
    const reminded = climbAll(opened(), SIGN_REMIND_AT);
    expect(gatingRung(reminded, dueRung(reminded, cal, SIGN_URGE_AT)!)).toBeUndefined();

    // Gated, with nothing fired before it on its clock: it climbs unasked.
    const gatedFirst: Policy = {
      ...DEFAULT_POLICY,
      ladder: DEFAULT_POLICY.ladder.map((r) => (r.key === 'sign-remind' ? { ...r, ackGate: true } : r)),
    };
    const first = opened(gatedFirst);
    expect(gatingRung(first, dueRung(first, cal, SIGN_REMIND_AT)!)).toBeUndefined();

    // A skipped rung sent nothing, so it gates nothing: the gate is the last notice that did go out.
    const allGated: Policy = {
      ...DEFAULT_POLICY,
      ladder: DEFAULT_POLICY.ladder.map((r) => (r.step === 'closure' && r.offset > 0 ? { ...r, ackGate: true } : r)),
    };
    let rect = acted(opened(allGated), 'sign', at('2026-10-08T02:00:00Z'), 'signed');
    rect = acted(rect, 'filePlan', at('2026-10-09T02:00:00Z'), 'rectifying');
    rect = climbAll(rect, CLOSURE_URGE_AT);
    const redAt = at('2026-11-04T16:00:00Z');
    const red = dueRung(rect, cal, redAt)!;
    expect(red.rung.key).toBe('closure-red');
    expect(gatingRung(rect, red)?.key).toBe('closure-urge');
    rect = climb(rect, red, redAt, true, keyOf).item as ItemWithDeadlines;
    const interview = dueRung(rect, cal, at('2026-11-06T16:00:00Z'))!;
    expect(interview.rung.key).toBe('closure-interview');
    expect(gatingRung(rect, interview)?.key).toBe('closure-urge');
  });

  it('knows a rung is still due, and that it is not once an action moved or ended its clock, or it fired', () => {
    const item = opened();
    const due = dueRung(item, cal, SIGN_URGE_AT)!;
    expect(stillDue(item, cal, SIGN_URGE_AT, due)).toBe(true);
    // Signed while the acknowledgement was looked up: the sign clock is over.
    const signed = acted(item, 'sign', SIGN_URGE_AT, 'signed');
    expect(stillDue(signed, cal, SIGN_URGE_AT, due)).toBe(false);
    // Withdrawn: nothing is due any more.
    expect(stillDue(acted(item, 'withdraw', SIGN_URGE_AT, 'withdrawn'), cal, SIGN_URGE_AT, due)).toBe(false);
    // Fired meanwhile: the next rung is due now, not this one.
    const fired = climb(item, due, SIGN_URGE_AT, false, keyOf).item;
    expect(stillDue(fired, cal, SIGN_URGE_AT, due)).toBe(false);
    expect(stillDue({ ...item, deadlines: null }, cal, SIGN_URGE_AT, due)).toBe(false);
  });

  it('tells a rung of a new deadline epoch from the same rung of the old one', () => {
    let item = acted(opened(), 'sign', at('2026-10-08T02:00:00Z'), 'signed');
    item = climbAll(acted(item, 'filePlan', at('2026-10-09T02:00:00Z'), 'rectifying'), at('2026-10-27T00:00:00Z'));
    const now = at('2026-10-28T16:00:00Z');
    const due = dueRung(item, cal, now)!;
    expect([due.rung.key, due.clock.epoch]).toEqual(['closure-remind', 1]);
    // An extension to Mon 2 Nov approved meanwhile: closure-remind of epoch 2 (end of Wed 28 Oct) is due instead.
    const extended = moveClocks(
      item,
      { ...item, dueDate: '2026-11-02', seq: item.seq + 1 },
      'decideExtension',
      cal,
      now - 1,
    );
    const fresh = dueRung(extended, cal, now)!;
    expect([fresh.rung.key, fresh.clock.epoch, fresh.fireAt]).toEqual(['closure-remind', 2, now]);
    expect(stillDue(extended, cal, now, due)).toBe(false);
    expect(stillDue(extended, cal, now, fresh)).toBe(true);
  });
});

describe('the 回头看 falling due (pure)', () => {
  it('is not due without one scheduled, nor before its day', () => {
    expect(reinspectionDue(opened(), at('2027-06-01T00:00:00Z'), keyOf)).toBeNull();
    expect(reinspectionDue({ ...opened(), deadlines: null }, at('2027-06-01T00:00:00Z'), keyOf)).toBeNull();
    const closed = verifiedWithReinspection();
    expect(reinspectionDue(closed, closed.deadlines.reinspection!.dueAt - 1, keyOf)).toBeNull();
  });

  it('on its day: due, one seq further, an escalate event, the supervisor told; then not again', () => {
    const closed = verifiedWithReinspection();
    const r = closed.deadlines.reinspection!;
    expect(r).toMatchObject({ due: '2026-10-22', state: 'scheduled' });
    const now = r.dueAt + 60_000;
    const step = reinspectionDue(closed, now, keyOf)!;
    expect(step.key).toBe('item-i1/reinspection/2026-10-22');
    expect(step.item).toMatchObject({ status: 'closed', seq: closed.seq + 1, updatedAt: new Date(now).toISOString() });
    expect(step.item.deadlines?.reinspection).toEqual({ ...r, state: 'due' });
    expect(step.item.deadlines?.light).toBe(closed.deadlines.light);
    expect(step.event).toEqual({
      seq: closed.seq + 1,
      action: 'escalate',
      fromStatus: 'closed',
      toStatus: 'closed',
      actor: SYSTEM_ACTOR,
      at: new Date(now).toISOString(),
      payload: { key: 'reinspection-due', action: 'reinspection', due: '2026-10-22' },
      attachments: [],
    });
    expect(step.notices).toEqual([
      {
        key: 'item-i1/reinspection/2026-10-22',
        kind: 'reinspection_due',
        targets: ['supervisor'],
        unitIds: ['unit-a'],
        payload: { title: '整改事项', due: '2026-10-22' },
      },
    ]);
    expect(reinspectionDue(step.item, now + 86_400_000, keyOf)).toBeNull();
    expect(nextWakeAt(step.item, cal)).toBe(Infinity);
  });
});

/** Closed on Fri 9 Oct 2026 under a policy with a 回头看 10 working days later (Thu 22 Oct: Sat 10 Oct is worked). */
function verifiedWithReinspection(): ItemWithDeadlines {
  const item = opened({ ...DEFAULT_POLICY, reinspectAfterDays: 10 });
  const closedAt = at('2026-10-09T02:00:00Z');
  const closed = { ...item, status: 'closed', closedAt: new Date(closedAt).toISOString() } as Item;
  const deadlines = afterTransition(item.deadlines, 'verifyPass', item, closed, cal, closedAt);
  return { ...closed, deadlines } as ItemWithDeadlines;
}
