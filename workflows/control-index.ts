import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { shanghaiDate } from '../domain/calendar';
import { periodFor } from '../domain/periods';

const { computeControlIndex } = proxyActivities<Activities>({
  // 2,600 units over a year of events compute in seconds; the margin is for a busy database.
  startToCloseTimeout: '30 minutes',
  retry: { initialInterval: '30 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 10 },
});

/**
 * One quarterly computation of the 管控力指数, started by the Schedule `control-index-quarterly`
 * (workflows/client/control-index-schedule.ts) on the first day of a quarter: it computes the
 * quarter just ended and leaves the run 'computed' for a supervisor to check and publish. `period`
 * is given only when started by hand; the Schedule starts it without one.
 */
export async function controlIndexWorkflow(input: { period?: string } = {}): Promise<{
  runId: string;
  period: string;
  unitCount: number;
}> {
  // The workflow's clock is its start time, recorded in its history: replays pick the same quarter.
  const period = input.period ?? periodFor(shanghaiDate(Date.now()), 'quarterly').period;
  const run = await computeControlIndex({ workflowId: workflowInfo().workflowId, period });
  return { runId: run.id, period, unitCount: run.unitCount };
}
