import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { reconcile } = proxyActivities<Activities>({
  // A pass over 100,000 open items is two queries each, eight at a time: minutes, not hours.
  startToCloseTimeout: '1 hour',
  // Beaten after every page of items: a worker that died mid-pass is replaced within a minute,
  // and the retry carries on under the same run (activities/reconcile.ts).
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 5 },
});

/**
 * One reconciliation run, started by the Schedule `reconcile-<task queue>` (workflows/client/reconcile.ts):
 * every open item's row against its workflow, every fired rung against its notification request.
 * The findings are in PostgreSQL; the summary is the workflow's result.
 */
export async function reconcileWorkflow(): Promise<{
  runId: string;
  itemsChecked: number;
  findings: number;
  resolved: number;
}> {
  return reconcile({ trigger: 'schedule', taskQueue: workflowInfo().taskQueue });
}
