// The baseline for the lifecycle benchmark: a workflow that takes the same Updates and keeps
// a status, with no validation, no activities and no database.
import { condition, defineUpdate, setHandler, allHandlersFinished } from '@temporalio/workflow';

export const bareAct = defineUpdate<string, [string]>('act');
export const bareCreated = defineUpdate<string, []>('created');

export async function bareItemWorkflow(): Promise<string> {
  let status = 'assigned';
  setHandler(bareCreated, () => status);
  setHandler(bareAct, (action) => {
    status = action;
    return status;
  });
  await condition(() => status === 'verifyPass' && allHandlersFinished());
  return status;
}
