import type { Actor } from '../../domain/actors';
import { addDays, dayInfo, shanghaiDate, type Calendar } from '../../domain/calendar';
import { ACTION_LABELS } from '../../domain/commands';
import { overdueWorkingDays, pendingRungs, type Clock } from '../../domain/deadlines';
import { STATUS_LABELS, type Item } from '../../domain/item';
import { STEP_LABELS, RUNG_LABELS } from '../../domain/policy';
import { currentCalendar } from '../../lib/calendar-store';
import { toCsv } from '../../lib/csv';
import { loadUnitLabels } from '../../lib/unit-names';
import { exportedAt, xlsxBuffer, xlsxFileName } from '../../lib/xlsx';
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
    // What the supervisor did by hand to push: 催办 (to which units) and 约谈 held.
    urges: item.urges ?? [],
    interviews: item.interviews ?? [],
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
  for (const u of l.urges) rows.push(['urge', local(u.at).slice(0, 10), '', u.text, u.unitIds.join(' '), u.byName]);
  for (const i of l.interviews) rows.push(['interview', i.heldOn, '', i.summary, i.attendees, i.byName]);
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

const CLOCK_STATE_LABELS: Record<string, string> = {
  running: '计时中',
  held: '核查中（暂停计时）',
  paused: '已挂起',
  done: '已完成',
};
const RUNG_STATUS_LABELS: Record<string, string> = {
  fired: '已触发',
  pending: '未到期',
  not_applicable: '不适用',
  not_reached: '办结时未到期',
};
const CO_STATE_LABELS: Record<string, string> = { pending: '待签收', signed: '已签收', done: '已完成' };
const DAY_REASON_LABELS: Record<string, string> = {
  counted: '计入',
  weekend: '周末',
  holiday: '节假日',
  suspended: '挂起期间',
};
const WEEKDAYS = ['周日', '周一', '周二', '周三', '周四', '周五', '周六'];
const MOVE_KINDS: Record<string, string> = { deadline: '期限', rung: '催办阶梯', reinspection: '回头看' };

/**
 * The ledger as an .xlsx for people: one sheet per part, Chinese labels, names for ids, Shanghai
 * times; named, as its subtitle says, by the item's 督办编号 where it has one.
 */
export async function ledgerXlsx(
  s: Services,
  actor: Actor,
  id: string,
  now: Date,
): Promise<{ body: Buffer; fileName: string }> {
  const item = await loadItem(s, actor, id);
  const l = buildLedger(item, await currentCalendar(s.db), today(s));
  const userIds = new Set<string>();
  for (const x of l.deadlines) if (x.endedByUserId) userIds.add(x.endedByUserId);
  for (const e of l.extensions) {
    userIds.add(e.requestedBy);
    if (e.decision) userIds.add(e.decision.by);
  }
  const [users, units] = await Promise.all([
    s.db.user.findMany({ where: { id: { in: [...userIds] } }, select: { id: true, name: true } }),
    loadUnitLabels(s.db),
  ]);
  const userNames = new Map(users.map((u) => [u.id, u.name]));
  const who = (userId: string) => userNames.get(userId) ?? userId;
  const unit = (unitId: string) => units.get(unitId) ?? unitId;
  const step = (x: string | null | undefined) => (x ? ((STEP_LABELS as Record<string, string>)[x] ?? x) : '');
  const number = (await s.db.item.findUnique({ where: { id: item.id }, select: { number: true } }))?.number;
  const body = await xlsxBuffer([
    {
      name: '期限',
      title: `期限台账：${l.title}`,
      subtitle: [
        number ? `督办编号：${number}` : '',
        `系统编号：${l.itemId}`,
        `牵头单位：${unit(l.leadUnitId)}`,
        `状态：${STATUS_LABELS[l.status]}`,
        `办结时限：${l.dueDate}`,
        l.overdueWorkingDays > 0 ? `逾期 ${l.overdueWorkingDays} 个工作日` : '',
        exportedAt(now),
      ]
        .filter(Boolean)
        .join('；'),
      columns: [
        { header: '环节', key: 'step' },
        { header: '轮次', key: 'epoch', kind: 'number' },
        { header: '起算日', key: 'start', kind: 'date' },
        { header: '期限', key: 'deadline', kind: 'date' },
        { header: '状态', key: 'state' },
        { header: '被替换日期', key: 'endedOn', kind: 'date' },
        { header: '替换原因', key: 'endedBy' },
        { header: '操作人', key: 'endedByUser' },
        { header: '日历版本', key: 'calendar' },
      ],
      rows: l.deadlines.map((x) => ({
        step: x.stepLabel,
        epoch: x.epoch,
        start: x.start,
        deadline: x.deadline,
        state: x.inForce ? (CLOCK_STATE_LABELS[x.state] ?? x.state) : '已替换',
        endedOn: x.endedOn,
        endedBy: x.endedByLabel,
        endedByUser: x.endedByUserId ? who(x.endedByUserId) : '',
        calendar: x.calendarVersion,
      })),
    },
    {
      name: '催办阶梯',
      title: `催办阶梯：${l.title}`,
      columns: [
        { header: '环节', key: 'step' },
        { header: '轮次', key: 'epoch', kind: 'number' },
        { header: '阶梯', key: 'label', width: 30 },
        // A rung falls due at the end of its day (24:00 there): the day, not 00:00 of the next.
        { header: '到期日', key: 'dueOn', kind: 'date' },
        { header: '状态', key: 'status' },
        { header: '触发时间', key: 'firedAt', kind: 'dateTime' },
      ],
      rows: l.rungs.map((r) => ({
        step: step(r.step),
        epoch: r.epoch,
        label: r.label,
        dueOn: local(r.dueAt).slice(0, 10),
        status: RUNG_STATUS_LABELS[r.status] ?? r.status,
        firedAt: r.firedAt,
      })),
    },
    {
      name: '延期与挂起',
      title: `延期与挂起：${l.title}`,
      columns: [
        { header: '类型', key: 'kind' },
        { header: '申请/开始时间', key: 'at', kind: 'dateTime' },
        { header: '原期限', key: 'before', kind: 'date' },
        { header: '申请期限/结束', key: 'to' },
        { header: '申请人', key: 'by' },
        { header: '理由', key: 'reason', width: 30 },
        { header: '决定', key: 'decision' },
        { header: '决定人', key: 'decidedBy' },
        { header: '决定时间', key: 'decidedAt', kind: 'dateTime' },
        { header: '意见', key: 'opinion', width: 30 },
      ],
      rows: [
        ...l.extensions.map((e) => ({
          kind: '延期申请',
          at: e.requestedAt,
          before: e.dueDateBefore ?? null,
          to: e.requestedDueDate,
          by: who(e.requestedBy),
          reason: e.reason,
          decision: e.decision ? (e.decision.approved ? '同意' : '不同意') : '待决定',
          decidedBy: e.decision ? who(e.decision.by) : '',
          decidedAt: e.decision?.at ?? null,
          opinion: e.decision?.opinion ?? '',
        })),
        ...l.pauses.map((p) => ({ kind: '挂起', at: p.from, to: p.to ?? '（仍在挂起）' })),
      ],
    },
    {
      name: '催办与约谈',
      title: `催办与约谈：${l.title}`,
      columns: [
        { header: '类型', key: 'kind' },
        { header: '日期', key: 'date', kind: 'date' },
        { header: '对象单位/参加人员', key: 'who', width: 30 },
        { header: '内容', key: 'text', width: 40 },
        { header: '记录人', key: 'by' },
        { header: '记录时间', key: 'at', kind: 'dateTime' },
      ],
      rows: [
        ...l.urges.map((u) => ({
          kind: '催办',
          date: u.at,
          who: u.unitIds.map(unit).join('、'),
          text: u.text,
          by: u.byName,
          at: u.at,
        })),
        ...l.interviews.map((i) => ({
          kind: '约谈',
          date: i.heldOn,
          who: i.attendees,
          text: i.summary,
          by: i.byName,
          at: i.at,
        })),
      ],
    },
    {
      name: '日历变更',
      title: `工作日历变更：${l.title}`,
      columns: [
        { header: '变更时间', key: 'at', kind: 'dateTime' },
        { header: '日历版本', key: 'versions' },
        { header: '变动内容', key: 'what', width: 24 },
        { header: '原日期', key: 'from', kind: 'date' },
        { header: '新日期', key: 'to', kind: 'date' },
      ],
      rows: l.calendarChanges.flatMap((c) =>
        c.moves.map((m) => ({
          at: c.at,
          versions: `${c.from} → ${c.to}`,
          what: `${step(m.step)}${MOVE_KINDS[m.kind] ?? m.kind}${m.kind === 'rung' && m.key ? `（${m.key}）` : ''}`,
          from: m.from,
          to: m.to,
        })),
      ),
    },
    {
      name: '配合单位',
      title: `配合单位：${l.title}`,
      columns: [
        { header: '配合单位', key: 'unit', width: 30 },
        { header: '状态', key: 'state' },
        { header: '期限', key: 'deadline', kind: 'date' },
      ],
      rows: l.coUnits.map((c) => ({
        unit: unit(c.unitId),
        state: CO_STATE_LABELS[c.state] ?? c.state,
        deadline: c.deadline,
      })),
    },
    {
      name: '逐日计算',
      title: `逐日计算（自交办次日起）：${l.title}`,
      columns: [
        { header: '日期', key: 'date', kind: 'date' },
        { header: '星期', key: 'weekday' },
        { header: '是否计入', key: 'reason' },
        { header: '说明', key: 'note', width: 30 },
      ],
      rows: l.days.map((d) => ({
        date: d.date,
        weekday: WEEKDAYS[d.weekday],
        reason: DAY_REASON_LABELS[d.reason] ?? d.reason,
        note: d.calendarKnown ? '' : '该年无节假日数据，按周一至周五计',
      })),
    },
  ]);
  return { body, fileName: xlsxFileName(`期限台账-${number ?? l.itemId}`, now) };
}
