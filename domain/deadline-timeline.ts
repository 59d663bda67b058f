/**
 * "Why is it red": an item's deadlines as an SLA timeline, one bar per stage (签收, 整改方案,
 * 整改办结, 核查) with its deadlines (each replacement a marker: who, when, why), the working days
 * used, the pauses and every rung of the ladder placed on it; and for the light in force, the rung
 * that set it, under which rule and since which day. Pure: built from the item's recorded
 * deadlines (what the ledger shows) and its events (who acted, when each verification round ran).
 */
import { shanghaiDate, workingDaysBetween, type Calendar } from './calendar';
import { ACTION_LABELS } from './commands';
import {
  overdueWorkingDays,
  pendingRungs,
  rungsBehindLight,
  type Clock,
  type ClockState,
  type Deadlines,
  type EndedBy,
  type FiredRung,
  type PastClock,
} from './deadlines';
import type { Item, Status } from './item';
import { closedText, LIGHT_LABELS, rungEventText, rungRecipientsText, RUNG_EVENT_LABELS } from './labels';
import { LIGHT_OF_ACTION, STEP_LABELS, type Light, type RungAction, type Step } from './policy';

/** What the timeline needs of an item's recorded events. */
export interface TimelineEvent {
  action: string;
  at: string;
  actorUserId: string;
  actorName: string;
}

export type Stage = 'sign' | 'plan' | 'closure' | 'verification';

export const STAGE_LABELS: Record<Stage, string> = {
  sign: '签收',
  plan: '整改方案',
  closure: '整改办结',
  verification: '核查',
};

/** One deadline a stage had: the one in force, or one replaced (with what replaced it, who and when). */
export interface DeadlineMark {
  step: Step;
  epoch: number;
  start: string;
  deadline: string;
  inForce: boolean;
  endedOn: string | null;
  endedBy: EndedBy | null;
  endedByLabel: string | null;
  byUserId: string | null;
  byName: string | null;
  /** The approved extension that replaced it: asked by whom, until when, why. */
  extension: { requestedByName: string; requestedDueDate: string; reason: string; opinion: string } | null;
}

/**
 * fired: sent; skipped: its gate's notice was acknowledged, nothing sent; not_applicable: a
 * backdated import's, never sent; pending: will fire on its day; waiting: its clock is held or
 * paused, it fires only once the clock runs again; not_reached: the item closed before its day;
 * superseded: its deadline was replaced before its day.
 */
export type RungStatus = 'fired' | 'skipped' | 'not_applicable' | 'pending' | 'waiting' | 'not_reached' | 'superseded';

export const RUNG_STATUS_LABELS: Record<RungStatus, string> = {
  fired: '已触发',
  skipped: '未升级（前一通知已确认）',
  not_applicable: '不适用（补录前已过期）',
  pending: '未到期',
  waiting: '暂停计时中',
  not_reached: '办结时未到期',
  superseded: '期限已变更，未触发',
};

export interface RungMark {
  step: Step;
  epoch: number;
  key: string;
  action: RungAction;
  /** "办结销号·约谈提醒" */
  label: string;
  /** "约谈提醒（已发牵头单位负责人，已报督查室）" */
  text: string;
  /** The working day it falls on (it fires at that day's end of work). */
  day: string;
  /** Working days from the deadline the rung is set at: negative before it, positive after. */
  offset: number;
  /** "办结销号期限后第 5 个工作日" */
  rule: string;
  deadline: string;
  status: RungStatus;
  statusLabel: string;
  targets: string[];
  recipients: string;
  firedAt: string | null;
  /** Counted for the light now (fired against a deadline still in force). */
  countsForLight: boolean;
}

export interface Span {
  from: string;
  /** Null: still going on. */
  to: string | null;
  kind: 'suspended' | 'held';
  label: string;
}

export interface StageBar {
  stage: Stage;
  label: string;
  start: string;
  /** The day the stage ended; null while it runs. */
  end: string | null;
  /** The deadline in force (the last one when the stage is over); null for 核查, which has none. */
  deadline: string | null;
  state: ClockState | 'verifying';
  stateLabel: string;
  /** Working days from the start to the end (or today), suspended days not counted. */
  workingDaysUsed: number;
  /** Working days past the deadline at the end (or today). */
  overdueWorkingDays: number;
  deadlines: DeadlineMark[];
  pauses: Span[];
  rungs: RungMark[];
  /** 核查: each round, from handing in to the decision. */
  rounds: Array<{ from: string; to: string | null; outcome: 'passed' | 'returned' | 'open' | 'withdrawn' }>;
}

export interface LightReason {
  light: Light;
  label: string;
  /** The earliest rung of this colour counted now: it set the light. */
  rung: RungMark;
  since: string;
  sentence: string;
}

export interface DeadlineTimeline {
  itemId: string;
  status: Status;
  today: string;
  policy: { id: string; version: number } | null;
  bars: StageBar[];
  /** Open items: the light and why; null for closed and withdrawn items, which have none. */
  light: { light: Light; label: string; reason: LightReason | null; sentence: string } | null;
  /** Closed items: how they closed. */
  closed: { text: string; lateWorkingDays: number; closedOn: string; deadline: string; handedInOn: string } | null;
  withdrawn: boolean;
}

const CLOCK_STATE_LABELS: Record<StageBar['state'], string> = {
  running: '计时中',
  held: '核查中，暂停计时',
  paused: '挂起，暂停计时',
  done: '已完成',
  verifying: '核查中',
};

const STILL_NOT: Record<Step, string> = {
  sign: '仍未签收',
  plan: '仍未报送整改方案',
  progress: '仍未报送进展',
  closure: '仍未办结',
};

/** "办结销号期限后第 3 个工作日" / "签收期限当日" / "办结销号期限前 3 个工作日" */
function ruleText(step: Step, offset: number): string {
  const at = offset > 0 ? `后第 ${offset} 个工作日` : offset === 0 ? '当日' : `前 ${-offset} 个工作日`;
  return `${STEP_LABELS[step]}期限${at}`;
}

/** The day an instant of the ladder falls on: its end of work, 24:00 counting as that day. */
function dayOf(ms: number): string {
  return shanghaiDate(ms - 1);
}

const dayOfIso = (iso: string) => shanghaiDate(Date.parse(iso));

/**
 * The day a rung fired, as the ledger shows it: to the minute, 24:00 counting as the day that
 * ends (a rung fires at its day's end of work, a few seconds past midnight at the latest).
 */
function firedDay(ms: number): string {
  return shanghaiDate(Math.floor(ms / 60_000) * 60_000 - 1);
}

/** How the item closed: written in domain/labels.ts, where the console reads it too. */
export { closedText };

export function deadlineTimeline(item: Item, cal: Calendar, today: string, events: TimelineEvent[]): DeadlineTimeline {
  const d = item.deadlines;
  const closing = item.status === 'closed' ? d?.closing : undefined;
  const base = {
    itemId: item.id,
    status: item.status,
    today,
    policy: d ? { id: d.policy.id, version: d.policy.version } : null,
    closed: closing
      ? {
          text: closedText(closing.lateWorkingDays),
          lateWorkingDays: closing.lateWorkingDays,
          closedOn: closing.closedOn,
          deadline: closing.deadline,
          handedInOn: closing.handedInOn,
        }
      : null,
    withdrawn: item.status === 'withdrawn',
  };
  if (!d) return { ...base, bars: [], light: null };

  const names = new Map(events.map((e) => [e.actorUserId, e.actorName]));
  const coUnits = item.coParts.length > 0;
  const lastDay = (action: string) => {
    const e = [...events].reverse().find((x) => x.action === action);
    return e ? dayOfIso(e.at) : null;
  };
  const counting = new Set(rungsBehindLight(d));
  const offsetOf = (step: Step, key: string, deadline: string, day: string) =>
    d.policy.ladder.find((r) => r.step === step && r.key === key)?.offset ?? workingDaysBetween(cal, deadline, day);
  const mark = (
    r: { step: Step; epoch: number; key: string; action: RungAction; deadline: string; targets: string[] },
    day: string,
    status: RungStatus,
    firedAt: number | null,
    counts: boolean,
    flags: { skipped?: boolean; notApplicable?: boolean } = {},
  ): RungMark => ({
    step: r.step,
    epoch: r.epoch,
    key: r.key,
    action: r.action,
    label: `${STEP_LABELS[r.step]}·${RUNG_EVENT_LABELS[r.action]}`,
    text:
      status === 'fired' || status === 'skipped' || status === 'not_applicable'
        ? rungEventText({ action: r.action, targets: r.targets, coUnits, ...flags })
        : rungPlanText(r.action, r.targets, coUnits, status),
    day,
    offset: offsetOf(r.step, r.key, r.deadline, day),
    rule: ruleText(r.step, offsetOf(r.step, r.key, r.deadline, day)),
    deadline: r.deadline,
    status,
    statusLabel: RUNG_STATUS_LABELS[status],
    targets: r.targets,
    recipients: rungRecipientsText(r.targets, coUnits, recipientsWhen(status)),
    firedAt: firedAt === null ? null : new Date(firedAt).toISOString(),
    countsForLight: counts,
  });

  const rungs: RungMark[] = d.fired.map((f: FiredRung) =>
    mark(
      f,
      dayOf(f.dueAt),
      f.notApplicable ? 'not_applicable' : f.skipped ? 'skipped' : 'fired',
      f.firedAt,
      counting.has(f),
      f,
    ),
  );
  // The rungs still to come on one clock, by the ladder's own plan (the same the workflow fires by).
  const planOf = (c: Clock) =>
    pendingRungs({ ...d, clocks: { [c.step]: { ...c, state: 'running' } } }, cal).map((r) => ({
      step: c.step,
      epoch: c.epoch,
      key: r.rung.key,
      action: r.rung.action,
      deadline: c.deadline,
      targets: r.rung.targets,
      day: r.day,
    }));
  for (const c of Object.values(d.clocks)) {
    if (c.state === 'done') continue;
    for (const r of planOf(c)) rungs.push(mark(r, r.day, c.state === 'running' ? 'pending' : 'waiting', null, false));
  }
  for (const r of closing?.plan ?? [])
    rungs.push(
      mark(
        { ...r, targets: d.policy.ladder.find((x) => x.key === r.key)?.targets ?? [] },
        dayOf(r.dueAt),
        'not_reached',
        null,
        false,
      ),
    );
  // A replaced deadline's rungs that never came (the reports' clock restarts every report: left out).
  for (const p of d.past ?? []) {
    if (p.step === 'progress') continue;
    for (const r of planOf(p)) if (r.day >= p.endedOn) rungs.push(mark(r, r.day, 'superseded', null, false));
  }
  rungs.sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));

  const marks = (step: Step): DeadlineMark[] => [
    ...(d.past ?? []).filter((p) => p.step === step).map((p) => pastMark(p, item, names)),
    ...(d.clocks[step] ? [inForceMark(d.clocks[step])] : []),
  ];
  const suspended = (from: string, to: string | null): Span[] =>
    d.pauses
      .filter((p) => (to === null || p.from < to) && (p.to === null || p.to > from))
      .map((p) => ({ from: p.from, to: p.to, kind: 'suspended', label: '挂起（不计时，期限顺延）' }));
  const used = (from: string, to: string) => {
    const paused = d.pauses.reduce((n, p) => {
      const a = p.from > from ? p.from : from;
      const b = p.to === null || p.to > to ? to : p.to;
      return n + (b > a ? workingDaysBetween(cal, a, b) : 0);
    }, 0);
    return Math.max(0, workingDaysBetween(cal, from, to) - paused);
  };

  const rounds = verificationRounds(events);
  const bars: StageBar[] = [];
  const clockBar = (stage: Stage, step: Step, end: string | null, extraRungs: Step[] = []): void => {
    const ms = marks(step);
    const now = ms[ms.length - 1];
    if (!now) return;
    const state = d.clocks[step]?.state ?? 'done';
    const upTo = end ?? today;
    const held =
      step === 'closure'
        ? rounds.map((r) => ({
            from: r.from,
            to: r.to,
            kind: 'held' as const,
            label: '核查中（单位已提交，暂停计时）',
          }))
        : [];
    const lateTo =
      step === 'closure' && closing ? closing.handedInOn : state === 'held' ? (d.clocks[step]?.heldOn ?? upTo) : upTo;
    bars.push({
      stage,
      label: STAGE_LABELS[stage],
      start: ms[0]!.start,
      end,
      deadline: now.deadline,
      state,
      stateLabel: CLOCK_STATE_LABELS[state],
      workingDaysUsed: used(ms[0]!.start, lateTo),
      overdueWorkingDays:
        step === 'closure' && closing ? closing.lateWorkingDays : overdueWorkingDays(cal, now.deadline, lateTo),
      deadlines: ms,
      pauses: [...suspended(ms[0]!.start, end), ...held].sort((a, b) => (a.from < b.from ? -1 : 1)),
      rungs: rungs.filter((r) => r.step === step || extraRungs.includes(r.step)),
      rounds: [],
    });
  };
  const withdrawnOn = item.status === 'withdrawn' ? lastDay('withdraw') : null;
  clockBar('sign', 'sign', d.signedOn ?? withdrawnOn);
  clockBar('plan', 'plan', lastDay('filePlan') ?? (d.clocks.plan?.state === 'done' ? withdrawnOn : null));
  clockBar('closure', 'closure', closing?.handedInOn ?? withdrawnOn, ['progress']);
  if (rounds.length > 0) {
    const last = rounds[rounds.length - 1]!;
    bars.push({
      stage: 'verification',
      label: STAGE_LABELS.verification,
      start: rounds[0]!.from,
      end: last.to,
      deadline: null,
      state: last.outcome === 'open' ? 'verifying' : 'done',
      stateLabel: last.outcome === 'open' ? CLOCK_STATE_LABELS.verifying : CLOCK_STATE_LABELS.done,
      workingDaysUsed: rounds.reduce((n, r) => n + workingDaysBetween(cal, r.from, r.to ?? today), 0),
      overdueWorkingDays: 0,
      deadlines: [],
      pauses: [],
      rungs: [],
      rounds,
    });
  }

  const open = item.status !== 'closed' && item.status !== 'withdrawn';
  return { ...base, bars, light: open ? lightOf(d, rungs, item, cal, today) : null };
}

/** Only a rung that fired was sent; one still to come will be; any other never was. */
function recipientsWhen(status: RungStatus): 'sent' | 'due' | 'unsent' {
  return status === 'fired' ? 'sent' : status === 'pending' || status === 'waiting' ? 'due' : 'unsent';
}

/** A rung that has not fired: "约谈提醒（将发牵头单位负责人，将报督查室）". */
function rungPlanText(action: RungAction, targets: string[], coUnits: boolean, status: RungStatus): string {
  const to = rungRecipientsText(targets, coUnits, recipientsWhen(status));
  return to ? `${RUNG_EVENT_LABELS[action]}（${to}）` : RUNG_EVENT_LABELS[action];
}

/** Policies have no display name; the shipped one is the 默认期限规则. */
function policyName(id: string): string {
  return id === 'default' ? '默认期限规则' : `期限规则 ${id}`;
}

/** The light in force and the rung that set it: the earliest of that colour among those counted now. */
function lightOf(d: Deadlines, rungs: RungMark[], item: Item, cal: Calendar, today: string): DeadlineTimeline['light'] {
  const label = LIGHT_LABELS[d.light];
  const setter = rungs
    .filter((r) => r.countsForLight && LIGHT_OF_ACTION[r.action] === d.light)
    .sort((a, b) => (a.firedAt! < b.firedAt! ? -1 : 1))[0];
  if (d.light === 'green' || !setter) {
    const next = rungs.find((r) => r.status === 'pending' && LIGHT_OF_ACTION[r.action] !== 'green');
    const sentence = `为什么是${label}：没有已触发的催办升级${
      next ? `；下一步为${next.rule}（${next.day}）${next.label}` : ''
    }。`;
    return { light: d.light, label, reason: null, sentence };
  }
  const closure = d.clocks.closure;
  const overdue = closure && closure.state === 'running' ? overdueWorkingDays(cal, closure.deadline, today) : 0;
  const since = setter.firedAt ? firedDay(Date.parse(setter.firedAt)) : setter.day;
  const passed =
    setter.offset > 0
      ? `已过 ${setter.offset} 个工作日`
      : setter.offset === 0
        ? '已到期'
        : `前 ${-setter.offset} 个工作日`;
  const sentence =
    `为什么是${label}：${STEP_LABELS[setter.step]}期限 ${setter.deadline} ${passed}${STILL_NOT[setter.step]}，` +
    `依据${policyName(d.policy.id)}（第 ${d.policy.version} 版）“${setter.rule} → ${RUNG_EVENT_LABELS[setter.action]}”，` +
    `自 ${since} 起为${label}${since === setter.day ? '' : `（按规则应于 ${setter.day} 触发）`}` +
    (setter.status === 'not_applicable'
      ? '（补录前已过期，未发送）'
      : setter.recipients
        ? `（${setter.recipients}）`
        : '') +
    '。' +
    (overdue > 0 ? `办结时限已过 ${overdue} 个工作日。` : '') +
    (item.status === 'suspended' ? '事项挂起中，计时暂停。' : '');
  return { light: d.light, label, reason: { light: d.light, label, rung: setter, since, sentence }, sentence };
}

function inForceMark(c: Clock): DeadlineMark {
  return {
    step: c.step,
    epoch: c.epoch,
    start: c.start,
    deadline: c.deadline,
    inForce: true,
    endedOn: null,
    endedBy: null,
    endedByLabel: null,
    byUserId: null,
    byName: null,
    extension: null,
  };
}

function pastMark(p: PastClock, item: Item, names: Map<string, string>): DeadlineMark {
  const ext =
    p.endedBy === 'decideExtension'
      ? [...item.extensions]
          .reverse()
          .find(
            (e) => e.decision?.approved && dayOfIso(e.decision.at) === p.endedOn && e.decision.by === p.endedByUserId,
          )
      : undefined;
  return {
    step: p.step,
    epoch: p.epoch,
    start: p.start,
    deadline: p.deadline,
    inForce: false,
    endedOn: p.endedOn,
    endedBy: p.endedBy,
    endedByLabel: p.endedBy === 'calendar' ? '工作日历变更' : ACTION_LABELS[p.endedBy],
    byUserId: p.endedByUserId ?? null,
    byName: p.endedByUserId ? (names.get(p.endedByUserId) ?? p.endedByUserId) : null,
    extension: ext
      ? {
          requestedByName: names.get(ext.requestedBy) ?? ext.requestedBy,
          requestedDueDate: ext.requestedDueDate,
          reason: ext.reason,
          opinion: ext.decision?.opinion ?? '',
        }
      : null,
  };
}

/** Each time the unit handed in (申请销号) to the supervisor's decision on it. */
function verificationRounds(events: TimelineEvent[]): StageBar['rounds'] {
  const rounds: StageBar['rounds'] = [];
  for (const e of events) {
    const open = rounds[rounds.length - 1]?.outcome === 'open' ? rounds[rounds.length - 1] : undefined;
    if (e.action === 'submit' && !open) rounds.push({ from: dayOfIso(e.at), to: null, outcome: 'open' });
    else if (open && (e.action === 'verifyPass' || e.action === 'verifyReturn' || e.action === 'withdraw')) {
      open.to = dayOfIso(e.at);
      open.outcome = e.action === 'verifyPass' ? 'passed' : e.action === 'verifyReturn' ? 'returned' : 'withdrawn';
    }
  }
  return rounds;
}
