import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  addDays,
  dayInfo,
  instantAt,
  nextWorkingDayOnOrAfter,
  shanghaiDate,
  shiftWorkingDays,
  workingDaysBetween,
} from '../../domain/calendar';
import { calendarOf, shippedYears } from '../../lib/calendar-store';

const cal = calendarOf(shippedYears());

describe('the official working-day calendar', () => {
  it('ships 2024 to 2026', () => {
    expect(Object.keys(cal.years)).toEqual(expect.arrayContaining(['2024', '2025', '2026']));
  });

  it('counts from the next day: 1 working day after Wednesday 30 Sep 2026 is Thursday 8 Oct', () => {
    expect(shiftWorkingDays(cal, '2026-09-30', 1)).toEqual({ date: '2026-10-08', unknownYears: [] });
  });

  it('knows the National Day week of 2026 and its make-up Saturday', () => {
    for (let d = 1; d <= 7; d++) expect(dayInfo(cal, `2026-10-0${d}`).working).toBe(false);
    expect(dayInfo(cal, '2026-10-10')).toEqual({ working: true, known: true });
    expect(dayInfo(cal, '2026-09-20')).toEqual({ working: true, known: true });
    // 9 Oct (Fri) and 10 Oct (make-up Sat) are both working days
    expect(shiftWorkingDays(cal, '2026-09-30', 3).date).toBe('2026-10-10');
    expect(shiftWorkingDays(cal, '2026-09-30', 4).date).toBe('2026-10-12');
  });

  it('knows the Spring Festival weeks of 2025 and 2026 with their make-up days', () => {
    // 2025: 28 Jan – 4 Feb off, make-up Sun 26 Jan and Sat 8 Feb
    expect(dayInfo(cal, '2025-01-26').working).toBe(true);
    expect(shiftWorkingDays(cal, '2025-01-27', 1).date).toBe('2025-02-05');
    expect(shiftWorkingDays(cal, '2025-02-07', 1).date).toBe('2025-02-08');
    // 2026: 15 – 23 Feb off, make-up Sat 14 Feb and Sat 28 Feb
    expect(dayInfo(cal, '2026-02-14').working).toBe(true);
    expect(shiftWorkingDays(cal, '2026-02-13', 1).date).toBe('2026-02-14');
    expect(shiftWorkingDays(cal, '2026-02-14', 1).date).toBe('2026-02-24');
    expect(workingDaysBetween(cal, '2026-02-13', '2026-02-28')).toBe(6); // 14, 24, 25, 26, 27, 28
  });

  it('moves a calendar-day deadline that lands on a holiday to the next working day', () => {
    expect(nextWorkingDayOnOrAfter(cal, '2026-10-03').date).toBe('2026-10-08');
    expect(nextWorkingDayOnOrAfter(cal, '2026-10-09').date).toBe('2026-10-09');
  });

  it('counts backwards for reminders before a deadline', () => {
    expect(shiftWorkingDays(cal, '2026-10-08', -1).date).toBe('2026-09-30');
    expect(shiftWorkingDays(cal, '2026-10-12', -3).date).toBe('2026-10-08');
  });

  it('computes across a year boundary and flags a year it has no data for', () => {
    // 2026-12-31 is a Thursday; 2027 has no data: weekdays only, and said so
    const r = shiftWorkingDays(cal, '2026-12-30', 3);
    expect(r).toEqual({ date: '2027-01-04', unknownYears: ['2027'] });
    expect(dayInfo(cal, '2027-01-01')).toEqual({ working: true, known: false });
    expect(shiftWorkingDays(cal, '2025-12-30', 3)).toEqual({ date: '2026-01-05', unknownYears: [] }); // 1–3 Jan 2026 off, Sun 4 Jan make-up
  });

  it('places deadlines in Asia/Shanghai', () => {
    expect(new Date(instantAt('2026-10-08', '24:00')).toISOString()).toBe('2026-10-08T16:00:00.000Z');
    expect(new Date(instantAt('2026-10-08', '17:30')).toISOString()).toBe('2026-10-08T09:30:00.000Z');
    expect(shanghaiDate(Date.parse('2026-10-07T16:30:00Z'))).toBe('2026-10-08');
  });
});

describe('workingDaysBetween, counted by arithmetic', () => {
  /** The definition, one day at a time. */
  function walk(from: string, to: string): number {
    const [a, b, sign] = to >= from ? [from, to, 1] : [to, from, -1];
    let n = 0;
    for (let d = addDays(a, 1); d <= b; d = addDays(d, 1)) if (dayInfo(cal, d).working) n++;
    return sign * n;
  }

  it('agrees with walking the days, for any two dates from 2023 to 2027 (holidays, 调休, unknown years, both directions)', () => {
    const day = fc.integer({ min: 0, max: 5 * 366 }).map((n) => addDays('2023-01-01', n));
    fc.assert(
      fc.property(day, day, (from, to) => workingDaysBetween(cal, from, to) === walk(from, to)),
      { numRuns: 3000 },
    );
  });
});
