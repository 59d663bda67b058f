import {
  ActivityFailure,
  CancelledFailure,
  sleep,
  TemporalFailure,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { NeedsAttentionKey } from './search-attributes';

/**
 * Every activity has an attempt limit, so a dependency that stays down makes it fail instead of
 * retrying unseen forever. The workflow then shows that it needs attention and tries the same
 * step again after these pauses (durable timers: minutes apart, never a busy loop), in order, the
 * last one repeated.
 */
export const ATTENTION_PAUSES_MS = [60_000, 5 * 60_000, 15 * 60_000, 60 * 60_000] as const;

export interface Attention {
  /** What failed, for operators (English, from the activity's failure). */
  reason: string;
  since: string;
  /** Rounds of attempts that have failed so far. */
  rounds: number;
}

/**
 * Runs workflow steps that call activities until each succeeds. Past an activity's attempt limit
 * the workflow is flagged (the NeedsAttention search attribute, and `onFlag`, which may fail:
 * the dependency is likely down), waits, and tries the step again; the flag is lowered once a step
 * succeeds. Only failures are caught (not cancellation): anything else is a bug and fails the task.
 */
export function attentionGuard(onFlag?: (a: Attention) => Promise<void>) {
  let current: Attention | null = null;
  return {
    current: (): Attention | null => current,
    async run<T>(step: () => Promise<T>): Promise<T> {
      for (let round = 0; ; round++) {
        try {
          const result = await step();
          if (current) {
            current = null;
            upsertSearchAttributes([{ key: NeedsAttentionKey, value: false }]);
          }
          return result;
        } catch (err) {
          // An activity's failure arrives as an ActivityFailure; a local activity's as its cause itself.
          if (!(err instanceof TemporalFailure) || err instanceof CancelledFailure) throw err;
          const reason = (
            err instanceof ActivityFailure ? `${err.activityType}: ${err.cause?.message ?? err.message}` : err.message
          )
            .trim()
            .slice(0, 500);
          current = { reason, since: current?.since ?? new Date().toISOString(), rounds: (current?.rounds ?? 0) + 1 };
          if (current.rounds === 1) {
            upsertSearchAttributes([{ key: NeedsAttentionKey, value: true }]);
            if (onFlag) await onFlag(current).catch(() => undefined);
          }
          await sleep(ATTENTION_PAUSES_MS[Math.min(round, ATTENTION_PAUSES_MS.length - 1)]!);
        }
      }
    },
  };
}
