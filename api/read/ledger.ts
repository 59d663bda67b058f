import type { Actor } from '../../domain/actors';
import { addDays, dayInfo, shanghaiDate, type Calendar } from '../../domain/calendar';
import { ACTION_LABELS } from '../../domain/commands';
import { overdueWorkingDays, pendingRungs, type Clock } from '../../domain/deadlines';
import type { Item } from '../../domain/item';
import { STEP_LABELS, RUNG_LABELS } from '../../domain/policy';
import { currentCalendar } from '../../lib/calendar-store';
import { toCsv } from '../../lib/csv';
import { today, type Services } from '../services';
import { loadItem } from './items';

/** Longest span a ledger accounts for day by day (ten years). */
const MAX_DAYS = 3660;

/** The ledger of an item the caller may see (else 404), counted with today's calendar. */
export async function itemLedger(s: Services, actor: Actor, id: string) {
  const item = await loadItem(s, actor, id);
  return buildLedger(item, await currentCalendar(s.db), today(s));
}

/**
 * The deadline ledger of one item: every deadline with the calendar and policy versions used,
 * pauses, extensions and who approved them, co-units' deadlines, each rung (fired or pending),
 * both clocks, and every calendar day from assignment with how it was counted. It is the
 * evidence in an appeal against 问责.
 */
export function buildLedger(item: Item, cal: Calendar, today: string) {
  const d = item.deadlines;
  const end = item.status === 'closed' ? local(item.closedAt).slice(0, 10) : today;
  const closure = d?.clocks.closure;
  const pausedOn = (date: string) => d?.pauses.some((p) => date > p.from && (p.to === null || date <= p.to)) ?? false;
  const days: Array<{
    date: string;
    weekday: number;
    working: boolean;
    calendarKnown: boolean;
    counted: boolean;
    reason: string;
  }> = [];
  if (d) {
    for (let date = addDays(d.assignedOn, 1), n = 0; date <= end && n < MAX_DAYS; date = addDays(date, 1), n++) {
      const info = dayInfo(cal, date);
      const paused = pausedOn(date);
      const reason = !info.working ? (isHoliday(cal, date) ? 'holiday' : 'weekend') : paused ? 'suspended' : 'counted';
      days.push({
        date,
        weekday: new Date(`${date}T00:00:00Z`).getUTCDay(),
        working: info.working,
        calendarKnown: info.known,
        counted: info.working && !paused,
        reason,
      });
    }
  }
  const counted = (from: string | null) => (from ? days.filter((x) => x.date > from && x.counted).length : null);
  return {
    itemId: item.id,
    title: item.title,
    leadUnitId: item.leadUnitId,
    status: item.status,
    generatedOn: today,
    calendarVersionNow: cal.version,
    calendarVersionUsed: d?.calendarVersion ?? null,
    policy: d ? { id: d.policy.id, version: d.policy.version } : null,
    unknownYears: d?.unknownYears ?? [],
    clocks: {
      fromAssignment: {
        start: d?.assignedOn ?? local(item.createdAt).slice(0, 10),
        workingDaysCounted: counted(d?.assignedOn ?? null),
      },
      fromSigning: { start: d?.signedOn ?? null, workingDaysCounted: counted(d?.signedOn ?? null) },
    },
    overdueWorkingDays: closure && closure.state !== 'done' ? overdueWorkingDays(cal, closure.deadline, today) : 0,
    openedDueDate: d?.openedDueDate ?? null,
    dueDate: item.dueDate,
    closedLateWorkingDays: item.status === 'closed' ? (d?.closing?.lateWorkingDays ?? null) : null,
    closing: d?.closing
      ? {
          closedOn: d.closing.closedOn,
          deadline: d.closing.deadline,
          handedInOn: d.closing.handedInOn,
          lateWorkingDays: d.closing.lateWorkingDays,
        }
      : null,
    // Every deadline ever in force, oldest first: the replaced ones with what replaced them, by whom, when.
    deadlines: [
      ...(d?.past ?? []).map((c) => ({
        ...clockRow(c),
        inForce: false,
        endedOn: c.endedOn,
        endedBy: c.endedBy,
        endedByLabel: c.endedBy === 'calendar' ? '工作日历变更' : ACTION_LABELS[c.endedBy],
        endedByUserId: c.endedByUserId ?? null,
      })),
      ...Object.values(d?.clocks ?? {}).map((c) => ({
        ...clockRow(c),
        inForce: true,
        endedOn: null,
        endedBy: null,
        endedByLabel: null,
        endedByUserId: null,
      })),
    ],
    calendarChanges: (d?.recalendared ?? []).map((r) => ({ ...r, at: new Date(r.at).toISOString() })),
    coUnits: item.coParts.map((p) => ({
      unitId: p.unitId,
      state: p.state,
      deadline: closure?.deadline ?? item.dueDate,
    })),
    pauses: d?.pauses ?? [],
    extensions: item.extensions,
    rungs: [
      ...(d?.fired ?? []).map((f) => ({
        ...f,
        label: f.notApplicable ? `${RUNG_LABELS[f.action]}（不适用：补录前已过期）` : RUNG_LABELS[f.action],
        // A backdated import's rungs whose time had passed before it: recorded, never sent.
        status: f.notApplicable ? ('not_applicable' as const) : ('fired' as const),
        dueAt: new Date(f.dueAt).toISOString(),
        firedAt: new Date(f.firedAt).toISOString(),
      })),
      ...(d ? pendingRungs(d, cal) : []).map((r) => ({
        step: r.clock.step,
        epoch: r.clock.epoch,
        key: r.rung.key,
        action: r.rung.action,
        label: RUNG_LABELS[r.rung.action],
        status: 'pending' as const,
        deadline: r.clock.deadline,
        dueAt: new Date(r.fireAt).toISOString(),
        firedAt: null,
        targets: r.rung.targets,
      })),
      // A closed item: the rungs that had not come yet when it closed, as they stood.
      ...(d?.closing?.plan ?? []).map((r) => ({
        ...r,
        label: `${RUNG_LABELS[r.action]}（办结时未到期）`,
        status: 'not_reached' as const,
        dueAt: new Date(r.dueAt).toISOString(),
        firedAt: null,
        targets: [],
      })),
    ],
    days,
  };
}

function clockRow(c: Clock) {
  return {
    step: c.step,
    stepLabel: STEP_LABELS[c.step],
    epoch: c.epoch,
    start: c.start,
    deadline: c.deadline,
    state: c.state,
    workingDaysLeftWhenPaused: c.left,
    calendarVersion: c.calendarVersion,
  };
}

/**
 * An instant as the ledger's readers count days: its date and time in Asia/Shanghai
 * (`2027-01-29 24:00` for the end of that day); a plain date stays as it is. An event at 07:00 in Shanghai is the day it
 * happened there, not the day before in UTC.
 */
function local(instant: string): string {
  if (!instant.includes('T')) return instant;
  const ms = Date.parse(instant);
  const time = new Date(ms + 8 * 3600_000).toISOString().slice(11, 16);
  // A rung falls due at the end of its day (24:00): shown on that day, not at 00:00 of the next.
  return time === '00:00' ? `${shanghaiDate(ms - 1)} 24:00` : `${shanghaiDate(ms)} ${time}`;
}

function isHoliday(cal: Calendar, date: string): boolean {
  return cal.years[date.slice(0, 4)]?.holidays.includes(date) ?? false;
}

export type Ledger = ReturnType<typeof buildLedger>;

/** CSV: the deadlines, pauses, extensions and rungs first, then one row per day. */
export function ledgerCsv(l: Ledger): string {
  const rows: Array<Array<string | number | null>> = [['section', 'date', 'step', 'detail', 'value', 'extra']];
  for (const x of l.deadlines)
    rows.push([
      'deadline',
      x.deadline,
      x.step,
      `epoch ${x.epoch}, from ${x.start}`,
      x.inForce ? x.state : `replaced ${x.endedOn} by ${x.endedBy}${x.endedByUserId ? ` (${x.endedByUserId})` : ''}`,
      `calendar ${x.calendarVersion}`,
    ]);
  for (const c of l.calendarChanges)
    for (const m of c.moves)
      rows.push([
        'calendar',
        local(c.at).slice(0, 10),
        m.step ?? '',
        `${m.kind} ${m.key ?? ''}`.trim(),
        `${m.from} -> ${m.to}`,
        `calendar ${c.from} -> ${c.to}`,
      ]);
  for (const p of l.pauses) rows.push(['pause', p.from, '', 'suspended until', p.to ?? '(still suspended)', '']);
  for (const e of l.extensions)
    rows.push([
      'extension',
      local(e.requestedAt).slice(0, 10),
      'closure',
      `requested ${e.requestedDueDate}${e.dueDateBefore ? ` (was ${e.dueDateBefore})` : ''} by ${e.requestedBy}`,
      e.decision ? (e.decision.approved ? 'approved' : 'refused') : 'pending',
      e.decision ? `${e.decision.by} ${local(e.decision.at)}` : '',
    ]);
  for (const r of l.rungs)
    rows.push(['rung', local(r.dueAt), r.step, `${r.key} (${r.label})`, r.status, r.firedAt && local(r.firedAt)]);
  for (const c of l.coUnits) rows.push(['co-unit', c.deadline, 'closure', c.unitId, c.state, '']);
  for (const d of l.days)
    rows.push([
      'day',
      d.date,
      '',
      `weekday ${d.weekday}`,
      d.reason,
      d.calendarKnown ? '' : 'no calendar data: weekdays only',
    ]);
  return toCsv(rows);
}
