// The engine's floor for an action recorded after Temporal accepts it: the bare workflow's
// Updates (bench/bare-workflow.ts), each of whose handlers first records one row by an ordinary
// activity (eager dispatch, as the item workflow's record), then answers. Used by the interaction
// benchmark, and by the opening benchmark as the engine work of opening an item
// (update-with-start → first task schedules the record → activity → second task answers).
import {
  allHandlersFinished,
  condition,
  defineUpdate,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';

export interface BareRecordActivities {
  recordRow(workflowId: string, action: string): Promise<void>;
}

const { recordRow } = proxyActivities<BareRecordActivities>({
  startToCloseTimeout: '10 seconds',
  allowEagerDispatch: true,
});

export const recordedCreated = defineUpdate<string, []>('created');
export const recordedAct = defineUpdate<string, [string]>('act');

export async function bareRecordedWorkflow(): Promise<string> {
  const { workflowId } = workflowInfo();
  let status = 'assigned';
  setHandler(recordedCreated, async () => {
    await recordRow(workflowId, 'created');
    return status;
  });
  setHandler(recordedAct, async (action) => {
    status = action;
    await recordRow(workflowId, action);
    return status;
  });
  await condition(() => status === 'verifyPass' && allHandlersFinished());
  return status;
}
