import { z } from 'zod';

/**
 * The official working-day calendar as data: per year, the statutory holidays and the make-up
 * working days (调休) on weekends. Pure functions over YYYY-MM-DD strings in Asia/Shanghai, so
 * workflows, the API and the tests share them.
 */
const DayEntry = z.strictObject({
  date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, '日期格式应为 YYYY-MM-DD')
    // A day that does not exist (02-30) would make every later count of working days fail.
    .refine((s) => {
      const ms = Date.parse(`${s}T00:00:00Z`);
      return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === s;
    }, '日期不存在'),
  name: z.string().max(50).default(''),
});
/** A year as the operator writes it: each date with its name (春节, 国庆节调休上班 …). */
export const CalendarYearSchema = z.strictObject({
  holidays: z.array(DayEntry).max(60),
  workdays: z.array(DayEntry).max(30),
});
export type CalendarYear = z.infer<typeof CalendarYearSchema>;

/** The calendar as workflows carry it: dates only, small enough to sit in every item's history. */
export interface Calendar {
  /** Content hash of `years`: an item records which calendar its deadlines came from. */
  version: string;
  years: Record<string, { holidays: string[]; workdays: string[] }>;
}

export interface DayInfo {
  working: boolean;
  /** False when the year has no data and the answer is the weekday rule alone. */
  known: boolean;
}

const DAY = 86_400_000;

export function parseDate(date: string): number {
  return Date.parse(`${date}T00:00:00Z`);
}

export function formatDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function addDays(date: string, n: number): string {
  return formatDate(parseDate(date) + n * DAY);
}

/** Asia/Shanghai is UTC+8 all year (no daylight saving): its wall clock is UTC's, eight hours on. */
export const SHANGHAI_OFFSET_MS = 8 * 3600_000;

/** The calendar date in Asia/Shanghai of an instant. */
export function shanghaiDate(instantMs: number): string {
  return formatDate(instantMs + SHANGHAI_OFFSET_MS);
}

/** An instant's Shanghai wall-clock time as a `YYYY-MM-DD HH:mm` string. */
export function shanghaiDateTime(instant: Date | string): string {
  const ms = typeof instant === 'string' ? Date.parse(instant) : instant.getTime();
  return new Date(ms + SHANGHAI_OFFSET_MS).toISOString().slice(0, 16).replace('T', ' ');
}

function isWeekendAt(ms: number): boolean {
  const weekday = new Date(ms).getUTCDay();
  return weekday === 0 || weekday === 6;
}

export function dayInfo(cal: Calendar, date: string): DayInfo {
  const year = cal.years[date.slice(0, 4)];
  const weekend = isWeekendAt(parseDate(date));
  if (!year) return { working: !weekend, known: false };
  if (year.holidays.includes(date)) return { working: false, known: true };
  if (year.workdays.includes(date)) return { working: true, known: true };
  return { working: !weekend, known: true };
}

export interface Shifted {
  date: string;
  /** Years the count crossed that the calendar has no data for (weekdays-only fallback used). */
  unknownYears: string[];
}

/**
 * The n-th working day after `date` (n > 0) or before it (n < 0). The day of the triggering
 * event is not counted (民法典 第二百零一条): counting starts the next day. n = 0 is `date`.
 */
export function shiftWorkingDays(cal: Calendar, date: string, n: number): Shifted {
  const unknown = new Set<string>();
  let d = date;
  const step = n >= 0 ? 1 : -1;
  for (let left = Math.abs(n); left > 0;) {
    d = addDays(d, step);
    const info = dayInfo(cal, d);
    if (!info.known) unknown.add(d.slice(0, 4));
    if (info.working) left--;
  }
  return { date: d, unknownYears: [...unknown].sort() };
}

/** A period's last day falling on a rest day ends on the next working day instead (民法典 第二百零三条). */
export function nextWorkingDayOnOrAfter(cal: Calendar, date: string): Shifted {
  const info = dayInfo(cal, date);
  if (info.working) return { date, unknownYears: info.known ? [] : [date.slice(0, 4)] };
  const next = shiftWorkingDays(cal, date, 1);
  return {
    date: next.date,
    unknownYears: [...new Set([...(info.known ? [] : [date.slice(0, 4)]), ...next.unknownYears])].sort(),
  };
}

/** Working days in (from, to]; negative when `to` is before `from`. */
export function workingDaysBetween(cal: Calendar, from: string, to: string): number {
  if (to === from) return 0;
  const sign = to > from ? 1 : -1;
  const [a, b] = sign > 0 ? [from, to] : [to, from];
  // Weekdays by arithmetic, then the calendar's exceptions in range: lists and inboxes count this
  // for hundreds of items per request, and a day-by-day walk cost half a millisecond each.
  const start = parseDate(a);
  const days = Math.round((parseDate(b) - start) / DAY);
  let count = Math.floor(days / 7) * 5;
  for (let i = days - (days % 7) + 1; i <= days; i++) if (!isWeekendAt(start + i * DAY)) count++;
  const isWeekend = (date: string) => isWeekendAt(parseDate(date));
  for (let y = Number(a.slice(0, 4)); y <= Number(b.slice(0, 4)); y++) {
    const year = cal.years[String(y)];
    if (!year) continue;
    for (const h of year.holidays) if (h > a && h <= b && !isWeekend(h)) count--;
    for (const w of year.workdays) if (w > a && w <= b && isWeekend(w) && !year.holidays.includes(w)) count++;
  }
  return sign * count;
}

/** "HH:MM" → the instant that time of `date` in Asia/Shanghai; "24:00" is the end of the day. */
export function instantAt(date: string, time: string): number {
  const [h, m] = time.split(':').map(Number) as [number, number];
  return parseDate(date) + (h * 60 + m) * 60_000 - SHANGHAI_OFFSET_MS;
}

export interface WorkHours {
  start: string;
  end: string;
}

/** Inside office hours of a working day, Asia/Shanghai: outside them only urgent notices go out. */
export function inWorkingTime(cal: Calendar, instantMs: number, hours: WorkHours): boolean {
  const date = shanghaiDate(instantMs);
  return (
    dayInfo(cal, date).working && instantMs >= instantAt(date, hours.start) && instantMs < instantAt(date, hours.end)
  );
}
