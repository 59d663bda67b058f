import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  currentUpdateInfo,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { z } from 'zod';
import type { Activities } from '../activities';
import type { RecordTransition } from '../activities/record';
import { ActorSchema } from '../domain/actors';
import type { Calendar } from '../domain/calendar';
import { BackdatedSchema, CreateItemSchema, parseCommand, type Command } from '../domain/commands';
import { CREATE_ID, calendarNotices, creationEvent, rungId, type KeyOf } from '../domain/events';
import { createItem, decide, isFinished, type EventDraft, type Item, type Refusal } from '../domain/item';
import {
  applyCalendar,
  climb,
  dueRung,
  gatingRung,
  moveClocks,
  nextWakeAt,
  notApplicableRungs,
  reinspectionDue,
  startBackdated,
  startClocks,
  stillDue,
} from '../domain/ladder';
import type { NotificationDraft } from '../domain/notifications';
import { DEFAULT_POLICY, PolicySchema } from '../domain/policy';
import { attentionGuard } from './attention';
import { transitionKey } from './ids';
import { itemSearchAttributes } from './item-search-attributes';
import {
  actUpdate,
  attentionQuery,
  calendarSignal,
  itemQuery,
  recordedSeqQuery,
  recordedUpdate,
  REFUSAL_TYPE,
} from './messages';

export const ItemWorkflowInputSchema = z.object({
  id: z.string().min(1).max(64),
  problemListId: z.string().nullable(),
  spec: CreateItemSchema,
  createdBy: ActorSchema,
  config: z.object({ maxDeclines: z.number().int().min(0).max(10) }),
  /** The deadline policy in force when the item was opened; the item keeps it. */
  policy: PolicySchema.optional(),
  /**
   * A backdated import of an item that began in an older system: absent for every other item
   * (which then runs exactly as before). Rungs whose time had passed are recorded as not applicable.
   */
  backdated: BackdatedSchema.optional(),
});
export type ItemWorkflowInput = z.input<typeof ItemWorkflowInputSchema>;

/** Items started before the working-day deadlines and the escalation ladder keep running without them. */
export const LADDER_PATCH = 'deadline-ladder';

// Local activities: they run in the worker within the same workflow task. Only reads are left
// here (the calendar, an acknowledgement) and, before RECORD_AFTER_ACCEPT_PATCH, the records.
// PostgreSQL may be down for a while: they keep retrying (locally, then through timers) and
// nothing is dropped.
const LOCAL = {
  startToCloseTimeout: '10 seconds',
  localRetryThreshold: '10 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
} as const;
const unlimited = proxyLocalActivities<Activities>(LOCAL);
// The same with an attempt limit (about two and a half minutes of attempts), after which the item
// is flagged as needing attention and the step is tried again on a timer (./attention.ts).
const limited = proxyLocalActivities<Activities>({ ...LOCAL, retry: { ...LOCAL.retry, maximumAttempts: 12 } });
// Ordinary activities for the records: scheduled by the workflow task that accepts the Update (or
// fires the rung), so the server has saved the acceptance before the worker is given the write;
// eager dispatch hands the task back in the reply to that completion, with no poll in between.
// Same timeout and backoff as the local ones; the server retries them.
const RECORD = {
  startToCloseTimeout: LOCAL.startToCloseTimeout,
  retry: LOCAL.retry,
  allowEagerDispatch: true,
} as const;
const recordUnlimited = proxyActivities<Activities>(RECORD);
const recordLimited = proxyActivities<Activities>({ ...RECORD, retry: { ...RECORD.retry, maximumAttempts: 12 } });
const { flagAttention } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 3 },
});

/** Items started before attempt limits keep retrying without them. */
export const ATTENTION_PATCH = 'attention-after-retry-limit';

/**
 * Records written by an ordinary activity, after Temporal has saved the step, instead of by a
 * local activity inside the workflow task that decides it (a task the server may lose with the
 * record already in PostgreSQL). Asked at each attempt of a record rather than once at start: a
 * running item moves to the new path at its next record (or its next round of attempts, if one
 * was failing when the new code came), while the records already in its history (local activity
 * markers, no patch marker) replay as local activities.
 */
export const RECORD_AFTER_ACCEPT_PATCH = 'record-after-accept';

function refusalFailure(refusal: Refusal): ApplicationFailure {
  return ApplicationFailure.create({
    message: refusal.message,
    type: REFUSAL_TYPE,
    nonRetryable: true,
    details: [refusal],
  });
}

function parseOrRefuse(raw: unknown): Command {
  try {
    return parseCommand(raw);
  } catch (err) {
    throw ApplicationFailure.create({
      message: `invalid command: ${(err as Error).message}`,
      type: 'InvalidCommand',
      nonRetryable: true,
    });
  }
}

/** The guarded steps that reach PostgreSQL (see `startRun`). */
interface Steps {
  recordTransition(r: RecordTransition): Promise<void>;
  loadCalendar(): Promise<Calendar>;
  isAcknowledged(key: string): Promise<boolean>;
}

/** What one item's workflow holds while it runs: the queries read it; the handlers and the ladder move it. */
interface Run {
  readonly input: z.output<typeof ItemWorkflowInputSchema>;
  /** `<workflow id>/<id>` for each step's id (`transitionKey`). */
  readonly keyOf: KeyOf;
  readonly guard: ReturnType<typeof attentionGuard>;
  readonly steps: Steps;
  item: Item;
  /** The seq of the last transition written to PostgreSQL. */
  recordedSeq: number;
  /** Bumped on every accepted transition, so the timer loop recomputes what is due next. */
  version: number;
  calendar: Calendar | null;
  /** False while the calendar loads: actions wait, so every one is decided with deadlines in place. */
  ready: boolean;
  /** The calendar changed since it was loaded: the ladder applies the new one before it sleeps again. */
  calendarChanged: boolean;
}

/** One workflow per item: holds its state, decides every transition, runs its deadlines, records each step. */
export async function itemWorkflow(rawInput: ItemWorkflowInput): Promise<Item> {
  const input = ItemWorkflowInputSchema.parse(rawInput);
  const run = startRun(input);
  upsertSearchAttributes(itemSearchAttributes(run.item));
  handleMessages(run);

  if (patched(LADDER_PATCH)) {
    run.ready = false;
    run.calendar = await run.steps.loadCalendar();
    run.item = startClocks(run.item, input.policy ?? DEFAULT_POLICY, run.calendar, Date.now());
    if (input.backdated) run.item = startBackdated(run.item, run.calendar, input.backdated.openedOn, Date.now());
    upsertSearchAttributes(itemSearchAttributes(run.item));
    run.ready = true;
  }

  await record(
    run,
    run.keyOf(CREATE_ID),
    creationEvent(
      run.item,
      input.createdBy,
      input.spec,
      input.backdated && { openedOn: input.backdated.openedOn, notApplicable: notApplicableRungs(run.item) },
    ),
    run.item,
    calendarNotices(run.item, null, run.keyOf),
  );

  if (run.calendar) await runLadder(run);
  await condition(() => isFinished(run.item) && allHandlersFinished());
  return run.item;
}

/**
 * The item as opened, and the steps that reach PostgreSQL: with attempt limits and
 * `attentionGuard`, unless the item was started before them.
 */
function startRun(input: Run['input']): Run {
  const { workflowId } = workflowInfo();
  const guarded = patched(ATTENTION_PATCH);
  const guard = attentionGuard((a) => flagAttention({ itemId: input.id, reason: a.reason, since: a.since }));
  const acts = guarded ? limited : unlimited;
  const records = guarded ? recordLimited : recordUnlimited;
  const step = <T>(call: () => Promise<T>): Promise<T> => (guarded ? guard.run(call) : call());
  return {
    input,
    keyOf: (id) => transitionKey(workflowId, id),
    guard,
    steps: {
      recordTransition: (r) => step(() => (patched(RECORD_AFTER_ACCEPT_PATCH) ? records : acts).recordTransition(r)),
      loadCalendar: () => step(() => acts.loadCalendar()),
      isAcknowledged: (key) => step(() => acts.isAcknowledged(key)),
    },
    item: createItem({ ...input, createdAt: new Date().toISOString() }),
    recordedSeq: 0,
    version: 0,
    calendar: null,
    ready: true,
    calendarChanged: false,
  };
}

/** The queries and Updates, registered before the first await so that update-with-start finds them. */
function handleMessages(run: Run): void {
  setHandler(itemQuery, () => run.item);
  setHandler(attentionQuery, () => run.guard.current());
  setHandler(recordedSeqQuery, () => ({ seq: run.item.seq, recordedSeq: run.recordedSeq }));
  setHandler(recordedUpdate, async () => {
    await condition(() => run.recordedSeq >= run.item.seq);
    return run.item;
  });
  setHandler(actUpdate, (raw) => act(run, raw), { validator: (raw) => validate(run, raw) });
  setHandler(calendarSignal, () => {
    run.calendarChanged = true;
    run.version++;
  });
}

/** The Update's validator: a refused action never enters history. */
function validate(run: Run, raw: unknown): void {
  const result = decide(run.item, parseOrRefuse(raw), new Date().toISOString(), run.input.config);
  if (!result.ok) throw refusalFailure(result);
}

/**
 * An action: decided (domain), its clocks moved, shown in the search attributes, recorded; answers
 * the new state once PostgreSQL has it.
 */
async function act(run: Run, raw: unknown): Promise<Item> {
  const command = parseOrRefuse(raw);
  await condition(() => run.ready);
  const now = Date.now();
  const result = decide(run.item, command, new Date(now).toISOString(), run.input.config);
  if (!result.ok) throw refusalFailure(result);
  const before = run.item;
  advance(
    run,
    run.calendar
      ? moveClocks(before, result.item, command.action, run.calendar, now, command.actor.userId)
      : result.item,
  );
  run.version++;
  const updateId = currentUpdateInfo()?.id ?? `seq-${result.event.seq}`;
  await record(
    run,
    run.keyOf(updateId),
    result.event,
    run.item,
    calendarNotices(run.item, before.deadlines, run.keyOf),
  );
  return run.item;
}

/** The item moves on; the search attributes follow when one of them changed. */
function advance(run: Run, next: Item): void {
  const shown = (i: Item) => [i.status, i.leadUnitId, i.dueDate, i.deadlines?.light].join('|');
  const changed = shown(run.item) !== shown(next);
  run.item = next;
  if (changed) upsertSearchAttributes(itemSearchAttributes(next));
}

/**
 * Writes one step to PostgreSQL, once Temporal has saved it (RECORD_AFTER_ACCEPT_PATCH): an
 * action's handler awaits this, so the API's 200 still means PostgreSQL shows the change. Steps
 * are decided synchronously, in arrival order; their records are written in the same order, so
 * the read model's sequence never goes backwards.
 */
async function record(
  run: Run,
  key: string,
  event: EventDraft,
  snapshot: Item,
  notifications: NotificationDraft[] = [],
): Promise<void> {
  await condition(() => run.recordedSeq === event.seq - 1);
  await run.steps.recordTransition({ key, item: snapshot, event, ...(notifications.length ? { notifications } : {}) });
  run.recordedSeq = event.seq;
}

/** The escalation ladder as durable timers: sleep until the next rung or 回头看, take what is due, repeat. */
async function runLadder(run: Run): Promise<void> {
  while (!isFinished(run.item) && run.item.deadlines && run.calendar) {
    if (run.calendarChanged) {
      await takeCalendar(run, run.calendar);
      continue;
    }
    const cal = run.calendar;
    const nextAt = nextWakeAt(run.item, cal);
    const seen = run.version;
    const stop = () => run.version !== seen || isFinished(run.item);
    if (nextAt === Infinity) {
      await condition(stop);
      continue;
    }
    if (await condition(stop, Math.max(1, nextAt - Date.now()))) continue;
    const now = Date.now();
    await takeReinspection(run, now);
    // Recomputed after each record: an update may have moved the clocks meanwhile.
    for (let due = dueRung(run.item, cal, now); due; due = dueRung(run.item, cal, now)) {
      // An acknowledgement-gated rung climbs only if the notice before it went unacknowledged.
      const gate = gatingRung(run.item, due);
      const acknowledged = gate ? await run.steps.isAcknowledged(run.keyOf(rungId(gate))) : false;
      if (!stillDue(run.item, cal, now, due)) continue;
      const fired = climb(run.item, due, now, acknowledged, run.keyOf);
      advance(run, fired.item);
      await record(run, fired.key, fired.event, run.item, fired.notices);
    }
  }
}

/**
 * The calendar in force now replaces the one the item counted with: its pending dates move, the
 * change is on record with both versions. Actions wait meanwhile, so none is decided half-way.
 */
async function takeCalendar(run: Run, from: Calendar): Promise<void> {
  run.calendarChanged = false;
  run.ready = false;
  const to = await run.steps.loadCalendar();
  const step = applyCalendar(run.item, from, to, Date.now(), run.keyOf);
  run.calendar = to;
  run.ready = true;
  if (!step) return;
  const before = run.item.deadlines;
  advance(run, step.item);
  run.version++;
  await record(run, step.key, step.event, run.item, calendarNotices(run.item, before, run.keyOf));
}

/** The 回头看 day has come: the supervisor is told; the item waits for the re-inspection's result. */
async function takeReinspection(run: Run, now: number): Promise<void> {
  const due = reinspectionDue(run.item, now, run.keyOf);
  if (!due) return;
  advance(run, due.item);
  await record(run, due.key, due.event, run.item, due.notices);
}
