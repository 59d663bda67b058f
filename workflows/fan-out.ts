import {
  condition,
  continueAsNew,
  defineSignal,
  executeChild,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { ASK_BATCH, drawSample, fanOutAskWorkflowId, sampleSize } from '../domain/fan-out';
import { attentionGuard } from './attention';

const { fanOutBatch, fanOutAnswering, fanOutSilent, chaseFanOut, closeFanOut, recordFanOutSample } =
  proxyActivities<Activities>({
    startToCloseTimeout: '2 minutes',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 12 },
  });

// The ask is one small idempotent write: done inside the child's first workflow task, it saves
// the child a workflow task and five of its eleven events: most of the server's work for 2,000 units.
const { askFanOutUnit: askLocally } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 12 },
});

/** Sent by the API when an answer leaves no unit silent: the ladder need not wait for its next rung. */
export const fanOutAnsweredSignal = defineSignal('fanOutAnswered');

export interface FanOutInput {
  fanOutId: string;
  /** Asking resumes after this unit id (the cursor carried across continue-as-new). */
  after?: string | null;
  /** Units asked by the runs before this one. */
  asked?: number;
  /** Children asked at once (default ASK_BATCH = 500); tests and benchmarks may lower it. */
  batch?: number;
}

export interface FanOutOutcome {
  fanOutId: string;
  asked: number;
  /** Rungs that fired (some silent unit was left to chase). */
  rungsFired: string[];
  sampled: number;
}

/** One unit asked: its own short workflow, so the parent's history holds three events per unit, not the activity's. */
export async function fanOutAskWorkflow(input: { fanOutId: string; unitId: string }): Promise<void> {
  await attentionGuard().run(() => askLocally({ ...input, now: Date.now() }));
}

/**
 * A 举一反三: asks every unit of the fan-out through a child workflow each, at most `batch` at
 * a time (each batch awaited, then continue-as-new, so no run holds more than `batch` pending
 * children nor more than a few thousand events); then chases the silent units on the ladder's
 * rungs and, once all have answered or the last rung has passed, draws the spot-check sample of
 * the 不存在 answers with the workflow's seeded Math.random and records it. Answers themselves are
 * written by the API, never through this history.
 */
export async function fanOutWorkflow(input: FanOutInput): Promise<FanOutOutcome> {
  const guard = attentionGuard();
  const batch = input.batch ?? ASK_BATCH;
  let nudged = false;
  setHandler(fanOutAnsweredSignal, () => {
    nudged = true;
  });
  const { fanOutId } = input;
  const units = await guard.run(() => fanOutBatch({ fanOutId, after: input.after ?? null, limit: batch }));
  const asked = (input.asked ?? 0) + units.length;
  if (units.length > 0) {
    await Promise.all(
      units.map((unitId) =>
        executeChild(fanOutAskWorkflow, {
          workflowId: fanOutAskWorkflowId(fanOutId, unitId),
          taskQueue: workflowInfo().taskQueue,
          args: [{ fanOutId, unitId }],
        }),
      ),
    );
    // A full batch may have more behind it: a fresh run keeps this one's history bounded.
    if (units.length === batch) await continueAsNew<typeof fanOutWorkflow>({ ...input, after: units.at(-1)!, asked });
  }

  const rungs = await guard.run(() => fanOutAnswering({ fanOutId }));
  const rungsFired: string[] = [];
  let everyoneAnswered = false;
  for (const rung of rungs) {
    // Wake at the rung, or on the API's signal; a signal is only a hint, the count decides.
    for (;;) {
      if ((await guard.run(() => fanOutSilent({ fanOutId }))) === 0) everyoneAnswered = true;
      if (everyoneAnswered) break;
      const wait = rung.at - Date.now();
      if (wait <= 0 || !(await condition(() => nudged, wait))) break;
      nudged = false;
    }
    if (everyoneAnswered) break;
    const chased = await guard.run(() => chaseFanOut({ fanOutId, rung: rung.key, now: Date.now() }));
    if (chased > 0) rungsFired.push(rung.key);
  }

  const closed = await guard.run(() => closeFanOut({ fanOutId, now: Date.now() }));
  const sample = drawSample(closed.absent, sampleSize(closed.share, closed.absent.length), Math.random);
  if (sample.length > 0) await guard.run(() => recordFanOutSample({ fanOutId, unitIds: sample }));
  return { fanOutId, asked, rungsFired, sampled: sample.length };
}
