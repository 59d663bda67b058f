import { describe, expect, it } from 'vitest';
import {
  elapsedShare,
  evaluate,
  IndicatorSchema,
  periodFor,
  PlanSchema,
  rankUnits,
  ThresholdsSchema,
} from '../../domain/monitoring';

const t = ThresholdsSchema.parse({});
const ind = (code: string, owner: string, baseline: number, target: number, extra: Record<string, unknown> = {}) =>
  IndicatorSchema.parse({ code, name: code, ownerUnitId: owner, baseline, target, ...extra });

describe('periods and 时序进度', () => {
  it('reports on the month or quarter before the cycle opens', () => {
    expect(periodFor('2026-03-05', 'monthly')).toEqual({ period: '2026-02', year: 2026, end: '2026-02-28' });
    expect(periodFor('2026-01-05', 'monthly')).toEqual({ period: '2025-12', year: 2025, end: '2025-12-31' });
    expect(periodFor('2026-04-10', 'quarterly')).toEqual({ period: '2026-Q1', year: 2026, end: '2026-03-31' });
    expect(periodFor('2026-02-10', 'quarterly')).toEqual({ period: '2025-Q4', year: 2025, end: '2025-12-31' });
    expect(periodFor('2024-03-05', 'monthly').end).toBe('2024-02-29');
  });

  it('counts the share of the year gone by the end of the period, end day included', () => {
    expect(elapsedShare('2026-01-31')).toBeCloseTo(31 / 365, 10);
    expect(elapsedShare('2026-06-30')).toBeCloseTo(181 / 365, 10);
    expect(elapsedShare('2024-02-29')).toBeCloseTo(60 / 366, 10);
    expect(elapsedShare('2026-12-31')).toBe(1);
  });
});

describe('lights', () => {
  it('compares progress with 时序进度 (hand-computed)', () => {
    const june = 181 / 365; // 0.49589
    // 60 of 120 done by the end of June: 0.5 / 0.49589 = 1.0083 → green.
    const a = evaluate(ind('A', 'u', 0, 120), 60, june, t);
    expect([a.progress, a.pace, a.light]).toEqual([0.5, expect.closeTo(1.0083, 4), 'green']);
    // 48 of 120: 0.4 / 0.49589 = 0.8066 → yellow.
    const b = evaluate(ind('B', 'u', 0, 120), 48, june, t);
    expect([b.progress, b.pace, b.light]).toEqual([0.4, expect.closeTo(0.8066, 4), 'yellow']);
    // Lower is better: from 100 towards 80, at 94 by June: 0.3 / 0.49589 = 0.605 → red.
    const c = evaluate(ind('C', 'u', 100, 80, { direction: 'lower' }), 94, june, t);
    expect([c.progress, c.pace, c.light]).toEqual([0.3, expect.closeTo(0.605, 3), 'red']);
    // Going the wrong way is negative progress, and red.
    const d = evaluate(ind('D', 'u', 100, 80, { direction: 'lower' }), 103, june, t);
    expect([d.progress, d.light]).toEqual([expect.closeTo(-0.15, 10), 'red']);
    // Not reported: red, and marked missing.
    expect(evaluate(ind('E', 'u', 0, 10), null, june, t)).toMatchObject({ value: null, light: 'red', missing: true });
    // Exactly on the threshold counts as the better light.
    expect(evaluate(ind('F', 'u', 0, 120), 96, 1, t).light).toBe('yellow');
    expect(evaluate(ind('G', 'u', 0, 100), 80, 1, ThresholdsSchema.parse({ green: 0.8, yellow: 0.5 })).light).toBe(
      'green',
    );
  });

  it('refuses indicators whose target contradicts their direction, naming the field', () => {
    const r = IndicatorSchema.safeParse({
      code: 'X',
      name: 'x',
      ownerUnitId: 'u',
      baseline: 10,
      target: 5,
      direction: 'higher',
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['direction']);
    expect(PlanSchema.safeParse({ id: 'p', year: 2026, title: 't', extra: 1 }).success).toBe(false);
  });
});

describe('rankings that are fair', () => {
  const elapsed = 1; // the end of the year: pace = progress
  const indicators = [
    ind('A1', 'a', 0, 100),
    ind('A2', 'a', 0, 100),
    ind('B1', 'b', 0, 100, { weight: 2 }),
    ind('B2', 'b', 0, 100),
    ind('C1', 'c', 0, 100),
    ind('D1', 'd', 0, 100),
    ind('D2', 'd', 0, 100),
    ind('D3', 'd', 0, 100),
    ind('E1', 'e', 0, 100),
  ];
  const values: Record<string, number | null> = {
    A1: 90,
    A2: 70,
    B1: 80,
    B2: 80,
    C1: 80,
    D1: 100,
    D2: null,
    D3: null,
    E1: 120,
  };
  const results = indicators.map((i) => evaluate(i, values[i.code] ?? null, elapsed, t));
  const groups: Record<string, string> = { a: 'bureau', b: 'bureau', c: 'bureau', d: 'bureau', e: 'district' };
  const standings = rankUnits(results, indicators, (u) => groups[u]!, { minReportedShare: 0.6 }, elapsed);
  const of = (u: string) => standings.find((s) => s.unitId === u)!;

  it('scores by weighted pace and shares a rank on a tie (hand-computed)', () => {
    // a: (0.9 + 0.7) / 2 = 0.8; b: (2 × 0.8 + 0.8) / 3 = 0.8; c: 0.8 → all three tie for first.
    expect([of('a').score, of('b').score, of('c').score]).toEqual([0.8, 0.8, 0.8]);
    expect([of('a').rank, of('b').rank, of('c').rank]).toEqual([1, 1, 1]);
    // Listed by unit id within a tie, the same way every time.
    expect(standings.filter((s) => s.group === 'bureau' && s.ranked).map((s) => s.unitId)).toEqual(['a', 'b', 'c']);
  });

  it('names a unit only with enough indicators reported, and compares like with like', () => {
    // d reported 1 of 3 (< 60%): listed, not ranked, and told why.
    expect(of('d')).toMatchObject({ ranked: false, rank: null, score: null, reported: 1, indicators: 3 });
    expect(of('d').reason).toContain('1/3');
    // e is the only district: first in its own group, not above the bureaus.
    expect(of('e')).toMatchObject({ group: 'district', rank: 1, score: 1.2 });
  });

  it('scores each indicator category apart, too', () => {
    const two = [
      ind('M1', 'm', 0, 100, { category: '经济' }),
      ind('M2', 'm', 0, 100, { category: '民生', weight: 3 }),
      ind('M3', 'm', 0, 100, { category: '民生' }),
    ];
    const [m] = rankUnits(
      two.map((i, k) => evaluate(i, [50, 100, 60][k]!, 1, t)),
      two,
      () => 'bureau',
      { minReportedShare: 0.6 },
      1,
    );
    // 经济 0.5; 民生 (3 × 1.0 + 0.6) / 4 = 0.9; overall (0.5 + 3.0 + 0.6) / 5 = 0.82.
    expect(m!.byCategory).toEqual({ 经济: 0.5, 民生: 0.9 });
    expect(m!.score).toBe(0.82);
  });

  it('tells each unit what it would take to climb a place', () => {
    const r = rankUnits(
      [ind('P', 'p', 0, 100), ind('Q', 'q', 0, 100)].map((i, k) => evaluate(i, k === 0 ? 90 : 60, 1, t)),
      [ind('P', 'p', 0, 100), ind('Q', 'q', 0, 100)],
      () => 'bureau',
      { minReportedShare: 0.6 },
      1,
    );
    const q = r.find((s) => s.unitId === 'q')!;
    expect(q.rank).toBe(2);
    // Gap 0.9 − 0.6 = 0.3; Q's value must pass 90: 90.01 (one step past the tie).
    expect(q.toRise).toEqual({ scoreGap: 0.3, aboveUnitId: 'p', options: [{ code: 'Q', valueNeeded: 90.01 }] });
    expect(r.find((s) => s.unitId === 'p')!.toRise).toBeNull();
  });
});
