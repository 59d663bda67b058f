import { addDays, parseDate, shanghaiDate } from '../../domain/calendar';
import { shippedYears } from '../../lib/calendar-store';
import type { Db } from '../../lib/db';

/**
 * Due dates for tests that run on the real clock (the API, real-clock workflows, drills).
 *
 * The API refuses a due date before the next working day, and a workflow past its due date runs
 * its overdue ladder: a fixed date such as '2026-12-31' is a future date the day a test is
 * written and a past one some weeks later, and every test using it starts failing on its own.
 * These dates are counted from the real today instead, so they stay in the future.
 *
 * Tests that pass their own clock (the domain unit tests, a time-skipping test that sets its
 * time) keep their fixed dates: there a fixed date is the point.
 */

/** Saturday or Sunday: the weekday rule alone, without the calendar's holidays or make-up days. */
function isWeekend(date: string): boolean {
  const weekday = new Date(parseDate(date)).getUTCDay();
  return weekday === 0 || weekday === 6;
}

/**
 * The date (YYYY-MM-DD, Asia/Shanghai) `calendarDays` calendar days after the real today, moved
 * forward to the next Monday when it falls on a weekend.
 */
export function dueIn(calendarDays: number): string {
  let date = addDays(shanghaiDate(Date.now()), calendarDays);
  while (isWeekend(date)) date = addDays(date, 1);
  return date;
}

/** A due date well in the future: the common "any valid due date" of an item a test opens. */
export const DUE = dueIn(45);

/** A due date well after `DUE`: a granted extension, or a new deadline after a relapse. */
export const LATER_DUE = dueIn(180);

/**
 * Declares, in a test's database, the years from this one to the year after `LATER_DUE` that the
 * shipped calendar has no data for, as weekdays only (no holidays, no make-up days).
 *
 * A deadline counted in a year without calendar data makes the item warn the supervisor
 * (calendar_unknown). The shipped calendar ends with the last year published, so a due date some
 * weeks from today soon lies in such a year, and the warning would join whatever a test counts:
 * tests that count the notices an item sends call this before opening items.
 */
export async function declareYearsAhead(db: Db): Promise<void> {
  const shipped = shippedYears();
  const data = [];
  for (let year = Number(shanghaiDate(Date.now()).slice(0, 4)); year <= Number(LATER_DUE.slice(0, 4)) + 1; year++)
    if (!shipped[String(year)])
      data.push({ year, holidays: [], workdays: [], source: '测试：仅按周末计算', updatedBy: 'test' });
  await db.calendarYear.createMany({ data, skipDuplicates: true });
}
