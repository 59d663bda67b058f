import {
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
} from '@temporalio/client';
import type { CycleRules } from '../../domain/monitoring';
import { monitoringCycleWorkflow } from '../monitoring-cycle';

/** One Temporal Schedule per plan opens its monitoring cycles: `temporal schedule list` shows them. */
export const planScheduleId = (planId: string): string => `plan-${planId}`;

const QUARTER_MONTHS = ['JANUARY', 'APRIL', 'JULY', 'OCTOBER'] as const;

function specFor(rules: CycleRules) {
  return {
    calendars: [
      {
        dayOfMonth: rules.dayOfMonth,
        hour: 8,
        ...(rules.frequency === 'quarterly' ? { month: [...QUARTER_MONTHS] } : {}),
        comment:
          rules.frequency === 'monthly'
            ? `每月${rules.dayOfMonth}日 8:00 开启监测周期`
            : `每季度首月${rules.dayOfMonth}日 8:00 开启监测周期`,
      },
    ],
    timezone: 'Asia/Shanghai',
  };
}

/** Creates the plan's schedule, or brings an existing one in line with the plan's rules. */
export async function ensurePlanSchedule(
  client: Client,
  taskQueue: string,
  planId: string,
  rules: CycleRules,
  paused: boolean,
): Promise<void> {
  const scheduleId = planScheduleId(planId);
  const action = {
    type: 'startWorkflow' as const,
    workflowType: monitoringCycleWorkflow,
    args: [{ planId }] as [{ planId: string }],
    taskQueue,
    workflowId: `cycle-${planId}`,
  };
  const handle = client.schedule.getHandle(scheduleId);
  try {
    await handle.update((prev) => ({
      ...prev,
      spec: specFor(rules),
      action,
      state: { ...prev.state, paused, note: paused ? '已暂停' : '运行中' },
    }));
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    await client.schedule.create({
      scheduleId,
      spec: specFor(rules),
      action,
      // A cycle still collecting when the next is due is left to finish; a missed opening (server down) is caught up within a day.
      policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL, catchupWindow: '1 day' },
      state: { paused, note: paused ? '已暂停' : '运行中' },
    });
  }
}

export async function describePlanSchedule(
  client: Client,
  planId: string,
): Promise<{ paused: boolean; nextRuns: string[]; spec: string } | null> {
  try {
    const d: ScheduleDescription = await client.schedule.getHandle(planScheduleId(planId)).describe();
    return {
      paused: d.state.paused,
      nextRuns: d.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
      spec: d.spec.calendars?.[0]?.comment ?? '',
    };
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return null;
    throw err;
  }
}

export async function deletePlanSchedule(client: Client, planId: string): Promise<void> {
  await client.schedule
    .getHandle(planScheduleId(planId))
    .delete()
    .catch((err: unknown) => {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    });
}
