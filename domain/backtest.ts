/**
 * A ladder tried on the past: what a candidate deadline policy would have fired on items already
 * recorded, beside what their own policy did fire. Pure: for each item, its recorded events are
 * replayed through the same deadline code the item's workflow runs (`startClocks`,
 * `afterTransition` on each accepted action, `pendingRungs`/`fireRung` at each instant), with the
 * candidate policy in place of the item's own; the recorded rungs are the `escalate` events of
 * its log. The caller loads the events and says how the acknowledgement gates went.
 */
import { shanghaiDate, type Calendar } from './calendar';
import { ACTIONS, type Action, type CreateItem } from './commands';
import {
  afterTransition,
  fireRung,
  pendingRungs,
  previousRung,
  type Deadlines,
  type DueRung,
  type ItemFacts,
} from './deadlines';
import { rungId } from './events';
import { createItem, isTerminal, type Status } from './item';
import { startBackdated, startClocks } from './ladder';
import { LIGHT_OF_ACTION, RUNG_ACTIONS, TARGETS, type Policy, type RungAction } from './policy';

export type Target = (typeof TARGETS)[number];

/** One recorded event of an item, as item_events holds it (instants in ms). */
export interface RecordedEvent {
  seq: number;
  action: string;
  toStatus: string;
  actorUserId: string;
  at: number;
  payload: unknown;
}

/** One item to replay: its creation (seq 1, whose payload is the spec) and every event after it, in seq order. */
export interface RecordedItem {
  id: string;
  number: string;
  title: string;
  events: RecordedEvent[];
}

/** Whom a rung is sent to, resolved on the item as it stood: a unit's handlers or leaders, or oversight. */
export interface ResolvedTarget {
  target: Target;
  /** The unit whose people receive it (absent for 督查室 and 领导: they are told of the lead unit's item). */
  unitId?: string;
}

export interface BacktestRung {
  step: string;
  epoch: number;
  key: string;
  action: RungAction;
  /** The instant it fired (the candidate: the earliest its timer could wake; recorded: as recorded). */
  at: number;
  dueAt: number;
  targets: ResolvedTarget[];
  /** An acknowledgement-gated rung whose previous notice had been read: on record, not sent. */
  skipped: boolean;
  /**
   * A backdated import's rung whose time (`dueAt`) had passed before the item entered this system:
   * recorded at the import (`at`), never sent, counted for the light (不适用).
   */
  notApplicable: boolean;
}

export type Change = 'earlier' | 'later' | 'same' | 'new' | 'gone' | 'none';

export interface ItemBacktest {
  itemId: string;
  number: string;
  title: string;
  /** The lead unit at the end of the replay. */
  leadUnitId: string;
  candidate: BacktestRung[];
  recorded: BacktestRung[];
  /** When the light first turned red under each (null: never, up to the horizon). */
  redCandidateAt: number | null;
  redRecordedAt: number | null;
  change: Change;
}

/**
 * The earliest time the recorded notice of a rung (`rungId`: step, epoch, key) on this item was
 * read, or null: never read, or never sent (a rung only the candidate fires has no notice).
 */
export type AckLookup = (itemId: string, rungId: string) => number | null;

/** The item facts the clocks follow, and whom targets resolve to. */
interface Facts extends ItemFacts {
  status: Status;
  leadUnitId: string;
  coUnitIds: string[];
  /** The due date of the extension asked for and not yet decided. */
  askedDueDate: string | null;
}

const rec = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const strs = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;

/** The spec the creation event records (older rows may lack optional fields: the schema's defaults). */
export function specOf(payload: unknown): CreateItem {
  const p = rec(payload);
  return {
    title: str(p.title) ?? '',
    description: str(p.description) ?? '',
    category: (str(p.category) ?? 'other') as CreateItem['category'],
    priority: (str(p.priority) ?? 'normal') as CreateItem['priority'],
    source: str(p.source) ?? '',
    leadUnitId: str(p.leadUnitId) ?? '',
    coUnitIds: strs(p.coUnitIds) ?? [],
    dueDate: str(p.dueDate) ?? '',
  };
}

/**
 * The facts after an accepted action, from what its event records: the new state, and the lead
 * unit, co-units and due date where the action changes them (as `decide` did).
 */
export function factsAfter(f: Facts, e: RecordedEvent): Facts {
  const p = rec(e.payload);
  const next: Facts = { ...f, status: e.toStatus as Status };
  const without = (units: string[], lead: string) => [...new Set(units)].filter((u) => u !== lead);
  switch (e.action) {
    case 'reassign': {
      const lead = str(p.leadUnitId) ?? f.leadUnitId;
      const co = strs(p.coUnitIds);
      return {
        ...next,
        leadUnitId: lead,
        coUnitIds: without(co ?? f.coUnitIds, lead),
        dueDate: str(p.dueDate) ?? f.dueDate,
      };
    }
    case 'arbitrate': {
      const lead = str(p.unitId) ?? f.leadUnitId;
      return { ...next, leadUnitId: lead, coUnitIds: without(f.coUnitIds, lead) };
    }
    case 'edit': {
      const c = rec(p.changes);
      const to = (k: string) => rec(c[k]).to;
      const lead = str(to('leadUnitId')) ?? f.leadUnitId;
      return {
        ...next,
        leadUnitId: lead,
        coUnitIds: without(strs(to('coUnitIds')) ?? f.coUnitIds, lead),
        dueDate: str(to('dueDate')) ?? f.dueDate,
      };
    }
    case 'requestExtension':
      return { ...next, askedDueDate: str(p.dueDate) ?? null };
    case 'decideExtension':
      return {
        ...next,
        askedDueDate: null,
        dueDate: p.approved === true && f.askedDueDate ? f.askedDueDate : f.dueDate,
      };
    case 'reinspect':
      return p.relapsed === true && str(p.dueDate) ? { ...next, dueDate: str(p.dueDate)! } : next;
    default:
      return next;
  }
}

/** A rung's targets, resolved on the item as it stands: the lead unit's people, each co-unit's, oversight. */
export function resolveTargets(
  targets: readonly string[],
  f: Pick<Facts, 'leadUnitId' | 'coUnitIds'>,
): ResolvedTarget[] {
  return targets.filter(isTarget).flatMap((target): ResolvedTarget[] => {
    if (target === 'handler' || target === 'unit_leader') return [{ target, unitId: f.leadUnitId }];
    if (target === 'co_units') return f.coUnitIds.map((unitId) => ({ target, unitId }));
    return [{ target }];
  });
}

const isTarget = (t: string): t is Target => (TARGETS as readonly string[]).includes(t);

/** A recorded `escalate` event that is a rung (not a 回头看 falling due, not a calendar change). */
function recordedRung(e: RecordedEvent, f: Facts): BacktestRung | null {
  const p = rec(e.payload);
  const action = str(p.action) as RungAction | undefined;
  if (!action || !RUNG_ACTIONS.includes(action) || typeof p.epoch !== 'number' || !str(p.step)) return null;
  const firedAt = Date.parse(str(p.firedAt) ?? '');
  const dueAt = Date.parse(str(p.dueAt) ?? '');
  return {
    step: str(p.step)!,
    epoch: p.epoch,
    key: str(p.key) ?? '',
    action,
    at: Number.isNaN(firedAt) ? e.at : firedAt,
    dueAt: Number.isNaN(dueAt) ? e.at : dueAt,
    targets: resolveTargets(strs(p.targets) ?? [], f),
    skipped: p.skipped === true,
    notApplicable: false,
  };
}

/** The rungs a backdated import recorded as not applicable, as its creation event lists them (at: the import). */
function recordedNotApplicable(created: RecordedEvent, f: Facts): BacktestRung[] {
  const list = rec(rec(created.payload).backdated).notApplicable;
  if (!Array.isArray(list)) return [];
  return list.flatMap((x): BacktestRung[] => {
    const p = rec(x);
    const action = str(p.action) as RungAction | undefined;
    if (!action || !RUNG_ACTIONS.includes(action) || !str(p.step)) return [];
    const dueAt = Date.parse(str(p.dueAt) ?? '');
    return [
      {
        step: str(p.step)!,
        epoch: 0,
        key: str(p.key) ?? '',
        action,
        at: created.at,
        dueAt: Number.isNaN(dueAt) ? created.at : dueAt,
        targets: resolveTargets([], f),
        skipped: false,
        notApplicable: true,
      },
    ];
  });
}

/**
 * When not-applicable rungs made the light red: the due instant of the first red-or-worse one (the
 * day the item turned red, before it entered this system); null when none is.
 */
function redBeforeImport(rungs: readonly BacktestRung[]): number | null {
  const red = rungs.filter((r) => r.notApplicable && LIGHT_OF_ACTION[r.action] === 'red').map((r) => r.dueAt);
  return red.length > 0 ? Math.min(...red) : null;
}

/** The Asia/Shanghai day of a rung's instant: to the minute, 24:00 counting as the day that ends. */
export function rungDay(ms: number): string {
  return shanghaiDate(Math.floor(ms / 60_000) * 60_000 - 1);
}

function changeOf(candidate: number | null, recorded: number | null): Change {
  if (candidate === null) return recorded === null ? 'none' : 'gone';
  if (recorded === null) return 'new';
  const a = rungDay(candidate);
  const b = rungDay(recorded);
  return a < b ? 'earlier' : a > b ? 'later' : 'same';
}

/**
 * Replays one item under `policy` up to `horizonMs`: its clocks started when it was opened, moved
 * by each recorded action at its recorded instant, and every rung due fired at its own instant
 * (or at once, after the action that made it due), as the workflow's timers would. Null for an
 * item whose log has no creation event.
 */
export function replayItem(
  item: RecordedItem,
  policy: Policy,
  cal: Calendar,
  horizonMs: number,
  ackAt: AckLookup,
): ItemBacktest | null {
  const created = item.events[0];
  if (!created || created.action !== 'create') return null;
  const spec = specOf(created.payload);
  const opened = createItem({
    id: item.id,
    problemListId: null,
    spec,
    createdBy: { userId: created.actorUserId, name: created.actorUserId, role: 'supervisor', unitId: null },
    createdAt: new Date(created.at).toISOString(),
    config: { maxDeclines: 0 },
  });
  let started = startClocks(opened, policy, cal, created.at);
  const backdatedOn = str(rec(rec(created.payload).backdated).openedOn);
  if (backdatedOn) started = startBackdated(started, cal, backdatedOn, created.at);
  let d: Deadlines = started.deadlines!;
  let f: Facts = {
    status: opened.status,
    dueDate: spec.dueDate,
    leadUnitId: spec.leadUnitId,
    coUnitIds: opened.coParts.map((c) => c.unitId),
    askedDueDate: null,
  };
  // A backdated import: the rungs whose time had passed at the import are not applicable on both
  // sides (the candidate's as the workflow would record them under it), and count for the light.
  const candidate: BacktestRung[] = d.fired
    .filter((x) => x.notApplicable)
    .map((x) => ({
      step: x.step,
      epoch: x.epoch,
      key: x.key,
      action: x.action,
      at: x.firedAt,
      dueAt: x.dueAt,
      targets: [],
      skipped: false,
      notApplicable: true,
    }));
  const recorded: BacktestRung[] = recordedNotApplicable(created, f);
  let redCandidateAt: number | null = redBeforeImport(candidate);
  let redRecordedAt: number | null = redBeforeImport(recorded);

  // The rungs still to fire, computed once per state of the clocks (the recorded rungs between actions leave them as they are).
  let pending: DueRung[] | null = null;
  // Every rung due by `until` fires, earliest first, each recomputed after the one before (as the ladder loop does).
  const fireUntil = (until: number, cursor: number) => {
    for (;;) {
      if (isTerminal(f.status)) return;
      const due = (pending ??= pendingRungs(d, cal)).find((r) => r.fireAt <= until);
      if (!due) return;
      const at = Math.max(due.fireAt, cursor);
      const gate = due.rung.ackGate ? previousRung(d, due) : undefined;
      const readAt = gate ? ackAt(item.id, rungId(gate)) : null;
      const acknowledged = readAt !== null && readAt <= at;
      d = fireRung(d, due, at, acknowledged).deadlines;
      pending = null;
      candidate.push({
        step: due.clock.step,
        epoch: due.clock.epoch,
        key: due.rung.key,
        action: due.rung.action,
        at,
        dueAt: due.fireAt,
        targets: resolveTargets(due.rung.targets, f),
        skipped: acknowledged,
        notApplicable: false,
      });
      if (redCandidateAt === null && d.light === 'red') redCandidateAt = at;
    }
  };

  let cursor = created.at;
  for (const e of item.events.slice(1)) {
    if (e.at > horizonMs) break;
    fireUntil(e.at, cursor);
    cursor = Math.max(cursor, e.at);
    if (e.action === 'escalate') {
      const r = recordedRung(e, f);
      if (r) {
        recorded.push(r);
        if (redRecordedAt === null && rec(e.payload).light === 'red') redRecordedAt = r.at;
      }
      continue;
    }
    const after = factsAfter(f, e);
    // An event that is no item action (none today) moves no clock.
    if ((ACTIONS as readonly string[]).includes(e.action)) {
      d = afterTransition(d, e.action as Action, f, after, cal, e.at, e.actorUserId);
      pending = null;
    }
    f = after;
  }
  fireUntil(horizonMs, cursor);

  return {
    itemId: item.id,
    number: item.number,
    title: item.title,
    leadUnitId: f.leadUnitId,
    candidate,
    recorded,
    redCandidateAt,
    redRecordedAt,
    change: changeOf(redCandidateAt, redRecordedAt),
  };
}

/**
 * The rungs the report lists: on record within [from, to] (Asia/Shanghai days; a not-applicable
 * one on the day of its import), skipped ones left out.
 */
export function inPeriod(rungs: readonly BacktestRung[], from: string, to: string): BacktestRung[] {
  return rungs.filter((r) => {
    if (r.skipped) return false;
    const day = rungDay(r.at);
    return day >= from && day <= to;
  });
}

export type ActionCounts = Record<RungAction, number>;

export const zeroCounts = (): ActionCounts => Object.fromEntries(RUNG_ACTIONS.map((a) => [a, 0])) as ActionCounts;

/** What the report adds up as items are replayed, batch by batch. */
export interface BacktestTotals {
  items: number;
  /** Rungs sent, by action. */
  candidate: ActionCounts;
  recorded: ActionCounts;
  /** Rungs of backdated imports recorded as not applicable (never sent), by action, counted apart. */
  notApplicable: { candidate: ActionCounts; recorded: ActionCounts };
  /** `target` or `target|unitId` → counts of rungs sent. */
  byTarget: Map<string, ResolvedTarget & { candidate: number; recorded: number }>;
}

export function emptyTotals(): BacktestTotals {
  return {
    items: 0,
    candidate: zeroCounts(),
    recorded: zeroCounts(),
    notApplicable: { candidate: zeroCounts(), recorded: zeroCounts() },
    byTarget: new Map(),
  };
}

/** Adds one replayed item's rungs in the period to the totals. */
export function addItem(t: BacktestTotals, r: ItemBacktest, from: string, to: string): void {
  t.items++;
  const add = (rungs: BacktestRung[], side: 'candidate' | 'recorded') => {
    for (const rung of inPeriod(rungs, from, to)) {
      if (rung.notApplicable) {
        t.notApplicable[side][rung.action]++;
        continue;
      }
      t[side][rung.action]++;
      for (const target of rung.targets) {
        const key = target.unitId ? `${target.target}|${target.unitId}` : target.target;
        const row = t.byTarget.get(key) ?? { ...target, candidate: 0, recorded: 0 };
        row[side]++;
        t.byTarget.set(key, row);
      }
    }
  };
  add(r.candidate, 'candidate');
  add(r.recorded, 'recorded');
}

/** Whether an item belongs among the report's rows: a rung in the period under either, or its red moved. */
export function worthShowing(r: ItemBacktest, from: string, to: string): boolean {
  return (
    inPeriod(r.candidate, from, to).length > 0 ||
    inPeriod(r.recorded, from, to).length > 0 ||
    (r.change !== 'none' && r.change !== 'same')
  );
}

const CHANGE_ORDER: Record<Change, number> = { new: 0, earlier: 1, later: 2, gone: 3, same: 4, none: 5 };

/** Rows with a change first (new, earlier, later, gone), then by number. */
export function compareRows(a: ItemBacktest, b: ItemBacktest): number {
  return CHANGE_ORDER[a.change] - CHANGE_ORDER[b.change] || (a.number < b.number ? -1 : a.number > b.number ? 1 : 0);
}
