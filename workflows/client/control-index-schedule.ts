import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { controlIndexWorkflow } from '../control-index';

/** The one Schedule of the 管控力指数 per deployment. */
export const CONTROL_INDEX_SCHEDULE_ID = 'control-index-quarterly';

const spec = {
  calendars: [
    {
      month: ['JANUARY', 'APRIL', 'JULY', 'OCTOBER'] as Array<'JANUARY' | 'APRIL' | 'JULY' | 'OCTOBER'>,
      dayOfMonth: 1,
      hour: 6,
      comment: '每季度首日 6:00 计算上一季度的管控力指数',
    },
  ],
  timezone: 'Asia/Shanghai',
};

/**
 * Creates the quarterly Schedule, or brings an existing one to this spec and task queue: every
 * worker process calls this at start. A quarter's computation missed while the cluster was down
 * is caught up within a week; one still running when the next is due is not doubled.
 */
export async function ensureControlIndexSchedule(client: Client, taskQueue: string): Promise<void> {
  const action = {
    type: 'startWorkflow' as const,
    workflowType: controlIndexWorkflow,
    args: [{}] as [{ period?: string }],
    taskQueue,
    workflowId: 'control-index-run',
  };
  const handle = client.schedule.getHandle(CONTROL_INDEX_SCHEDULE_ID);
  try {
    await handle.update((prev) => ({ ...prev, spec, action }));
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    await client.schedule
      .create({
        scheduleId: CONTROL_INDEX_SCHEDULE_ID,
        spec,
        action,
        policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '7 days' },
        state: { note: '管控力指数：每季度计算上一季度' },
      })
      // Another worker starting at the same moment created it.
      .catch((e: unknown) => {
        if (!(e instanceof ScheduleAlreadyRunning)) throw e;
      });
  }
}
