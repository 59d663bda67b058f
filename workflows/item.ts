import {
  ApplicationFailure,
  condition,
  currentUpdateInfo,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  allHandlersFinished,
} from '@temporalio/workflow';
import { z } from 'zod';
import type { Activities } from '../activities';
import { ActorSchema } from '../domain/actors';
import { CreateItemSchema, parseCommand, type Command } from '../domain/commands';
import { createItem, decide, isTerminal, type EventDraft, type Item, type Refusal } from '../domain/item';
import { actUpdate, itemQuery, recordedUpdate, REFUSAL_TYPE } from './messages';
import { itemSearchAttributes } from './item-search-attributes';

export const ItemWorkflowInputSchema = z.object({
  id: z.string().min(1).max(64),
  problemListId: z.string().nullable(),
  spec: CreateItemSchema,
  createdBy: ActorSchema,
  config: z.object({ maxDeclines: z.number().int().min(0).max(10) }),
});
export type ItemWorkflowInput = z.input<typeof ItemWorkflowInputSchema>;

// A local activity: the write runs in the worker within the same workflow task, so a confirmed
// transition costs one round trip to the server instead of three. PostgreSQL may be down for a
// while: it keeps retrying (locally, then through timers) and nothing is dropped.
const { recordTransition } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  localRetryThreshold: '10 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

function refusalFailure(refusal: Refusal): ApplicationFailure {
  return ApplicationFailure.create({ message: refusal.message, type: REFUSAL_TYPE, nonRetryable: true, details: [refusal] });
}

function parseOrRefuse(raw: unknown): Command {
  try {
    return parseCommand(raw);
  } catch (err) {
    throw ApplicationFailure.create({ message: `invalid command: ${(err as Error).message}`, type: 'InvalidCommand', nonRetryable: true });
  }
}

/** One workflow per item: holds its state, decides every transition, records each one. */
export async function itemWorkflow(rawInput: ItemWorkflowInput): Promise<Item> {
  const input = ItemWorkflowInputSchema.parse(rawInput);
  const { workflowId } = workflowInfo();
  let item = createItem({ ...input, createdAt: new Date().toISOString() });
  let recordedSeq = 0;

  // Transitions are decided synchronously, in arrival order; their records are written in the
  // same order, so the read model's sequence never goes backwards.
  async function record(key: string, event: EventDraft, snapshot: Item): Promise<void> {
    await condition(() => recordedSeq === event.seq - 1);
    await recordTransition({ key, item: snapshot, event });
    recordedSeq = event.seq;
  }

  upsertSearchAttributes(itemSearchAttributes(item));
  setHandler(itemQuery, () => item);
  setHandler(recordedUpdate, async () => {
    await condition(() => recordedSeq >= item.seq);
    return item;
  });
  setHandler(
    actUpdate,
    async (raw) => {
      const command = parseOrRefuse(raw);
      const result = decide(item, command, new Date().toISOString(), input.config);
      if (!result.ok) throw refusalFailure(result);
      const before = item;
      item = result.item;
      if (before.status !== item.status || before.leadUnitId !== item.leadUnitId || before.dueDate !== item.dueDate) {
        upsertSearchAttributes(itemSearchAttributes(item));
      }
      const updateId = currentUpdateInfo()?.id ?? `seq-${result.event.seq}`;
      await record(`${workflowId}/${updateId}`, result.event, item);
      return item;
    },
    {
      validator: (raw) => {
        const result = decide(item, parseOrRefuse(raw), new Date().toISOString(), input.config);
        if (!result.ok) throw refusalFailure(result);
      },
    },
  );

  await record(
    `${workflowId}/create`,
    { seq: 1, action: 'create', fromStatus: null, toStatus: item.status, actor: input.createdBy, at: item.createdAt, payload: input.spec, attachments: [] },
    item,
  );
  await condition(() => isTerminal(item.status) && allHandlersFinished());
  return item;
}
