import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  currentUpdateInfo,
  patched,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { z } from 'zod';
import type { Activities } from '../activities';
import type { NotificationDraft, RecordTransition } from '../activities/record';
import { ActorSchema, SYSTEM_ACTOR } from '../domain/actors';
import type { Calendar } from '../domain/calendar';
import { CreateItemSchema, parseCommand, type Command } from '../domain/commands';
import {
  afterTransition,
  fireRung,
  pendingRungs,
  previousRung,
  scheduledReinspection,
  startDeadlines,
  type Deadlines,
} from '../domain/deadlines';
import { createItem, decide, isFinished, isTerminal, type EventDraft, type Item, type Refusal } from '../domain/item';
import { DEFAULT_POLICY, PolicySchema } from '../domain/policy';
import { attentionGuard } from './attention';
import { transitionKey } from './ids';
import { itemSearchAttributes } from './item-search-attributes';
import { actUpdate, attentionQuery, itemQuery, recordedUpdate, REFUSAL_TYPE } from './messages';

export const ItemWorkflowInputSchema = z.object({
  id: z.string().min(1).max(64),
  problemListId: z.string().nullable(),
  spec: CreateItemSchema,
  createdBy: ActorSchema,
  config: z.object({ maxDeclines: z.number().int().min(0).max(10) }),
  /** The deadline policy in force when the item was opened; the item keeps it. */
  policy: PolicySchema.optional(),
});
export type ItemWorkflowInput = z.input<typeof ItemWorkflowInputSchema>;

/** Items started before the working-day deadlines and the escalation ladder keep running without them. */
export const LADDER_PATCH = 'deadline-ladder';

// Local activities: the write runs in the worker within the same workflow task, so a confirmed
// transition costs one round trip to the server instead of three. PostgreSQL may be down for a
// while: it keeps retrying (locally, then through timers) and nothing is dropped.
const LOCAL = {
  startToCloseTimeout: '10 seconds',
  localRetryThreshold: '10 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
} as const;
const unlimited = proxyLocalActivities<Activities>(LOCAL);
// The same with an attempt limit (about two and a half minutes of attempts), after which the item
// is flagged as needing attention and the step is tried again on a timer (./attention.ts).
const limited = proxyLocalActivities<Activities>({ ...LOCAL, retry: { ...LOCAL.retry, maximumAttempts: 12 } });
const { flagAttention } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 3 },
});

/** Items started before attempt limits keep retrying without them. */
export const ATTENTION_PATCH = 'attention-after-retry-limit';

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

/** Tells the supervisor, once per year, that a deadline was counted without calendar data. */
function calendarWarnings(
  workflowId: string,
  before: Deadlines | null,
  after: Deadlines | null,
  item: Item,
): NotificationDraft[] {
  if (!after) return [];
  return after.unknownYears
    .filter((y) => !before?.unknownYears.includes(y))
    .map((year) => ({
      key: `${workflowId}/calendar-unknown/${year}`,
      kind: 'calendar_unknown',
      targets: ['supervisor'],
      unitIds: [item.leadUnitId],
      payload: { year, title: item.title },
    }));
}

/** One workflow per item: holds its state, decides every transition, runs its deadlines, records each step. */
export async function itemWorkflow(rawInput: ItemWorkflowInput): Promise<Item> {
  const input = ItemWorkflowInputSchema.parse(rawInput);
  const { workflowId } = workflowInfo();
  const guarded = patched(ATTENTION_PATCH);
  const guard = attentionGuard((a) => flagAttention({ itemId: input.id, reason: a.reason, since: a.since }));
  const acts = guarded ? limited : unlimited;
  const step = <T>(call: () => Promise<T>): Promise<T> => (guarded ? guard.run(call) : call());
  const recordTransition = (r: RecordTransition) => step(() => acts.recordTransition(r));
  const loadCalendar = () => step(() => acts.loadCalendar());
  const isAcknowledged = (key: string) => step(() => acts.isAcknowledged(key));
  let item = createItem({ ...input, createdAt: new Date().toISOString() });
  let recordedSeq = 0;
  /** Bumped on every accepted transition, so the timer loop recomputes what is due next. */
  let version = 0;

  let calendar: Calendar | null = null;
  /** False while the calendar loads: actions wait, so every one is decided with deadlines in place. */
  let ready = true;

  // Transitions are decided synchronously, in arrival order; their records are written in the
  // same order, so the read model's sequence never goes backwards.
  async function record(
    key: string,
    event: EventDraft,
    snapshot: Item,
    notifications: NotificationDraft[] = [],
  ): Promise<void> {
    await condition(() => recordedSeq === event.seq - 1);
    await recordTransition({ key, item: snapshot, event, ...(notifications.length ? { notifications } : {}) });
    recordedSeq = event.seq;
  }

  upsertSearchAttributes(itemSearchAttributes(item));
  setHandler(itemQuery, () => item);
  setHandler(attentionQuery, () => guard.current());
  setHandler(recordedUpdate, async () => {
    await condition(() => recordedSeq >= item.seq);
    return item;
  });
  setHandler(
    actUpdate,
    async (raw) => {
      const command = parseOrRefuse(raw);
      await condition(() => ready);
      const now = Date.now();
      const result = decide(item, command, new Date(now).toISOString(), input.config);
      if (!result.ok) throw refusalFailure(result);
      const before = item;
      item = result.item;
      if (calendar && before.deadlines) {
        item = { ...item, deadlines: afterTransition(before.deadlines, command.action, before, item, calendar, now) };
      }
      version++;
      const sa = (i: Item) => [i.status, i.leadUnitId, i.dueDate, i.deadlines?.light].join('|');
      if (sa(before) !== sa(item)) upsertSearchAttributes(itemSearchAttributes(item));
      const updateId = currentUpdateInfo()?.id ?? `seq-${result.event.seq}`;
      await record(
        transitionKey(workflowId, updateId),
        result.event,
        item,
        calendarWarnings(workflowId, before.deadlines, item.deadlines, item),
      );
      return item;
    },
    {
      validator: (raw) => {
        const result = decide(item, parseOrRefuse(raw), new Date().toISOString(), input.config);
        if (!result.ok) throw refusalFailure(result);
      },
    },
  );

  if (patched(LADDER_PATCH)) {
    ready = false;
    calendar = await loadCalendar();
    item = { ...item, deadlines: startDeadlines(input.policy ?? DEFAULT_POLICY, calendar, Date.now(), item.dueDate) };
    upsertSearchAttributes(itemSearchAttributes(item));
    ready = true;
  }

  await record(
    transitionKey(workflowId, 'create'),
    {
      seq: 1,
      action: 'create',
      fromStatus: null,
      toStatus: item.status,
      actor: input.createdBy,
      at: item.createdAt,
      payload: input.spec,
      attachments: [],
    },
    item,
    calendarWarnings(workflowId, null, item.deadlines, item),
  );

  if (calendar) await runLadder(calendar);
  await condition(() => isFinished(item) && allHandlersFinished());
  return item;

  function rungKey(f: { step: string; epoch: number; key: string }): string {
    return `${workflowId}/rung/${f.step}/${f.epoch}/${f.key}`;
  }

  function dueNow(cal: Calendar, now: number) {
    return item.deadlines && !isTerminal(item.status)
      ? pendingRungs(item.deadlines, cal).find((r) => r.fireAt <= now)
      : undefined;
  }

  /** The 回头看 day has come: the supervisor is told; the item waits for the re-inspection's result. */
  async function reinspectionDue(now: number): Promise<void> {
    const r = item.deadlines && scheduledReinspection(item.deadlines);
    if (!r || r.dueAt > now || !item.deadlines) return;
    item = {
      ...item,
      deadlines: { ...item.deadlines, reinspection: { ...r, state: 'due' } },
      seq: item.seq + 1,
      updatedAt: new Date(now).toISOString(),
    };
    const key = `${workflowId}/reinspection/${r.due}`;
    await record(
      key,
      {
        seq: item.seq,
        action: 'escalate',
        fromStatus: item.status,
        toStatus: item.status,
        actor: SYSTEM_ACTOR,
        at: new Date(now).toISOString(),
        payload: { key: 'reinspection-due', action: 'reinspection', due: r.due },
        attachments: [],
      },
      item,
      [
        {
          key,
          kind: 'reinspection_due',
          targets: ['supervisor'],
          unitIds: [item.leadUnitId],
          payload: { title: item.title, due: r.due },
        },
      ],
    );
  }

  /** The escalation ladder as durable timers: sleep until the next rung, fire what is due, repeat. */
  async function runLadder(cal: Calendar): Promise<void> {
    while (!isFinished(item) && item.deadlines) {
      const reinspection = scheduledReinspection(item.deadlines);
      const nextAt = Math.min(
        pendingRungs(item.deadlines, cal)[0]?.fireAt ?? Infinity,
        reinspection?.dueAt ?? Infinity,
      );
      const seen = version;
      const stop = () => version !== seen || isFinished(item);
      if (nextAt === Infinity) {
        await condition(stop);
        continue;
      }
      if (await condition(stop, Math.max(1, nextAt - Date.now()))) continue;
      const now = Date.now();
      await reinspectionDue(now);
      // Recomputed after each record: an update may have moved the clocks meanwhile.
      for (let due = dueNow(cal, now); due && item.deadlines; due = dueNow(cal, now)) {
        // An acknowledgement-gated rung climbs only if the notice before it went unacknowledged.
        const previous = due.rung.ackGate ? previousRung(item.deadlines, due) : undefined;
        const skip = previous ? await isAcknowledged(rungKey(previous)) : false;
        const still = dueNow(cal, now);
        if (
          !item.deadlines ||
          !still ||
          still.rung.key !== due.rung.key ||
          still.clock.epoch !== due.clock.epoch ||
          still.clock.step !== due.clock.step
        )
          continue;
        const { deadlines, fired } = fireRung(item.deadlines, due, now, skip);
        const lightChanged = deadlines.light !== item.deadlines.light;
        item = { ...item, deadlines, seq: item.seq + 1, updatedAt: new Date(now).toISOString() };
        if (lightChanged) upsertSearchAttributes(itemSearchAttributes(item));
        const key = rungKey(fired);
        const event: EventDraft = {
          seq: item.seq,
          action: 'escalate',
          fromStatus: item.status,
          toStatus: item.status,
          actor: SYSTEM_ACTOR,
          at: new Date(now).toISOString(),
          payload: {
            ...fired,
            light: deadlines.light,
            dueAt: new Date(fired.dueAt).toISOString(),
            firedAt: new Date(fired.firedAt).toISOString(),
          },
          attachments: [],
        };
        const notification: NotificationDraft = {
          key,
          kind: fired.action,
          targets: fired.targets,
          unitIds: [item.leadUnitId, ...(fired.targets.includes('co_units') ? item.coParts.map((p) => p.unitId) : [])],
          payload: { title: item.title, step: fired.step, deadline: fired.deadline, light: deadlines.light },
        };
        await record(key, event, item, skip ? [] : [notification]);
      }
    }
  }
}
