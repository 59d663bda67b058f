import { continueAsNew, proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { attentionGuard } from './attention';

const { dispatchOutbox } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  // Each mail sent is a heartbeat: a worker that died mid-batch is replaced within seconds.
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 12 },
});

/** One dispatcher per deployment, that is per task queue. */
export const outboxDispatcherId = (taskQueue: string): string => `outbox-dispatcher-${taskQueue}`;

/**
 * One per deployment: turns notification requests into messages and sends them, round after
 * round, idle rounds two seconds apart; continues as new before its history grows large.
 */
export async function outboxDispatcherWorkflow(): Promise<void> {
  const guard = attentionGuard();
  for (let round = 0; round < 300; round++) {
    const r = await guard.run(() => dispatchOutbox());
    if (!r.more) await sleep('2 seconds');
  }
  await continueAsNew<typeof outboxDispatcherWorkflow>();
}
