/**
 * 管控力指数, the pure computation: each rule counted by hand on a small set of facts over a
 * quarter (weekdays-only calendar, so the working days can be counted on one's fingers), caps,
 * waivers, regions and ranks within peer groups.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Calendar } from '../../domain/calendar';
import { periodFor } from '../../domain/periods';
import {
  computeIndex,
  DEFAULT_INDEX_RULES,
  INDEX_RULES_V1,
  IndexRulesSchema,
  PeriodSchema,
  periodDays,
  quarterOf,
  rank,
  waiverKey,
  type IndexFacts,
  type Score,
} from '../../domain/control-index';

const cal: Calendar = { version: 'weekdays', years: {} };
const at = (date: string, time = '10:00') => new Date(`${date}T${time}:00+08:00`).toISOString();
const ev = (eventId: string, action: string, date: string, leadUnitId: string, itemId = `it-${eventId}`) => ({
  eventId,
  action,
  at: at(date),
  itemId,
  itemNumber: `督〔2026〕${eventId}号`,
  itemTitle: `事项${eventId}`,
  leadUnitId,
});

const facts: IndexFacts = {
  units: [
    { id: 'city', name: '市', parentId: null, kind: 'city' },
    { id: 'b1', name: '局一', parentId: 'city', kind: 'bureau' },
    { id: 'b2', name: '局二', parentId: 'city', kind: 'bureau' },
    { id: 'b3', name: '局三', parentId: 'city', kind: 'bureau' },
    { id: 'd1', name: '区一', parentId: 'city', kind: 'district' },
    { id: 'd1-a', name: '区一局', parentId: 'd1', kind: 'bureau' },
  ],
  overdue: [
    // Deadline Fri 2026-09-25, still open: Mon 28, Tue 29, Wed 30 September → 3 working days.
    {
      itemId: 'o1',
      itemNumber: 'N-o1',
      itemTitle: '逾期一',
      leadUnitId: 'b1',
      deadline: '2026-09-25',
      endedOn: null,
      eventId: '901',
      eventAction: 'escalate',
      eventAt: at('2026-09-26', '00:00'),
    },
    // Deadline before the quarter, open all of it: 66 weekdays × 0.5 = 33, capped at 10.
    {
      itemId: 'o2',
      itemNumber: 'N-o2',
      itemTitle: '逾期二',
      leadUnitId: 'b1',
      deadline: '2026-06-15',
      endedOn: null,
      eventId: null,
      eventAction: null,
      eventAt: null,
    },
    // Deadline Tue 06-30, handed in Fri 07-03: 1, 2, 3 July → 3 working days.
    {
      itemId: 'o3',
      itemNumber: 'N-o3',
      itemTitle: '逾期三',
      leadUnitId: 'b2',
      deadline: '2026-06-30',
      endedOn: '2026-07-03',
      eventId: '903',
      eventAction: 'escalate',
      eventAt: at('2026-07-01', '00:00'),
    },
    // Handed in before the quarter: nothing in it.
    {
      itemId: 'o4',
      itemNumber: 'N-o4',
      itemTitle: '逾期四',
      leadUnitId: 'b2',
      deadline: '2026-06-01',
      endedOn: '2026-06-20',
      eventId: null,
      eventAction: null,
      eventAt: null,
    },
  ],
  returns: [ev('11', 'verifyReturn', '2026-08-12', 'b2'), ev('12', 'verifyReturn', '2026-06-30', 'b2')],
  relapses: [ev('21', 'reinspect', '2026-09-01', 'b3')],
  urges: [
    // Urged Mon 08-03; the unit answered Wed 08-05, within 3 working days (to Thu 08-06): not ignored.
    { ...ev('31', 'urge', '2026-08-03', 'b3'), kind: 'manual', answeredAt: at('2026-08-05') },
    // Urged Mon 08-10; grace to Thu 08-13; answered Fri 08-14: ignored.
    { ...ev('32', 'urge', '2026-08-10', 'b3'), kind: 'manual', answeredAt: at('2026-08-14') },
    // A rung urge nobody answered: ignored.
    { ...ev('33', 'escalate', '2026-09-10', 'd1-a'), kind: 'rung', answeredAt: null },
    // Urged Tue 09-29: its grace runs to Fri 10-02, after the day computed (10-01): not counted yet.
    { ...ev('34', 'urge', '2026-09-29', 'd1-a'), kind: 'manual', answeredAt: null },
  ],
  fanOuts: [
    {
      fanOutId: 'f1',
      unitId: 'b1',
      answerDue: '2026-08-20',
      answeredAt: at('2026-08-19'),
      originItemId: 'orig',
      originNumber: 'N-orig',
      originTitle: '源问题',
    },
    {
      fanOutId: 'f1',
      unitId: 'b2',
      answerDue: '2026-08-20',
      answeredAt: null,
      originItemId: 'orig',
      originNumber: 'N-orig',
      originTitle: '源问题',
    },
    {
      fanOutId: 'f1',
      unitId: 'b3',
      answerDue: '2026-08-20',
      answeredAt: at('2026-08-21'),
      originItemId: 'orig',
      originNumber: 'N-orig',
      originTitle: '源问题',
    },
  ],
  overturned: [],
  selfFound: Array.from({ length: 7 }, (_, i) => ({
    itemId: `s${i}`,
    itemNumber: `N-s${i}`,
    itemTitle: `自查${i}`,
    leadUnitId: 'd1-a',
    createdAt: at(`2026-07-${String(10 + i).padStart(2, '0')}`),
  })),
};

// The hand counts below rank by kind, as version 1 did; kindWithinParent has its own test.
const run = (waived?: Set<string>) =>
  computeIndex(facts, INDEX_RULES_V1, '2026-Q3', cal, { today: '2026-10-01', waived });
const unit = (r: ReturnType<typeof run>, id: string) => r.scores.find((s) => s.scope === 'unit' && s.unitId === id)!;

describe('the 管控力指数, by hand', () => {
  it('counts every rule as its definition says, each reason traced to its event', () => {
    const r = run();
    expect(r.asOf).toBe('2026-09-30');
    const reasons = (u: string) =>
      r.reasons.filter((x) => x.unitId === u).map((x) => [x.ruleKey, x.points, x.eventId ?? x.itemId ?? x.fanOutId]);
    expect(reasons('b1')).toEqual([
      // Reasons without an event time (traced to the item) first.
      ['overdueWorkingDay', -10, 'o2'],
      ['overdueWorkingDay', -1.5, '901'],
      ['fanOutCoverage', 0.5, 'orig'],
    ]);
    expect(reasons('b2')).toEqual([
      ['overdueWorkingDay', -1.5, '903'],
      ['returnAtVerification', -2, '11'],
      ['fanOutUnanswered', -3, 'orig'],
    ]);
    expect(reasons('b3')).toEqual([
      ['relapse', -5, '21'],
      ['ignoredUrge', -1, '32'],
      ['fanOutUnanswered', -3, 'orig'],
    ]);
    // Seven self-found items at 1 point each, capped at 5.
    expect(reasons('d1-a')).toEqual([
      ['ignoredUrge', -1, '33'],
      ...[0, 1, 2, 3, 4].map((i) => ['selfFound', 1, `s${i}`]),
    ]);
    expect([unit(r, 'b1').score, unit(r, 'b2').score, unit(r, 'b3').score, unit(r, 'd1-a').score]).toEqual([
      89, 93.5, 91, 104,
    ]);
    expect(unit(r, 'b1')).toMatchObject({ deducted: 11.5, added: 0.5 });
    // Ranked within the bureaus: d1-a 104, b2 93.5, b3 91, b1 89.
    expect(['d1-a', 'b2', 'b3', 'b1'].map((u) => unit(r, u).rank)).toEqual([1, 2, 3, 4]);
    expect(unit(r, 'd1').group).toBe('kind:district');
  });

  it('scores a region as the mean of its subtree, and ranks regions apart', () => {
    const r = run();
    const region = (id: string) => r.scores.find((s) => s.scope === 'region' && s.unitId === id)!;
    expect(region('d1').score).toBe((100 + 104) / 2);
    expect(region('city').score).toBe(Math.round(((100 + 89 + 93.5 + 91 + 100 + 104) / 6) * 100) / 100);
    expect(
      r.scores
        .filter((s) => s.scope === 'region')
        .map((s) => s.unitId)
        .sort(),
    ).toEqual(['city', 'd1']);
  });

  it('waives a reason an upheld appeal named, keeping it on record at 0', () => {
    const waived = new Set([waiverKey('b2', 'returnAtVerification:event:11')]);
    const r = run(waived);
    const reason = r.reasons.find((x) => x.reasonKey === 'returnAtVerification:event:11')!;
    expect(reason).toMatchObject({ points: 0, waived: true });
    expect(unit(r, 'b2').score).toBe(95.5);
  });

  it('ranks by peer group: kind or parent; equal scores share a rank', () => {
    const byParent = computeIndex(facts, { ...INDEX_RULES_V1, peerGroup: 'parent' }, '2026-Q3', cal, {
      today: '2026-10-01',
    });
    expect(byParent.scores.find((s) => s.scope === 'unit' && s.unitId === 'd1-a')).toMatchObject({
      group: 'parent:d1',
      rank: 1,
    });
    const s = (unitId: string, score: number): Score => ({
      scope: 'unit',
      unitId,
      unitName: unitId,
      group: 'g',
      groupLabel: 'g',
      score,
      deducted: 0,
      added: 0,
      rank: 0,
    });
    expect(rank([s('a', 90), s('b', 95), s('c', 90), s('d', 80)]).map((x) => [x.unitId, x.rank])).toEqual([
      ['b', 1],
      ['a', 2],
      ['c', 2],
      ['d', 4],
    ]);
  });

  it('counts only up to the day computed in a quarter still running', () => {
    const r = computeIndex(facts, INDEX_RULES_V1, '2026-Q3', cal, { today: '2026-09-28' });
    expect(r.asOf).toBe('2026-09-28');
    // o1: only Mon 09-28; the fan-out of 08-20 has passed; the urge of 09-10 is past its grace.
    expect(r.reasons.find((x) => x.itemId === 'o1')?.points).toBe(-0.5);
  });

  it('knows its quarters, and version 1 of the migration is the default rules', () => {
    expect(periodDays('2026-Q1')).toEqual({ start: '2026-01-01', end: '2026-03-31' });
    expect(periodDays('2026-Q4')).toEqual({ start: '2026-10-01', end: '2026-12-31' });
    expect(quarterOf('2026-08-31')).toBe('2026-Q3');
    expect(periodDays('2000-Q1')).toEqual({ start: '2000-01-01', end: '2000-03-31' });
    // Only plausible quarters: Date.UTC reads a year below 100 as 19xx, and nothing predates 2000.
    for (const ok of ['2000-Q1', '2026-Q3', '2099-Q4']) expect(PeriodSchema.safeParse(ok).success, ok).toBe(true);
    for (const bad of ['0000-Q1', '0050-Q1', '0099-Q4', '0100-Q1', '1000-Q1', '1999-Q4', '2100-Q1', '2026-Q5']) {
      const r = PeriodSchema.safeParse(bad);
      expect(r.success, bad).toBe(false);
      expect(r.error?.issues[0]?.message).toContain('2000 年至 2099 年');
    }
    // The quarterly workflow, started on the first day of a quarter, computes the one just ended.
    expect(periodFor('2026-10-01', 'quarterly').period).toBe('2026-Q3');
    expect(periodFor('2027-01-01', 'quarterly').period).toBe('2026-Q4');
    const sql = readFileSync(
      path.join(__dirname, '../../prisma/migrations/20261128102000_control_index/migration.sql'),
      'utf8',
    );
    const seeded = /VALUES \(1, '(\{[\s\S]*?\})', '默认规则'/.exec(sql)![1]!;
    // Stored without fanOutOverturned, version 1 still parses: that deduction is 0 under it.
    expect(IndexRulesSchema.parse(JSON.parse(seeded))).toEqual(INDEX_RULES_V1);
    const v2 = readFileSync(
      path.join(__dirname, '../../prisma/migrations/20261128104000_index_rules_v2/migration.sql'),
      'utf8',
    );
    expect(IndexRulesSchema.parse(JSON.parse(/\+ 1, '(\{[\s\S]*?\})'/.exec(v2)![1]!))).toEqual(DEFAULT_INDEX_RULES);
  });
});

describe('the 管控力指数, issue 21 outside try', () => {
  const row = (unitId: string, answerDue: string, answeredOn: string | null) => ({
    fanOutId: `f-${unitId}`,
    unitId,
    answerDue,
    answeredAt: answeredOn ? at(answeredOn) : null,
    originItemId: 'orig2',
    originNumber: 'N-orig2',
    originTitle: '源问题二',
  });

  it('deducts a 不存在 overturned at spot-check in the period, traced to its 举一反三 row', () => {
    const withOverturned: IndexFacts = {
      ...facts,
      overturned: [
        {
          fanOutId: 'f9',
          unitId: 'b2',
          spotCheckAt: at('2026-09-02'),
          note: '现场发现同类问题',
          originItemId: 'orig',
          originNumber: 'N-orig',
          originTitle: '源问题',
        },
        // Overturned after the quarter: the next quarter's.
        {
          ...{ fanOutId: 'f8', unitId: 'b3', spotCheckAt: at('2026-10-09') },
          note: null,
          originItemId: 'orig',
          originNumber: 'N-orig',
          originTitle: '源问题',
        },
      ],
    };
    const r = computeIndex(withOverturned, DEFAULT_INDEX_RULES, '2026-Q3', cal, { today: '2026-10-20' });
    const overturned = r.reasons.filter((x) => x.ruleKey === 'fanOutOverturned');
    expect(overturned).toEqual([
      expect.objectContaining({
        unitId: 'b2',
        points: -5,
        fanOutId: 'f9',
        itemId: 'orig',
        at: at('2026-09-02'),
        reasonKey: 'fanOutOverturned:fanOut:f9',
      }),
    ]);
    expect(overturned[0]!.detail).toContain('现场发现同类问题');
    // b2 lost 1.5 + 2 + 3 under version 1; now 5 more.
    expect(r.scores.find((s) => s.scope === 'unit' && s.unitId === 'b2')!.score).toBe(88.5);
    // Version 1 has no such deduction: its stored rules read it as 0 points.
    const v1 = computeIndex(withOverturned, INDEX_RULES_V1, '2026-Q3', cal, { today: '2026-10-20' });
    expect(v1.reasons.some((x) => x.ruleKey === 'fanOutOverturned')).toBe(false);
  });

  it('gives the on-time bonus as soon as the answer is in, before answer_due passes; silence waits for it', () => {
    const f: IndexFacts = {
      ...facts,
      fanOuts: [row('b1', '2026-09-30', '2026-09-21'), row('b2', '2026-09-30', null)],
    };
    // Computed on Fri 09-25, before the due date of Wed 09-30.
    const r = computeIndex(f, DEFAULT_INDEX_RULES, '2026-Q3', cal, { today: '2026-09-25' });
    const fanOutReasons = r.reasons.filter((x) => x.fanOutId !== null);
    expect(fanOutReasons.map((x) => [x.unitId, x.ruleKey, x.points, x.fanOutId])).toEqual([
      ['b1', 'fanOutCoverage', 0.5, 'f-b1'],
    ]);
    // Once the due date has passed, the silent unit loses its points.
    const later = computeIndex(f, DEFAULT_INDEX_RULES, '2026-Q3', cal, { today: '2026-10-01' });
    expect(later.reasons.filter((x) => x.fanOutId !== null).map((x) => [x.unitId, x.ruleKey, x.points])).toEqual([
      ['b1', 'fanOutCoverage', 0.5],
      ['b2', 'fanOutUnanswered', -3],
    ]);
  });

  it('ranks units of the same kind under the same parent, labelled in Chinese; the 督查室 is not ranked', () => {
    const f: IndexFacts = {
      ...facts,
      units: [...facts.units, { id: 'dcs', name: '督查室', parentId: 'city', kind: 'supervision' }],
      relapses: [...facts.relapses, ev('99', 'reinspect', '2026-09-03', 'dcs')],
    };
    const r = computeIndex(f, DEFAULT_INDEX_RULES, '2026-Q3', cal, { today: '2026-10-01' });
    const u = (id: string) => r.scores.find((s) => s.scope === 'unit' && s.unitId === id)!;
    expect(u('b1')).toMatchObject({ group: 'kindWithinParent:city:bureau', groupLabel: '市 · 政府部门', rank: 3 });
    expect(u('b2')).toMatchObject({ group: 'kindWithinParent:city:bureau', rank: 1 });
    // The district's bureau is ranked among the district's bureaus only (alone here).
    expect(u('d1-a')).toMatchObject({ group: 'kindWithinParent:d1:bureau', groupLabel: '区一 · 政府部门', rank: 1 });
    expect(u('city')).toMatchObject({ groupLabel: '顶层单位 · 市级单位' });
    expect(u('d1')).toMatchObject({ groupLabel: '市 · 区（县、市）' });
    // No score, no reason, and the city's mean is over its six ranked units as before.
    expect(r.scores.filter((s) => s.unitId === 'dcs')).toEqual([]);
    expect(r.reasons.filter((x) => x.unitId === 'dcs')).toEqual([]);
    expect(r.scores.find((s) => s.scope === 'region' && s.unitId === 'city')!.score).toBe(
      run().scores.find((s) => s.scope === 'region' && s.unitId === 'city')!.score,
    );
    // By kind, the party kind reads 党群部门, not the stored word.
    const byKind = computeIndex(
      { ...facts, units: [...facts.units, { id: 'p1', name: '市委某部', parentId: 'city', kind: 'party' }] },
      { ...DEFAULT_INDEX_RULES, peerGroup: 'kind' },
      '2026-Q3',
      cal,
      { today: '2026-10-01' },
    );
    expect(byKind.scores.find((s) => s.unitId === 'p1')!.groupLabel).toBe('党群部门');
  });
});
