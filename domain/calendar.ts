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

/*
 * Dates by arithmetic on day numbers (days since 1970-01-01, proleptic Gregorian as JavaScript
 * counts): every deadline walks working days, and a `Date.parse` plus a `toISOString` per day
 * walked was most of a backtest's time. Each function gives exactly what the Date built-ins give
 * (tests/domain/calendar-speed.test.ts compares them); anything outside the plain shapes and
 * years 0000–9999 goes to the built-ins.
 */

/** Days since 1970-01-01 of a Gregorian year, month (1–12) and day (days past the month's end roll on, as Date.parse does). */
function dayNumber(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** The year, month and day of a day number. */
function civil(z: number): [number, number, number] {
  const zz = z + 719_468;
  const era = Math.floor(zz / 146_097);
  const doe = zz - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

const digit = (s: string, i: number): number => {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : NaN;
};

export function parseDate(date: string): number {
  if (date.length === 10 && date.charCodeAt(4) === 45 && date.charCodeAt(7) === 45) {
    const y = digit(date, 0) * 1000 + digit(date, 1) * 100 + digit(date, 2) * 10 + digit(date, 3);
    const m = digit(date, 5) * 10 + digit(date, 6);
    const d = digit(date, 8) * 10 + digit(date, 9);
    if (m >= 1 && m <= 12 && d >= 1 && d <= 31) return dayNumber(y, m, d) * DAY;
  }
  return Date.parse(`${date}T00:00:00Z`);
}

/** Day numbers of 0000-01-01 and 9999-12-31: between them a date is four digits of year, as toISOString writes it. */
const FIRST_DAY = -719_528;
const LAST_DAY = 2_932_896;

/** Day numbers of 1000-01-01 and 9000-01-01: a shift starting between them is counted, not walked. */
const DAY_1000 = -354_285;
const DAY_9000 = 2_567_655;

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** YYYY-MM-DD of a day number in years 0000–9999. */
function dateOfDay(z: number): string {
  const [y, m, d] = civil(z);
  return `${y < 1000 ? String(y).padStart(4, '0') : y}-${pad2(m)}-${pad2(d)}`;
}

export function formatDate(ms: number): string {
  const z = Math.floor(ms / DAY);
  if (z >= FIRST_DAY && z <= LAST_DAY) return dateOfDay(z);
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

/** 0 Monday … 6 Sunday (day 0, 1970-01-01, was a Thursday). */
const weekdayOf = (z: number): number => (((z + 3) % 7) + 7) % 7;

function isWeekendAt(ms: number): boolean {
  return weekdayOf(Math.floor(ms / DAY)) >= 5;
}

/**
 * A calendar's exceptions, indexed once per calendar object: the dates each year lists (a year's
 * list counts for that year's own dates only, as `dayInfo` reads it), and the days whose status
 * differs from the weekday rule, with running sums, so that the working days up to any day are
 * a closed form plus a binary search. Built from the calendar alone; a WeakMap lets it go with
 * the calendar. A calendar is a value (calendarOf builds a new one for every change); one whose
 * `years` object is replaced is indexed afresh.
 */
interface CalendarIndex {
  years: Calendar['years'];
  holidays: Set<string>;
  workdays: Set<string>;
  /** Day numbers whose working status differs from the weekday rule, ascending. */
  days: number[];
  /** sums[k]: the sum of the first k differences (+1 a make-up working day, −1 a weekday off). */
  sums: number[];
  /** Shifts already counted, by day and n: a ladder asks the same few again at every event. */
  shifts: Map<number, Shifted>;
}

/** Shifts remembered per calendar before the memo starts afresh (a few MB at most). */
const MAX_SHIFTS = 20_000;

const indexes = new WeakMap<Calendar, CalendarIndex>();

function indexOf(cal: Calendar): CalendarIndex {
  const known = indexes.get(cal);
  if (known && known.years === cal.years) return known;
  const holidays = new Set<string>();
  const workdays = new Set<string>();
  for (const [key, year] of Object.entries(cal.years)) {
    if (!year) continue;
    for (const h of year.holidays) if (h.slice(0, 4) === key) holidays.add(h);
    for (const w of year.workdays) if (w.slice(0, 4) === key) workdays.add(w);
  }
  const diffs = new Map<number, number>();
  // Only dates written as formatDate writes them are ever walked onto.
  const canonical = (s: string): number | null => {
    const ms = parseDate(s);
    return Number.isNaN(ms) || formatDate(ms) !== s ? null : ms / DAY;
  };
  for (const h of holidays) {
    const z = canonical(h);
    if (z !== null && weekdayOf(z) < 5) diffs.set(z, -1);
  }
  for (const w of workdays) {
    const z = canonical(w);
    if (z !== null && !holidays.has(w) && weekdayOf(z) >= 5) diffs.set(z, 1);
  }
  const days = [...diffs.keys()].sort((a, b) => a - b);
  const sums = [0];
  for (const z of days) sums.push(sums[sums.length - 1]! + diffs.get(z)!);
  const index = { years: cal.years, holidays, workdays, days, sums, shifts: new Map<number, Shifted>() };
  indexes.set(cal, index);
  return index;
}

/** Working days among days ..z (from a fixed origin): weekdays by arithmetic, plus the exceptions up to z. */
function workingThrough(ix: CalendarIndex, z: number): number {
  const u = z - 4; // day 4, 1970-01-05, was a Monday
  const weeks = Math.floor(u / 7);
  const weekdays = weeks * 5 + Math.min(u - weeks * 7 + 1, 5);
  let lo = 0;
  let hi = ix.days.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ix.days[mid]! <= z) lo = mid + 1;
    else hi = mid;
  }
  return weekdays + ix.sums[lo]!;
}

/** The first day in (lo, hi] with at least `target` working days through it; W(lo) < target ≤ W(hi). */
function firstReaching(ix: CalendarIndex, lo: number, hi: number, target: number): number {
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (workingThrough(ix, mid) >= target) hi = mid;
    else lo = mid;
  }
  return hi;
}

export function dayInfo(cal: Calendar, date: string): DayInfo {
  const year = cal.years[date.slice(0, 4)];
  const weekend = isWeekendAt(parseDate(date));
  if (!year) return { working: !weekend, known: false };
  const ix = indexOf(cal);
  if (ix.holidays.has(date)) return { working: false, known: true };
  if (ix.workdays.has(date)) return { working: true, known: true };
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
  const start = parseDate(date) / DAY;
  // Counted for whole n from a date in years 1000–8999, up to some centuries away; anything else is walked.
  if (
    !Number.isInteger(n) ||
    !Number.isInteger(start) ||
    start < DAY_1000 ||
    start >= DAY_9000 ||
    Math.abs(n) > 100_000
  )
    return walkWorkingDays(cal, date, n);
  if (n === 0) return { date, unknownYears: [] };
  const ix = indexOf(cal);
  // The answer depends on the day and n alone: one number for both (|n| ≤ 100,000 < 2^17).
  const key = start * 262_144 + n;
  const known = ix.shifts.get(key);
  // A copy: callers may keep or extend the list.
  if (known) return { date: known.date, unknownYears: known.unknownYears.slice() };
  const shifted = countWorkingDays(cal, ix, start, n);
  if (ix.shifts.size >= MAX_SHIFTS) ix.shifts.clear();
  ix.shifts.set(key, shifted);
  return { date: shifted.date, unknownYears: shifted.unknownYears.slice() };
}

/** The n-th working day after (before) day `start` (n ≠ 0), by the running sums of the index. */
function countWorkingDays(cal: Calendar, ix: CalendarIndex, start: number, n: number): Shifted {
  let end: number;
  if (n > 0) {
    const target = workingThrough(ix, start) + n;
    let lo = start;
    let hi = start + n;
    while (workingThrough(ix, hi) < target) {
      lo = hi;
      hi = start + 2 * (hi - start) + 7;
    }
    end = firstReaching(ix, lo, hi, target);
  } else {
    const target = workingThrough(ix, start - 1) + n + 1;
    const hi = start - 1;
    let lo = start - 1 + n;
    while (workingThrough(ix, lo) >= target) lo = start - 2 * (start - lo) - 7;
    end = firstReaching(ix, lo, hi, target);
  }
  // The years walked through: every day from the one after `date` to `end` (or back).
  const [first, last] = n > 0 ? [start + 1, end] : [end, start - 1];
  const unknownYears: string[] = [];
  for (let y = civil(first)[0]; y <= civil(last)[0]; y++) {
    const key = String(y).padStart(4, '0');
    if (!cal.years[key]) unknownYears.push(key);
  }
  return { date: dateOfDay(end), unknownYears };
}

/** shiftWorkingDays day by day: for what the arithmetic does not cover (fractions, far years, bad dates). */
function walkWorkingDays(cal: Calendar, date: string, n: number): Shifted {
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
  return parseDate(date) + minutesOf(time) * 60_000 - SHANGHAI_OFFSET_MS;
}

/** "HH:MM" in minutes, by character codes (every rung's instant comes through here); other shapes as `split` reads them. */
function minutesOf(time: string): number {
  if (time.length === 5 && time.charCodeAt(2) === 58) {
    const minutes = (digit(time, 0) * 10 + digit(time, 1)) * 60 + digit(time, 3) * 10 + digit(time, 4);
    if (!Number.isNaN(minutes)) return minutes;
  }
  const [h, m] = time.split(':').map(Number) as [number, number];
  return h * 60 + m;
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
