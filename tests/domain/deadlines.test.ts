import { describe, expect, it } from 'vitest';
import {
  afterTransition,
  fireRung,
  overdueWorkingDays,
  pendingRungs,
  startDeadlines,
  type Deadlines,
} from '../../domain/deadlines';
import { DEFAULT_POLICY } from '../../domain/policy';
import { calendarOf, shippedYears } from '../../lib/calendar-store';

const cal = calendarOf(shippedYears());
const at = (iso: string) => Date.parse(iso);
const day = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);
const facts = (dueDate: string) => ({ dueDate, status: 'rectifying' });

/** Fires everything due up to `until`, as the workflow's timer loop does. */
function runUntil(d: Deadlines, until: number): Deadlines {
  for (;;) {
    const next = pendingRungs(d, cal)[0];
    if (!next || next.fireAt > until) return d;
    d = fireRung(d, next, next.fireAt).deadlines;
  }
}

describe('deadlines and the ladder (pure)', () => {
  // Assigned Wednesday 30 Sep 2026, 10:00 in Shanghai, due Friday 30 Oct 2026.
  const assigned = at('2026-09-30T02:00:00Z');
  const start = startDeadlines(DEFAULT_POLICY, cal, assigned, '2026-10-30');

  it('counts the sign deadline in working days across the National Day holiday', () => {
    expect(start.clocks.sign).toMatchObject({ start: '2026-09-30', deadline: '2026-10-09', state: 'running' });
    expect(start.clocks.closure).toMatchObject({ deadline: '2026-10-30' });
    expect(start.assignedOn).toBe('2026-09-30');
    const first = pendingRungs(start, cal).map((r) => [r.rung.key, day(r.fireAt - 1)]);
    expect(first.slice(0, 2)).toEqual([
      ['sign-remind', '2026-10-08'],
      ['sign-urge', '2026-10-09'],
    ]);
  });

  it('climbs the whole closure ladder of an item never handled, each rung once, and turns red', () => {
    const d = runUntil(start, at('2027-01-31T00:00:00Z'));
    expect(d.fired.map((f) => [f.key, day(f.dueAt - 1)])).toEqual([
      ['sign-remind', '2026-10-08'],
      ['sign-urge', '2026-10-09'],
      ['closure-remind', '2026-10-27'],
      ['closure-urge', '2026-10-30'],
      ['closure-red', '2026-11-04'],
      ['closure-interview', '2026-11-06'],
      ['closure-accountability', '2026-11-13'],
    ]);
    expect(d.light).toBe('red');
    expect(pendingRungs(d, cal)).toEqual([]);
  });

  it('moves the later rungs on an approved extension and goes back to green', () => {
    let d = afterTransition(start, 'sign', facts('2026-10-30'), facts('2026-10-30'), cal, at('2026-10-08T02:00:00Z'));
    d = afterTransition(d, 'filePlan', facts('2026-10-30'), facts('2026-10-30'), cal, at('2026-10-09T02:00:00Z'));
    d = runUntil(d, at('2026-10-31T00:00:00Z'));
    expect(d.light).toBe('yellow');
    d = afterTransition(
      d,
      'decideExtension',
      facts('2026-10-30'),
      facts('2026-11-30'),
      cal,
      at('2026-11-02T02:00:00Z'),
    );
    expect(d.light).toBe('green');
    expect(d.clocks.closure).toMatchObject({ epoch: 2, deadline: '2026-11-30' });
    const next = pendingRungs(d, cal)
      .filter((r) => r.rung.step === 'closure')
      .map((r) => [r.rung.key, day(r.fireAt - 1)]);
    expect(next[0]).toEqual(['closure-remind', '2026-11-25']);
  });

  it('stops the clock while suspended and restarts it with the working days that were left', () => {
    let d = afterTransition(start, 'sign', facts('2026-10-30'), facts('2026-10-30'), cal, at('2026-10-08T02:00:00Z'));
    // Suspended Monday 12 Oct with 14 working days left (13..30 Oct), resumed Monday 26 Oct.
    d = afterTransition(d, 'suspend', facts('2026-10-30'), facts('2026-10-30'), cal, at('2026-10-12T02:00:00Z'));
    expect(d.clocks.closure).toMatchObject({ state: 'paused', left: 14 });
    expect(pendingRungs(d, cal).filter((r) => r.rung.step === 'closure')).toEqual([]);
    d = afterTransition(d, 'resume', facts('2026-10-30'), facts('2026-10-30'), cal, at('2026-10-26T02:00:00Z'));
    expect(d.clocks.closure).toMatchObject({ state: 'running', deadline: '2026-11-13' });
    expect(d.pauses).toEqual([{ from: '2026-10-12', to: '2026-10-26' }]);
  });

  it('cancels everything pending on closure', () => {
    const d = afterTransition(
      start,
      'withdraw',
      facts('2026-10-30'),
      facts('2026-10-30'),
      cal,
      at('2026-10-08T02:00:00Z'),
    );
    expect(pendingRungs(d, cal)).toEqual([]);
  });

  it('counts overdue working days', () => {
    expect(overdueWorkingDays(cal, '2026-09-30', '2026-10-09')).toBe(2);
    expect(overdueWorkingDays(cal, '2026-10-30', '2026-10-29')).toBe(0);
  });
});
