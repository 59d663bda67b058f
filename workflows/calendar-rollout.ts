import { continueAsNew, getExternalWorkflowHandle, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { itemWorkflowId } from './ids';
import { calendarSignal } from './messages';

export interface CalendarRolloutInput {
  /** The calendar version being rolled out (also the workflow id's tail: one rollout per version). */
  version: string;
  /** The last item id signalled by the previous run (continue-as-new), null at the start. */
  after: string | null;
}

const { runningItemIds } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Items per page; each run signals one page at most and continues as new, so history stays short. */
const PAGE = 500;

/**
 * Tells every item still counting deadlines that the working-day calendar changed; each loads the
 * calendar in force and recomputes its own pending dates. Durable: a crash of the API that saved
 * the year leaves the rollout running, and a page signalled twice changes nothing (an item already
 * on the new calendar records nothing).
 */
export async function calendarRolloutWorkflow(input: CalendarRolloutInput): Promise<number> {
  const ids = await runningItemIds({ after: input.after, limit: PAGE });
  for (let i = 0; i < ids.length; i += 50)
    await Promise.all(
      ids.slice(i, i + 50).map((id) =>
        getExternalWorkflowHandle(itemWorkflowId(id))
          .signal(calendarSignal)
          // An item whose workflow ended meanwhile (or never ran here) has nothing to recompute.
          .catch(() => undefined),
      ),
    );
  if (ids.length === PAGE)
    await continueAsNew<typeof calendarRolloutWorkflow>({ ...input, after: ids[ids.length - 1]! });
  return ids.length;
}
