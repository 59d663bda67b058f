import { describe, expect, it } from 'vitest';
import { checkLaterDueDate, dueInWorkingDays, earliestDueDate, resolveDueDate } from '../../domain/due-date';
import { calendarOf, shippedYears } from '../../lib/calendar-store';

const cal = calendarOf(shippedYears());
/** An instant at a wall-clock time in Asia/Shanghai. */
const at = (date: string, time = '10:00') => Date.parse(`${date}T${time}:00+08:00`);

describe('the due-date resolver (hand-computed on the 2026 calendar)', () => {
  it('counts working days from today, across a weekend', () => {
    // Friday 27 November 2026: the next working day is Monday 30 November.
    expect(earliestDueDate(cal, at('2026-11-27'))).toBe('2026-11-30');
    expect(dueInWorkingDays(cal, at('2026-11-27'), 1)).toBe('2026-11-30');
    expect(dueInWorkingDays(cal, at('2026-11-27'), 5)).toBe('2026-12-04');
    expect(resolveDueDate(cal, at('2026-11-27'), { dueInWorkingDays: 6 })).toEqual({ ok: true, dueDate: '2026-12-07' });
  });

  it('counts across the National Day holiday and its make-up Saturday', () => {
    // Wednesday 30 September 2026: 1–7 October are the holiday, Saturday 10 October a working day.
    expect(earliestDueDate(cal, at('2026-09-30'))).toBe('2026-10-08');
    expect(dueInWorkingDays(cal, at('2026-09-30'), 3)).toBe('2026-10-10');
    expect(dueInWorkingDays(cal, at('2026-09-30'), 4)).toBe('2026-10-12');
    // The Mid-Autumn days 25–27 September: from Thursday 24 September the next working day is Monday 28.
    expect(earliestDueDate(cal, at('2026-09-24'))).toBe('2026-09-28');
  });

  it('takes today in Asia/Shanghai, not UTC', () => {
    // 17:30 UTC on Friday is 01:30 on Saturday in Shanghai: today is Saturday.
    const saturdayNight = Date.parse('2026-11-27T17:30:00Z');
    expect(earliestDueDate(cal, saturdayNight)).toBe('2026-11-30');
    expect(dueInWorkingDays(cal, saturdayNight, 1)).toBe('2026-11-30');
    // 15:30 UTC on Thursday is 23:30 the same Thursday in Shanghai: tomorrow (Friday) is allowed.
    expect(earliestDueDate(cal, Date.parse('2026-11-26T15:30:00Z'))).toBe('2026-11-27');
  });

  it('refuses a due date before the next working day, naming dueDate and the earliest date', () => {
    const now = at('2026-11-27');
    for (const dueDate of ['2026-11-10', '2026-11-26', '2026-11-27', '2026-11-28', '2026-11-29'])
      expect(resolveDueDate(cal, now, { dueDate })).toEqual({
        ok: false,
        field: 'dueDate',
        reason: '截止日期不能早于下一个工作日 2026-11-30',
      });
    expect(resolveDueDate(cal, now, { dueDate: '2026-11-30' })).toEqual({ ok: true, dueDate: '2026-11-30' });
    expect(resolveDueDate(cal, at('2026-09-30'), { dueDate: '2026-10-07' })).toMatchObject({
      ok: false,
      reason: '截止日期不能早于下一个工作日 2026-10-08',
    });
  });

  it('wants exactly one of the two, and a sensible number of working days', () => {
    const now = at('2026-11-27');
    expect(resolveDueDate(cal, now, {})).toMatchObject({ ok: false, field: 'dueDate' });
    expect(resolveDueDate(cal, now, { dueDate: '2026-12-31', dueInWorkingDays: 5 })).toMatchObject({
      ok: false,
      field: 'dueDate',
      reason: '截止日期与工作日数只能给出其一',
    });
    for (const n of [0, -1, 1.5, 251])
      expect(resolveDueDate(cal, now, { dueInWorkingDays: n })).toMatchObject({ ok: false, field: 'dueInWorkingDays' });
    expect(resolveDueDate(cal, now, { dueInWorkingDays: 250 })).toMatchObject({ ok: true });
  });

  it('lets a backdated import be past due, counted from the day it was opened there', () => {
    const now = at('2026-11-27');
    expect(resolveDueDate(cal, now, { dueDate: '2026-11-10', openedOn: '2026-09-01' })).toEqual({
      ok: true,
      dueDate: '2026-11-10',
    });
    // 5 working days from Wednesday 30 September: 8, 9, 10 (make-up Saturday), 12, 13 October.
    expect(resolveDueDate(cal, now, { dueInWorkingDays: 5, openedOn: '2026-09-30' })).toEqual({
      ok: true,
      dueDate: '2026-10-13',
    });
    expect(resolveDueDate(cal, now, { dueDate: '2026-12-31', openedOn: '2026-11-28' })).toMatchObject({
      ok: false,
      field: 'openedOn',
    });
    expect(resolveDueDate(cal, now, { dueDate: '2026-09-01', openedOn: '2026-09-01' })).toMatchObject({
      ok: false,
      field: 'dueDate',
    });
  });

  it('checks a later date (extension, reassignment) the same way', () => {
    expect(checkLaterDueDate(cal, at('2026-11-27'), '2026-11-27')).toBe('截止日期不能早于下一个工作日 2026-11-30');
    expect(checkLaterDueDate(cal, at('2026-11-27'), '2026-11-30')).toBeNull();
  });
});
