/**
 * The working-day arithmetic of domain/calendar.ts (day numbers, an index of each calendar's
 * exceptions, binary searches) against the plain day-by-day walk it replaced, written here with
 * the Date built-ins: every answer must be the same, over years with 调休, year ends, years the
 * calendar does not know, and calendars with odd entries.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  dayInfo,
  formatDate,
  instantAt,
  nextWorkingDayOnOrAfter,
  parseDate,
  shanghaiDate,
  shiftWorkingDays,
  type Calendar,
} from '../../domain/calendar';
import { calendarOf, shippedYears } from '../../lib/calendar-store';

const DAY = 86_400_000;
const plainParse = (date: string) => Date.parse(`${date}T00:00:00Z`);
const plainFormat = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function plainDayInfo(cal: Calendar, date: string) {
  const year = cal.years[date.slice(0, 4)];
  const weekday = new Date(plainParse(date)).getUTCDay();
  const weekend = weekday === 0 || weekday === 6;
  if (!year) return { working: !weekend, known: false };
  if (year.holidays.includes(date)) return { working: false, known: true };
  if (year.workdays.includes(date)) return { working: true, known: true };
  return { working: !weekend, known: true };
}

/** The walk as domain/calendar.ts did it before: one Date.parse and one toISOString per day. */
function plainShift(cal: Calendar, date: string, n: number) {
  const unknown = new Set<string>();
  let d = date;
  const step = n >= 0 ? 1 : -1;
  for (let left = Math.abs(n); left > 0;) {
    d = plainFormat(plainParse(d) + step * DAY);
    const info = plainDayInfo(cal, d);
    if (!info.known) unknown.add(d.slice(0, 4));
    if (info.working) left--;
  }
  return { date: d, unknownYears: [...unknown].sort() };
}

const shipped = calendarOf(shippedYears());
// The shipped years with a gap (2025 dropped), and one with odd entries: a holiday on a Saturday,
// a make-up day that is also a holiday, a weekday listed as a make-up day, a duplicate, a date
// listed under the wrong year, and a date that does not exist.
const gapped: Calendar = {
  version: 'gapped',
  years: Object.fromEntries(Object.entries(shipped.years).filter(([y]) => y !== '2025')),
};
const odd: Calendar = {
  version: 'odd',
  years: {
    ...shipped.years,
    '2027': {
      holidays: ['2027-01-01', '2027-01-01', '2027-01-02', '2027-05-08', '2028-01-03', '2027-02-30'],
      workdays: ['2027-05-08', '2027-05-09', '2027-03-03', '2028-01-08'],
    },
  },
};
const calendars = { shipped, gapped, odd };

// 2022-06-01 … 2029-06-30: the shipped years, the years around them the calendar does not know, and year ends.
const FIRST = plainParse('2022-06-01') / DAY;
const LAST = plainParse('2029-06-30') / DAY;
const dates = fc.integer({ min: FIRST, max: LAST }).map((z) => plainFormat(z * DAY));

describe('the working-day arithmetic equals the day-by-day walk', () => {
  it('parses and formats every day as the Date built-ins do', () => {
    for (let z = plainParse('1999-01-01') / DAY; z <= plainParse('2031-12-31') / DAY; z++) {
      const date = plainFormat(z * DAY);
      expect(formatDate(z * DAY)).toBe(date);
      expect(parseDate(date)).toBe(z * DAY);
    }
    fc.assert(
      fc.property(fc.integer({ min: -8.6e15, max: 8.6e15 }), (ms) => {
        expect(formatDate(ms)).toBe(plainFormat(ms));
        expect(shanghaiDate(ms)).toBe(plainFormat(ms + 8 * 3600_000));
      }),
      { numRuns: 5000 },
    );
    // Days past a month's end roll on as Date.parse has them; other shapes are NaN alike.
    for (const s of ['2025-02-29', '2025-02-30', '2024-02-31', '2025-04-31', '0000-01-01', '9999-12-31', '1600-02-29'])
      expect(parseDate(s)).toBe(plainParse(s));
    for (const s of ['2025-13-01', '2025-00-10', '2025-01-00', '2025-01-32', '2025-1-01', '20250101', '', 'x025-01-01'])
      expect(parseDate(s)).toBeNaN();
  });

  it('reads office hours as split(":") did', () => {
    const plainInstant = (date: string, time: string) => {
      const [h, m] = time.split(':').map(Number) as [number, number];
      return plainParse(date) + (h * 60 + m) * 60_000 - 8 * 3600_000;
    };
    for (const time of ['00:00', '08:30', '17:30', '18:00', '24:00', '9:00', '09:5', '08:00:00', '+1:00', 'ab:cd', ''])
      for (const date of ['2025-12-31', '2026-01-01', '2024-02-29'])
        expect(instantAt(date, time), `${date} ${time}`).toBe(plainInstant(date, time));
  });

  it('says which days are working days as the lists do', () => {
    for (const cal of Object.values(calendars))
      for (let z = FIRST; z <= LAST; z++) {
        const date = plainFormat(z * DAY);
        expect(dayInfo(cal, date)).toEqual(plainDayInfo(cal, date));
      }
  });

  it('shifts by n working days, forward and back, over random dates and n', () => {
    for (const [name, cal] of Object.entries(calendars))
      fc.assert(
        fc.property(dates, fc.integer({ min: -400, max: 400 }), (date, n) => {
          expect(shiftWorkingDays(cal, date, n), `${name} ${date} ${n}`).toEqual(plainShift(cal, date, n));
        }),
        { numRuns: 3000 },
      );
  });

  it('shifts from every day of the shipped years by the ladder offsets and across each year end', () => {
    for (const cal of [shipped, odd])
      for (let z = FIRST; z <= LAST; z++) {
        const date = plainFormat(z * DAY);
        for (const n of [-3, -2, -1, 1, 2, 3, 5, 10, 20])
          expect(shiftWorkingDays(cal, date, n), `${date} ${n}`).toEqual(plainShift(cal, date, n));
      }
    // Around the year ends and the long holidays, the longer periods too.
    for (const date of [
      '2024-12-31',
      '2025-12-31',
      '2026-12-31',
      '2026-01-01',
      '2025-01-27',
      '2026-09-30',
      '2026-02-13',
    ])
      for (const n of [-60, -15, -7, 0, 7, 15, 60, 250, 500])
        expect(shiftWorkingDays(shipped, date, n)).toEqual(plainShift(shipped, date, n));
  });

  it('gives the next working day on or after a date as the walk does', () => {
    for (const cal of Object.values(calendars))
      for (let z = FIRST; z <= LAST; z++) {
        const date = plainFormat(z * DAY);
        const info = plainDayInfo(cal, date);
        const next = plainShift(cal, date, 1);
        const expected = info.working
          ? { date, unknownYears: info.known ? [] : [date.slice(0, 4)] }
          : {
              date: next.date,
              unknownYears: [...new Set([...(info.known ? [] : [date.slice(0, 4)]), ...next.unknownYears])].sort(),
            };
        expect(nextWorkingDayOnOrAfter(cal, date)).toEqual(expected);
      }
  });

  it('walks what the arithmetic leaves alone as before: odd dates, fractions, far years', () => {
    for (const [date, n] of [
      ['2025-02-30', 3],
      ['2025-02-30', 0],
      ['0999-12-30', 5],
      ['0999-12-30', -5],
      ['9500-01-03', 10],
      ['2025-06-01', 2.5],
      ['2025-06-01', -2.5],
    ] as const)
      expect(shiftWorkingDays(shipped, date, n)).toEqual(plainShift(shipped, date, n));
    expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
    expect(() => shiftWorkingDays(shipped, 'not-a-date', 1)).toThrow(RangeError);
  });

  it('hands out a fresh list each time: a caller changing one leaves the next answer alone', () => {
    const first = shiftWorkingDays(gapped, '2024-12-20', 15);
    expect(first.unknownYears).toEqual(['2025']);
    first.unknownYears.push('1999');
    expect(shiftWorkingDays(gapped, '2024-12-20', 15)).toEqual(plainShift(gapped, '2024-12-20', 15));
  });

  it('follows a calendar whose years are replaced (the index is rebuilt, not reused)', () => {
    const cal: Calendar = { version: 'v', years: { ...shipped.years } };
    expect(shiftWorkingDays(cal, '2026-09-30', 1).date).toBe('2026-10-08');
    cal.years = { ...shipped.years, '2026': { holidays: [], workdays: [] } };
    expect(shiftWorkingDays(cal, '2026-09-30', 1)).toEqual(plainShift(cal, '2026-09-30', 1));
    expect(shiftWorkingDays(cal, '2026-09-30', 1).date).toBe('2026-10-01');
  });
});
