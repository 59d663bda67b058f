import { describe, expect, it } from 'vitest';
import type { Actor } from '../../domain/actors';
import { CalendarYearSchema, shiftWorkingDays, type CalendarYear } from '../../domain/calendar';
import { parseCommand, type Action } from '../../domain/commands';
import { createItem, decide, type Item } from '../../domain/item';
import { applyCalendar, calendarImpact, moveClocks, startClocks } from '../../domain/ladder';
import { DEFAULT_POLICY } from '../../domain/policy';
import { buildLedger, ledgerCsv } from '../../api/read/ledger';
import { parseCsv } from '../../lib/csv';
import { calendarOf, shippedYears } from '../../lib/calendar-store';
import { leadA, supervisor, verifier } from '../support/actors';

/**
 * Issue 16, pure: unknown years counted by rungs, a calendar change applied to a running item, the
 * ledger's epochs, and the lateness a closed item keeps. On fixed days with their own clock.
 */
const cal = calendarOf(shippedYears());
const at = (iso: string) => Date.parse(iso);
const keyOf = (id: string) => `item-i1/${id}`;
const YEAR_2027: CalendarYear = { holidays: [{ date: '2027-01-01', name: '元旦' }], workdays: [] };
const with2027 = calendarOf({ ...shippedYears(), '2027': YEAR_2027 });

function opened(dueDate: string, nowIso: string): Item {
  const item = createItem({
    id: 'i1',
    problemListId: null,
    spec: {
      title: '整改事项',
      description: '',
      category: 'inspection',
      priority: 'normal',
      source: '',
      leadUnitId: 'unit-a',
      coUnitIds: [],
      dueDate,
    },
    createdBy: supervisor,
    createdAt: nowIso,
    config: { maxDeclines: 2 },
  });
  return startClocks(item, DEFAULT_POLICY, cal, at(nowIso));
}

/** An accepted action with its clocks moved, as the workflow decides it. */
function act(item: Item, action: Action, payload: unknown, actor: Actor, nowIso: string): Item {
  const result = decide(item, parseCommand({ action, payload, actor }), nowIso, { maxDeclines: 2 });
  if (!result.ok) throw new Error(result.message);
  return moveClocks(item, result.item, action, cal, at(nowIso), actor.userId);
}

const rungDay = (item: Item, key: string, c = cal) =>
  shiftWorkingDays(
    c,
    item.deadlines!.clocks.closure!.deadline,
    DEFAULT_POLICY.ladder.find((r) => r.key === key)!.offset,
  ).date;

describe('a calendar year as the operator writes it', () => {
  it('refuses a malformed date with a reason, never throws (it was a 500 through the API)', () => {
    for (const date of ['2027-13-01', '2027-00-10', '2027-01-32', 'garbage', '', '2027/01/01', ' 2027-01-01']) {
      const parsed = CalendarYearSchema.safeParse({ holidays: [{ date, name: 'x' }], workdays: [] });
      expect(parsed.success, date).toBe(false);
      expect(parsed.error?.issues[0]?.path).toEqual(['holidays', 0, 'date']);
    }
    expect(
      CalendarYearSchema.safeParse({ holidays: [{ date: '2027-01-01', name: '元旦' }], workdays: [] }).success,
    ).toBe(true);
  });
});

describe('a calendar change on a running item', () => {
  it('flags 2027 for an item due 2026-12-24, then moves only the rungs the new year moves', () => {
    const item = opened('2026-12-24', '2026-11-27T02:00:00Z');
    expect(item.deadlines!.unknownYears).toEqual(['2027']);
    expect(rungDay(item, 'closure-accountability')).toBe('2027-01-07');

    const impact = calendarImpact(item, cal, with2027, at('2026-11-27T03:00:00Z'))!;
    expect(impact.moves).toEqual([
      { kind: 'rung', step: 'closure', key: 'closure-accountability', from: '2027-01-07', to: '2027-01-08', days: 1 },
    ]);
    expect(impact).toMatchObject({ firesAtOnce: [], lightBefore: 'green', lightAfter: 'green' });
    expect(impact.unknownYearsAfter).toEqual([]);

    const step = applyCalendar(item, cal, with2027, at('2026-11-27T03:00:00Z'), keyOf)!;
    const d = step.item.deadlines!;
    expect(d.calendarVersion).toBe(with2027.version);
    expect(d.unknownYears).toEqual([]);
    expect(d.recalendared).toEqual([
      { at: at('2026-11-27T03:00:00Z'), from: cal.version, to: with2027.version, moves: impact.moves.map(dropDays) },
    ]);
    // Same epochs: a rung already fired stays fired.
    expect(d.clocks.closure!.epoch).toBe(item.deadlines!.clocks.closure!.epoch);
    expect(step.event).toMatchObject({ action: 'escalate', payload: { action: 'calendar', to: with2027.version } });
    expect(step.key).toBe(`item-i1/calendar/${step.item.seq}/${with2027.version}`);
    // Applying the same calendar again does nothing.
    expect(applyCalendar(step.item, with2027, with2027, at('2026-11-27T04:00:00Z'), keyOf)).toBeNull();
  });

  it('moves a deadline counted in working days, keeps a due date on its day, and names what fires at once', () => {
    // Signed on Tue 29 Dec 2026: the plan is due 5 working days later, counted into January.
    let item = opened('2027-03-31', '2026-12-28T02:00:00Z');
    item = act(item, 'sign', {}, leadA, '2026-12-29T02:00:00Z');
    expect(item.deadlines!.clocks.plan!.deadline).toBe('2027-01-05');
    const added = calendarOf({
      ...shippedYears(),
      '2027': {
        holidays: [
          { date: '2027-01-01', name: '元旦' },
          { date: '2027-01-04', name: '测试' },
        ],
        workdays: [],
      },
    });
    const step = applyCalendar(item, cal, added, at('2026-12-30T02:00:00Z'), keyOf)!;
    expect(step.item.deadlines!.clocks.plan).toMatchObject({ deadline: '2027-01-07', epoch: 1 });
    expect(step.item.deadlines!.clocks.closure!.deadline).toBe('2027-03-31');
    expect(step.item.deadlines!.past).toEqual([
      expect.objectContaining({ step: 'plan', deadline: '2027-01-05', endedOn: '2026-12-30', endedBy: 'calendar' }),
    ]);
    // Looked at after the old plan deadline: the plan-urge rung is due at once under neither calendar yet.
    const late = calendarImpact(item, cal, added, at('2027-01-08T02:00:00Z'))!;
    expect(late.firesAtOnce).toEqual(['plan-urge']);
    expect(late.lightAfter).toBe('yellow');
  });
});

function dropDays<T extends { days: number }>(m: T): Omit<T, 'days'> {
  const { days: _days, ...rest } = m;
  return rest;
}

describe('the ledger keeps every epoch, and a closed item its lateness', () => {
  it('an approved extension: the original due date, the old deadline, who approved it and when', () => {
    let item = opened('2026-12-10', '2026-11-27T02:00:00Z');
    item = act(item, 'sign', {}, leadA, '2026-11-30T02:00:00Z');
    item = act(item, 'requestExtension', { dueDate: '2026-12-18', reason: '需要招标' }, leadA, '2026-12-01T02:00:00Z');
    item = act(item, 'decideExtension', { approved: true }, supervisor, '2026-12-02T02:00:00Z');
    expect(item.extensions[0]).toMatchObject({ dueDateBefore: '2026-12-10', requestedDueDate: '2026-12-18' });
    const ledger = buildLedger(item, cal, '2026-12-03');
    expect(ledger.openedDueDate).toBe('2026-12-10');
    expect(ledger.dueDate).toBe('2026-12-18');
    const closure = ledger.deadlines.filter((x) => x.step === 'closure');
    expect(
      closure.map((x) => [x.epoch, x.deadline, x.state, x.inForce, x.endedBy, x.endedByUserId, x.endedOn]),
    ).toEqual([
      [1, '2026-12-10', 'done', false, 'decideExtension', supervisor.userId, '2026-12-02'],
      [2, '2026-12-18', 'running', true, null, null, null],
    ]);
  });

  it('writes the ledger CSV in Shanghai days: an extension asked at 04:00 there is on that day, a rung at 24:00', () => {
    let item = opened('2026-12-10', '2026-11-27T02:00:00Z');
    item = act(item, 'sign', {}, leadA, '2026-11-30T02:00:00Z');
    // 20:00 UTC on 1 December is 04:00 on 2 December in Shanghai.
    item = act(item, 'requestExtension', { dueDate: '2026-12-18', reason: '需要招标' }, leadA, '2026-12-01T20:00:00Z');
    const rows = parseCsv(ledgerCsv(buildLedger(item, cal, '2026-12-03')));
    expect(rows.find((r) => r[0] === 'extension')?.[1]).toBe('2026-12-02');
    const remind = rows.find((r) => r[0] === 'rung' && r[3]?.startsWith('closure-remind'));
    expect(remind?.[1]).toBe('2026-12-07 24:00');
  });

  it('an item handed in 4 working days late keeps closedLateWorkingDays 4 and its rung plan at closure', () => {
    let item = opened('2026-12-04', '2026-11-27T02:00:00Z');
    item = act(item, 'sign', {}, leadA, '2026-11-30T02:00:00Z');
    item = act(item, 'filePlan', { plan: '整改方案' }, leadA, '2026-11-30T03:00:00Z');
    // Due Fri 4 Dec; handed in Thu 10 Dec (Mon–Thu: 4 working days late), verified the next day.
    item = act(item, 'submit', { summary: '已整改' }, leadA, '2026-12-10T02:00:00Z');
    item = act(item, 'verifyPass', {}, verifier, '2026-12-11T02:00:00Z');
    expect(item.status).toBe('closed');
    expect(item.deadlines!.closing).toMatchObject({
      closedOn: '2026-12-11',
      deadline: '2026-12-04',
      handedInOn: '2026-12-10',
      lateWorkingDays: 4,
    });
    const ledger = buildLedger(item, cal, '2026-12-20');
    expect(ledger.closedLateWorkingDays).toBe(4);
    // The rungs still to come when it closed are kept (closure-red's day, 9 Dec, had passed).
    const notReached = ledger.rungs.filter((r) => r.status === 'not_reached').map((r) => r.key);
    expect(notReached).toEqual(expect.arrayContaining(['closure-interview', 'closure-accountability']));
    expect(notReached).not.toContain('closure-red');
  });
});
