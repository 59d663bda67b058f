import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CalendarYearSchema, type Calendar, type CalendarYear } from '../domain/calendar';
import type { Db } from './db';
import { ROOT } from './root';

let shipped: Record<string, CalendarYear> | undefined;

/** The calendar shipped with the product (calendar/cn-official.json), read and checked once per process. */
export function shippedYears(): Record<string, CalendarYear> {
  if (!shipped) {
    const doc = JSON.parse(readFileSync(path.join(ROOT, 'calendar', 'cn-official.json'), 'utf8')) as {
      years: Record<string, unknown>;
    };
    shipped = Object.fromEntries(Object.entries(doc.years).map(([y, v]) => [y, CalendarYearSchema.parse(v)]));
  }
  // A copy: callers lay the operator's years over it.
  return { ...shipped };
}

export function calendarOf(years: Record<string, CalendarYear>): Calendar {
  const dates = Object.fromEntries(
    Object.keys(years)
      .sort()
      .map((y) => [
        y,
        {
          holidays: years[y]!.holidays.map((d) => d.date).sort(),
          workdays: years[y]!.workdays.map((d) => d.date).sort(),
        },
      ]),
  );
  return { version: createHash('sha256').update(JSON.stringify(dates)).digest('hex').slice(0, 12), years: dates };
}

/** The years in force: the shipped ones, overridden or extended by the operator's rows. */
export async function calendarYears(db: Db): Promise<Record<string, CalendarYear>> {
  const rows = await db.calendarYear.findMany();
  const years = shippedYears();
  for (const r of rows)
    years[String(r.year)] = CalendarYearSchema.parse({ holidays: r.holidays, workdays: r.workdays });
  return years;
}

/** The calendar in force. */
export async function currentCalendar(db: Db): Promise<Calendar> {
  return calendarOf(await calendarYears(db));
}
