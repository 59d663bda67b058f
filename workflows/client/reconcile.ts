import {
  QueryNotRegisteredError,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  WorkflowNotFoundError,
  type Client,
} from '@temporalio/client';
import type { KeyOf } from '../../domain/events';
import type { WorkflowSide } from '../../domain/reconcile';
import { itemWorkflowId, transitionKey } from '../ids';
import { itemQuery, recordedSeqQuery } from '../messages';
import { reconcileWorkflow } from '../reconcile';

/** One reconciliation Schedule per deployment, that is per task queue (as the outbox dispatcher). */
export const reconcileScheduleId = (taskQueue: string): string => `reconcile-${taskQueue}`;

/**
 * Creates the reconciliation's Schedule, or brings an existing one to `everyMinutes`: every worker
 * process calls this at start, so a changed RECONCILE_INTERVAL_MINUTES takes effect with the
 * next deploy. A run still going when the next is due is not doubled.
 */
export async function ensureReconcileSchedule(client: Client, taskQueue: string, everyMinutes: number): Promise<void> {
  const scheduleId = reconcileScheduleId(taskQueue);
  const spec = { intervals: [{ every: `${everyMinutes} minutes` as const }] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: reconcileWorkflow,
    args: [] as [],
    taskQueue,
    workflowId: `reconcile-run-${taskQueue}`,
  };
  const handle = client.schedule.getHandle(scheduleId);
  try {
    await handle.update((prev) => ({ ...prev, spec, action }));
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    await client.schedule
      .create({
        scheduleId,
        spec,
        action,
        policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
        state: { note: '对账：比对数据库记录与流程' },
      })
      // Another worker starting at the same moment created it.
      .catch((e: unknown) => {
        if (!(e instanceof ScheduleAlreadyRunning)) throw e;
      });
  }
}

/** The item workflows running on `taskQueue`, as visibility lists them. */
export async function runningItemWorkflowIds(
  client: Client,
  taskQueue: string,
  onProgress: (n: number) => void = () => {},
): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const wf of client.workflow.list({
    query: `WorkflowType = 'itemWorkflow' AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue.replace(/'/g, "\\'")}'`,
  })) {
    ids.add(wf.workflowId);
    if (ids.size % 1000 === 0) onProgress(ids.size);
  }
  return ids;
}

/** The item id of an item workflow's id; null for any other workflow. */
export const itemIdOf = (workflowId: string): string | null =>
  workflowId.startsWith('item-') ? workflowId.slice('item-'.length) : null;

/** The keys the item's records carry (`<workflow id>/<step id>`), as its workflow builds them. */
export const itemKeyOf =
  (itemId: string): KeyOf =>
  (id) =>
    transitionKey(itemWorkflowId(itemId), id);

/**
 * What the item's workflow says, within `deadlineMs` per call. One not `listedRunning` is described
 * first (visibility lags a little behind; a closed workflow would still answer queries).
 */
export async function itemWorkflowSide(
  client: Client,
  itemId: string,
  listedRunning: boolean,
  deadlineMs = 10_000,
): Promise<WorkflowSide> {
  const handle = client.workflow.getHandle(itemWorkflowId(itemId));
  const within = <T>(fn: () => Promise<T>) => client.connection.withDeadline(Date.now() + deadlineMs, fn);
  try {
    if (!listedRunning) {
      const d = await within(() => handle.describe());
      if (d.status.name !== 'RUNNING') return { kind: 'ended', executionStatus: d.status.name };
    }
    const view = await within(() => handle.query(recordedSeqQuery)).catch((err: unknown) => {
      // A worker still on code without this query: a record in flight cannot be told; the second look decides.
      if (err instanceof QueryNotRegisteredError) return null;
      throw err;
    });
    const item = await within(() => handle.query(itemQuery));
    return { kind: 'running', item, seq: view?.seq ?? item.seq, recordedSeq: view?.recordedSeq ?? item.seq };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { kind: 'missing' };
    return { kind: 'unanswered', error: err instanceof Error ? err.message : String(err) };
  }
}
