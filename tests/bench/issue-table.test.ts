import { describe, expect, it } from 'vitest';
import { issueTable } from '../../bench/issue-table';

const verdicts = (results: Record<string, unknown>) =>
  Object.fromEntries(issueTable(results).map((r) => [r.measure.replace(/ \(\d+ units\)$/, ''), r.verdict]));

describe('the issue table', () => {
  it('says "—" for every row when no benchmark ran', () => {
    const rows = issueTable({ machine: {} });
    expect(rows).toHaveLength(14);
    expect(rows.every((r) => r.verdict === '—' && r.ratio === '—')).toBe(true);
  });

  it('says "—" for a benchmark that failed or lacks the figure', () => {
    const v = verdicts({
      lifecycle: { error: 'Error: boom' },
      timers: { steady: { p50: 1 }, restarted: {} },
      opening: { oursP50: 100, startOnlyP50: Number.NaN },
    });
    expect(v['full loop, items/s']).toBe('—');
    expect(v['timers: rungs due in one second, drained per second']).toBe('—');
    expect(v['opening an item, c = 20 (p50)']).toBe('—');
  });

  it('meets a latency target at or under 1.5× bare, misses it above', () => {
    const v = verdicts({
      interaction: {
        rows: [
          { users: 1, 'ours p50': 30, 'bare p50': 20, 'ours p99': 90, 'bare p99': 30 },
          { users: 10, 'ours p50': 31, 'bare p50': 20, 'ours p99': 100, 'bare p99': 40 },
        ],
      },
    });
    expect(v['签收 confirmed through the API, 1 user (p50)']).toBe('met');
    expect(v['same, 10 users (p50)']).toBe('missed');
    expect(v['same, 10 users (p99)']).toBe('missed');
  });

  it('meets a rate target at or over its floor, misses it under', () => {
    const v = verdicts({
      lifecycle: { oursRate: 6, bareRate: 10, ratio: 0.6 },
      reads: {
        cases: {
          'list, newest first (page 1 of 5,000)': { ours: { rps: 79 }, bare: { rps: 100 } },
          'item + timeline (10 of 1M events)': { ours: { rps: 70 }, bare: { rps: 100 } },
        },
      },
      timers: { steady: { drainPerSecond: 40 }, bare: { drainPerSecond: 100 } },
      monitoring: [
        { units: 100, redPerSecond: 1, bareStartOnlyPerSecond: 10, bareStartsPerSecond: 5 },
        { units: 500, redPerSecond: 6, bareStartOnlyPerSecond: 10, bareStartsPerSecond: 5 },
      ],
    });
    expect(v['full loop, items/s']).toBe('met');
    expect(v['list, newest first, req/s']).toBe('missed');
    expect(v['item + timeline, req/s']).toBe('met');
    expect(v['timers: rungs due in one second, drained per second']).toBe('missed');
    // The largest cycle counts.
    expect(v['cycle: red items opened per second']).toBe('met');
  });

  it('compares the opening of an item as bare p50 over ours: at most twice as slow is met', () => {
    const at = (oursP50: number) =>
      issueTable({ opening: { oursP50, startOnlyP50: 100 } }).find((r) => r.measure.startsWith('opening'))!;
    expect(at(200)).toMatchObject({ ratio: '0.50', verdict: 'met' });
    expect(at(250)).toMatchObject({ ratio: '0.40', verdict: 'missed' });
  });
});
