/**
 * How a burst of timers due at the same moment was drained: from each one's due and fired times,
 * lateness (fired − due) and the drain rate, the burst's size over the time from the due moment
 * to the last one fired. Pure: the timer benchmark's rounds (ours and bare) all use it.
 */
import { summary } from './stats';

export interface Fired {
  /** One per workflow: the same id twice is a timer that fired twice. */
  id: string;
  dueAt: number;
  firedAt: number;
}

export interface Drain {
  lateness: ReturnType<typeof summary>;
  /** Timers due over seconds from due to the last fired; NaN when none fired. */
  drainPerSecond: number;
  early: number;
  twice: number;
  missing: number;
}

export function drain(expected: number, fired: Fired[]): Drain {
  const lateness = fired.map((f) => f.firedAt - f.dueAt);
  const perId = new Map<string, number>();
  for (const f of fired) perId.set(f.id, (perId.get(f.id) ?? 0) + 1);
  const dueAt = Math.min(...fired.map((f) => f.dueAt));
  const last = Math.max(...fired.map((f) => f.firedAt));
  // A burst drained within the due millisecond has no measurable duration: count it as 1 ms.
  const drainPerSecond = fired.length ? perId.size / (Math.max(1, last - dueAt) / 1000) : NaN;
  return {
    lateness: summary(lateness),
    drainPerSecond,
    early: lateness.filter((l) => l < 0).length,
    twice: [...perId.values()].filter((n) => n > 1).length,
    missing: expected - perId.size,
  };
}
