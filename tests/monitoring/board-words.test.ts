/**
 * The 晾晒 in words (pure): scores as percentages of 时序进度, gaps in percentage points, lights
 * with their rule, the 通报's title; and the one definition of 报齐, whose summary is counted
 * from the very rows it lists.
 */
import { describe, expect, it } from 'vitest';
import { hasReported, reportingCounts, reportingSummary } from '../../domain/monitoring';
import {
  bulletinTitle,
  gapWords,
  indicatorLightWords,
  lightRuleWords,
  paceWords,
  percentText,
  periodWords,
  publishedWords,
} from '../../domain/monitoring-words';

describe('a score in words', () => {
  it('says how far ahead of or behind 时序进度 a unit is, in whole percent', () => {
    expect(paceWords(1.1406)).toBe('进度 114%（超出时序进度 14 个百分点）');
    expect(paceWords(0.8571)).toBe('进度 86%（落后时序进度 14 个百分点）');
    expect(paceWords(1)).toBe('进度 100%（与时序进度持平）');
    expect(paceWords(0.9999)).toBe('进度 100%（与时序进度持平）');
    expect(paceWords(-0.2)).toBe('进度 -20%（落后时序进度 120 个百分点）');
    expect(paceWords(null)).toBe('—');
  });

  it('gives a gap in percentage points to one decimal', () => {
    expect(gapWords(0.06)).toBe('差距 6.0 个百分点');
    expect(gapWords(0.1234)).toBe('差距 12.3 个百分点');
    expect(gapWords(0.00049)).toBe('差距 0.0 个百分点');
    expect(gapWords(null)).toBe('—');
    expect(percentText(0.4567)).toBe('45.7%');
  });
});

describe('lights in words', () => {
  const t = { green: 1, yellow: 0.8 };
  it('states the rule with the plan’s thresholds', () => {
    expect(lightRuleWords(t)).toBe(
      '绿灯：完成进度达到时序进度的 100% 及以上；黄灯：达到 80%，不足 100%；红灯：不足 80%，或未报送。',
    );
    expect(lightRuleWords({ green: 0.9, yellow: 0.7 })).toContain('达到时序进度的 90% 及以上');
  });

  it('says why one indicator has its light', () => {
    expect(indicatorLightWords({ light: 'red', missing: false, progress: 0.45, pace: 0.54 }, 0.8333, t)).toBe(
      '完成 45.0%，时序进度 83.3%，相当于时序进度的 54%，不足 80%，亮红灯',
    );
    expect(indicatorLightWords({ light: 'yellow', missing: false, progress: 0.75, pace: 0.9 }, 0.8333, t)).toContain(
      '达到 80%，不足 100%，亮黄灯',
    );
    expect(indicatorLightWords({ light: 'green', missing: false, progress: 0.9, pace: 1.08 }, 0.8333, t)).toContain(
      '相当于时序进度的 108%，达到 100%，亮绿灯',
    );
    expect(indicatorLightWords({ light: 'red', missing: true, progress: null, pace: null }, 0.8333, t)).toBe(
      '本期未报送，按红灯晾晒',
    );
  });

  it('names the period and numbers the 通报 by it', () => {
    expect(periodWords('2026-10')).toBe('2026年10月');
    expect(periodWords('2026-Q3')).toBe('2026年第三季度');
    expect(periodWords('2026')).toBe('2026年');
    expect(bulletinTitle('2026-10')).toBe('关于2026年10月重点工作晾晒情况的通报');
    expect(bulletinTitle('2026-Q3')).toBe('关于2026年第三季度重点工作晾晒情况的通报');
    expect(bulletinTitle('2026')).toBe('关于2026年重点工作晾晒情况的通报');
    expect(publishedWords('2026-10', '2026-11-05')).toBe('2026年10月晾晒，已于 11月5日 发布');
    expect(publishedWords('2026-Q3', null)).toBe('2026年第三季度晾晒');
  });
});

describe('报齐: one definition', () => {
  it('counts only indicators a unit reports itself, and the summary equals its rows', () => {
    const indicators = [
      { code: 'A1', ownerUnitId: 'a', source: 'report' },
      { code: 'A2', ownerUnitId: 'a', source: 'report' },
      { code: 'B1', ownerUnitId: 'b', source: 'report' },
      { code: 'C1', ownerUnitId: 'c', source: 'report' },
      // Derived: owed by nobody, so d is not a unit that reports at all.
      { code: 'D1', ownerUnitId: 'd', source: 'closure_rate' },
      { code: 'C2', ownerUnitId: 'c', source: 'closure_rate' },
    ];
    const have = new Set(['A1', 'B1', 'D1', 'C2']);
    const rows = reportingCounts(indicators, (c) => have.has(c));
    expect(rows).toEqual([
      { unitId: 'a', owed: 2, reported: 1, missing: ['A2'] },
      { unitId: 'b', owed: 1, reported: 1, missing: [] },
      { unitId: 'c', owed: 1, reported: 0, missing: ['C1'] },
    ]);
    const summary = reportingSummary(rows);
    expect(summary).toEqual({
      units: 3,
      complete: 1,
      notReported: [
        { unitId: 'a', missing: ['A2'] },
        { unitId: 'c', missing: ['C1'] },
      ],
    });
    expect(summary.complete).toBe(rows.filter(hasReported).length);
    expect(summary.units).toBe(summary.complete + summary.notReported.length);
  });
});
