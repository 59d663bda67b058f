// The baseline for the timer benchmark: the engine's floor under one escalation rung. A workflow
// sleeps until a given moment, then runs one ordinary activity writing one row to PostgreSQL, and
// ends: no domain logic, no payload codec. An ordinary activity (not a local one), with eager
// dispatch, because the product's rung records that way since issue 19: timer fired → workflow
// task → the record activity → the workflow task that takes its result.
//
// `like` makes it carry what the product's rung asks of the server besides that: a search
// attribute upserted in the same task (the light turns yellow) and an activity input the size of
// the item's snapshot (the record activity's input is the whole item): to tell the server's cost
// of those from the rest of ours.
import { proxyActivities, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import { LightKey } from '../workflows/search-attributes';

export interface BareTimerActivities {
  /** Writes one row: the workflow, when it was due and when its timer's workflow task ran. */
  writeFiredRow(row: { workflowId: string; dueAt: number; firedAt: number; pad?: string }): Promise<void>;
}

// The product's record options (workflows/item.ts RECORD): same timeout, eager dispatch.
const { writeFiredRow } = proxyActivities<BareTimerActivities>({
  startToCloseTimeout: '10 seconds',
  allowEagerDispatch: true,
});

export async function bareTimerWorkflow(
  workflowId: string,
  dueAt: number,
  like?: { searchAttribute: boolean; inputBytes: number },
): Promise<void> {
  await sleep(Math.max(1, dueAt - Date.now()));
  const firedAt = Date.now();
  if (like?.searchAttribute) upsertSearchAttributes([{ key: LightKey, value: 'yellow' }]);
  await writeFiredRow({ workflowId, dueAt, firedAt, ...(like ? { pad: 'x'.repeat(like.inputBytes) } : {}) });
}
