import { describe, expect, it } from 'vitest';
import { drain } from '../../bench/drain';

const due = 1_000_000;

describe('drain: how a burst of timers due together was taken', () => {
  it('rate is the burst over the time from due to the last fired; lateness is fired minus due', () => {
    const d = drain(4, [
      { id: 'a', dueAt: due, firedAt: due + 100 },
      { id: 'b', dueAt: due, firedAt: due + 500 },
      { id: 'c', dueAt: due, firedAt: due + 1_000 },
      { id: 'd', dueAt: due, firedAt: due + 2_000 },
    ]);
    expect(d.drainPerSecond).toBe(2);
    expect(d.lateness).toEqual({ n: 4, p50: 500, p99: 2_000, max: 2_000 });
    expect([d.early, d.twice, d.missing]).toEqual([0, 0, 0]);
  });

  it('counts early, twice and missing; a timer fired twice counts once in the rate', () => {
    const d = drain(3, [
      { id: 'a', dueAt: due, firedAt: due - 10 },
      { id: 'b', dueAt: due, firedAt: due + 1_000 },
      { id: 'b', dueAt: due, firedAt: due + 1_000 },
    ]);
    expect(d.drainPerSecond).toBe(2);
    expect([d.early, d.twice, d.missing]).toEqual([1, 1, 1]);
  });

  it('nothing fired: no rate, all missing', () => {
    const d = drain(2, []);
    expect(d.drainPerSecond).toBeNaN();
    expect(d.missing).toBe(2);
  });
});
