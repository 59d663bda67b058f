// A deliberately incompatible change to the item workflow: it records before it registers its
// handlers and first sleeps, so replaying a real history must raise a DeterminismViolationError.
import { sleep } from '@temporalio/workflow';
import { itemWorkflow as current, type ItemWorkflowInput } from '../../../workflows/item';

export async function itemWorkflow(input: ItemWorkflowInput) {
  await sleep('1 minute');
  return current(input);
}

export { problemListWorkflow } from '../../../workflows/problem-list';
