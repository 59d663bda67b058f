/**
 * When an item is due: a due date given as a date or as a number of working days, checked
 * against the working-day calendar. Pure: the API hands in the calendar in force and the time.
 */
import { shanghaiDate, shiftWorkingDays, type Calendar } from './calendar';

/** The most working days a due date may be given as: about a year of working days. */
export const MAX_DUE_WORKING_DAYS = 250;

/** What a request says about the due date: exactly one of the two, and for an import from an older system the day it began there. */
export interface DueDateInput {
  dueDate?: string | undefined;
  dueInWorkingDays?: number | undefined;
  /** Backdated import: the day the item was opened in the older system (its past due date is allowed). */
  openedOn?: string | undefined;
}

export type DueDateResolution =
  { ok: true; dueDate: string } | { ok: false; field: 'dueDate' | 'dueInWorkingDays' | 'openedOn'; reason: string };

/** The earliest due date an item opened at `nowMs` may have: the next working day after today (Asia/Shanghai). */
export function earliestDueDate(cal: Calendar, nowMs: number): string {
  return shiftWorkingDays(cal, shanghaiDate(nowMs), 1).date;
}

/** `n` working days after today in Asia/Shanghai (today not counted, 民法典 第二百零一条). */
export function dueInWorkingDays(cal: Calendar, nowMs: number, n: number): string {
  return shiftWorkingDays(cal, shanghaiDate(nowMs), n).date;
}

/**
 * The due date a request means, or why it is refused: a given date must not be before the next
 * working day; `dueInWorkingDays` counts from today. A backdated import (`openedOn` given) may
 * have a past due date, and counts its working days from the day it was opened there; its
 * `openedOn` must not be after today, nor after the due date.
 */
export function resolveDueDate(cal: Calendar, nowMs: number, input: DueDateInput): DueDateResolution {
  const today = shanghaiDate(nowMs);
  const hasDate = input.dueDate !== undefined;
  const hasDays = input.dueInWorkingDays !== undefined;
  if (hasDate === hasDays)
    return {
      ok: false,
      field: 'dueDate',
      reason: hasDate ? '截止日期与工作日数只能给出其一' : '请给出截止日期（dueDate）或工作日数（dueInWorkingDays）',
    };
  if (hasDays) {
    const n = input.dueInWorkingDays!;
    if (!Number.isInteger(n) || n < 1 || n > MAX_DUE_WORKING_DAYS)
      return { ok: false, field: 'dueInWorkingDays', reason: `应为 1 至 ${MAX_DUE_WORKING_DAYS} 的整数` };
  }
  if (input.openedOn !== undefined) {
    if (input.openedOn > today) return { ok: false, field: 'openedOn', reason: `原系统立项日期不能晚于今天 ${today}` };
    const dueDate = hasDays ? shiftWorkingDays(cal, input.openedOn, input.dueInWorkingDays!).date : input.dueDate!;
    if (dueDate <= input.openedOn)
      return { ok: false, field: 'dueDate', reason: `截止日期应晚于原系统立项日期 ${input.openedOn}` };
    return { ok: true, dueDate };
  }
  if (hasDays) return { ok: true, dueDate: dueInWorkingDays(cal, nowMs, input.dueInWorkingDays!) };
  const earliest = earliestDueDate(cal, nowMs);
  if (input.dueDate! < earliest)
    return { ok: false, field: 'dueDate', reason: `截止日期不能早于下一个工作日 ${earliest}` };
  return { ok: true, dueDate: input.dueDate! };
}

/** A new date given later in an item's life (an extension, a reassignment, a relapse): not before the next working day. */
export function checkLaterDueDate(cal: Calendar, nowMs: number, dueDate: string): string | null {
  const earliest = earliestDueDate(cal, nowMs);
  return dueDate < earliest ? `截止日期不能早于下一个工作日 ${earliest}` : null;
}
