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

type YearRow = { year: number; holidays: unknown; workdays: unknown };

// Raw SQL: every list page and every action with a date reads this, and Prisma's query compiler
// cost more than the query itself.
const readYearRows = (db: Db): Promise<YearRow[]> =>
  db.$queryRaw<YearRow[]>`SELECT year, holidays, workdays FROM calendar_years ORDER BY year`;

function yearsOf(rows: YearRow[]): Record<string, CalendarYear> {
  const years = shippedYears();
  for (const r of rows)
    years[String(r.year)] = CalendarYearSchema.parse({ holidays: r.holidays, workdays: r.workdays });
  return years;
}

/** The years in force: the shipped ones, overridden or extended by the operator's rows. */
export async function calendarYears(db: Db): Promise<Record<string, CalendarYear>> {
  return yearsOf(await readYearRows(db));
}

/**
 * The last calendar built, under the operator's rows it was built from. The rows are read on
 * every call (so a change anyone makes is seen at once); only when they differ from the last
 * ones are they checked, sorted and hashed again. Callers treat a Calendar as read-only.
 */
let lastBuilt: { rows: string; calendar: Calendar } | undefined;

/** The calendar in force. */
export async function currentCalendar(db: Db): Promise<Calendar> {
  const rows = await readYearRows(db);
  const key = JSON.stringify(rows);
  const calendar = lastBuilt?.rows === key ? lastBuilt.calendar : calendarOf(yearsOf(rows));
  lastBuilt = { rows: key, calendar };
  lastRead = { db, at: Date.now(), calendar };
  return calendar;
}

/**
 * How long a page may show days counted on the calendar as it was: the list's lights and overdue
 * days. A due date is always checked on the calendar in force (currentCalendar).
 */
export const DISPLAY_CALENDAR_MS = 2000;
let lastRead: { db: Db; at: number; calendar: Calendar } | undefined;

/**
 * The calendar for showing a page: the last one read from this database if that was under
 * DISPLAY_CALENDAR_MS ago (a change through this process is seen at once), else read now.
 * Saves the list a round trip per request.
 */
export async function displayCalendar(db: Db): Promise<Calendar> {
  if (lastRead?.db === db && Date.now() - lastRead.at < DISPLAY_CALENDAR_MS) return lastRead.calendar;
  return currentCalendar(db);
}

/** A calendar year was saved through this process: the next page reads the calendar again. */
export function calendarChanged(): void {
  lastRead = undefined;
}
