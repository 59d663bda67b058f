import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import type { Command } from '../../domain/commands';
import type { Item } from '../../domain/item';
import { itemWorkflowId, problemListWorkflowId } from '../ids';
import { itemWorkflow, type ItemWorkflowInput } from '../item';
import { actUpdate, recordedUpdate } from '../messages';
import { problemListWorkflow, type ProblemListInput } from '../problem-list';
import { outboxDispatcherId, outboxDispatcherWorkflow } from '../outbox-dispatcher';

/**
 * The client side of an item: start its workflow and wait until its creation is recorded
 * (update-with-start, so both happen or neither), then act on it through Updates.
 */
export async function openItem(client: Client, taskQueue: string, input: ItemWorkflowInput): Promise<Item> {
  const start = new WithStartWorkflowOperation(itemWorkflow, {
    workflowId: itemWorkflowId(input.id),
    taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'FAIL',
  });
  return client.workflow.executeUpdateWithStart(recordedUpdate, { startWorkflowOperation: start });
}

/** `updateId` is the caller's idempotency key: the same id twice is one transition. */
export async function actOnItem(client: Client, itemId: string, command: Command, updateId?: string): Promise<Item> {
  const handle = client.workflow.getHandle(itemWorkflowId(itemId));
  return handle.executeUpdate(actUpdate, { args: [command], ...(updateId ? { updateId } : {}) });
}

/** Opens a problem list; resolves once the list is recorded and every item's workflow has started. */
export async function openProblemList(
  client: Client,
  taskQueue: string,
  input: ProblemListInput,
): Promise<{ listId: string; itemIds: string[] }> {
  return client.workflow.execute(problemListWorkflow, {
    workflowId: problemListWorkflowId(input.listId),
    taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'FAIL',
  });
}

/** Starts the outbox dispatcher unless it runs already: every worker process may call this. */
export async function ensureOutboxDispatcher(client: Client, taskQueue: string): Promise<void> {
  await client.workflow.start(outboxDispatcherWorkflow, {
    workflowId: outboxDispatcherId(taskQueue),
    taskQueue,
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}
