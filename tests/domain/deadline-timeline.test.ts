import { describe, expect, it } from 'vitest';
import { workingDaysBetween } from '../../domain/calendar';
import { afterTransition, fireRung, pendingRungs, startDeadlines, type Deadlines } from '../../domain/deadlines';
import { closedText, deadlineTimeline, type TimelineEvent } from '../../domain/deadline-timeline';
import { createItem, DEFAULT_ITEM_CONFIG, type Item } from '../../domain/item';
import { rungEventText } from '../../domain/labels';
import { DEFAULT_POLICY } from '../../domain/policy';
import { calendarOf, shippedYears } from '../../lib/calendar-store';
import { leadA, supervisor } from '../support/actors';
import { spec } from '../support/items';

const cal = calendarOf(shippedYears());
const at = (iso: string) => Date.parse(iso);
const facts = (dueDate: string, status = 'rectifying') => ({ dueDate, status });

function runUntil(d: Deadlines, until: number): Deadlines {
  for (;;) {
    const next = pendingRungs(d, cal)[0];
    if (!next || next.fireAt > until) return d;
    d = fireRung(d, next, next.fireAt).deadlines;
  }
}

const ev = (action: string, iso: string, who: { userId: string; name: string }): TimelineEvent => ({
  action,
  at: iso,
  actorUserId: who.userId,
  actorName: who.name,
});

// Assigned Wednesday 30 Sep 2026 (10:00 Shanghai), due Friday 30 Oct; signed 8 Oct, plan filed 9 Oct.
const assigned = at('2026-09-30T02:00:00Z');
function rectifying(): Deadlines {
  let d = startDeadlines(DEFAULT_POLICY, cal, assigned, '2026-10-30');
  d = runUntil(d, at('2026-10-08T01:00:00Z'));
  d = afterTransition(
    d,
    'sign',
    facts('2026-10-30', 'assigned'),
    facts('2026-10-30', 'signed'),
    cal,
    at('2026-10-08T02:00:00Z'),
  );
  return afterTransition(d, 'filePlan', facts('2026-10-30'), facts('2026-10-30'), cal, at('2026-10-09T02:00:00Z'));
}

function item(d: Deadlines, extra: Partial<Item> = {}): Item {
  const base = createItem({
    id: 'I-TL',
    problemListId: null,
    spec: spec({ dueDate: '2026-10-30' }),
    createdBy: supervisor,
    createdAt: new Date(assigned).toISOString(),
    config: DEFAULT_ITEM_CONFIG,
  });
  return { ...base, status: 'rectifying', deadlines: d, ...extra } as Item;
}

describe('the deadline timeline (pure)', () => {
  it('explains a red light after a yellow, an approved extension, then the new deadline missed', () => {
    // Yellow on 30 Oct (closure-urge), extended on 2 Nov to 13 Nov by the supervisor, red on 18 Nov.
    let d = runUntil(rectifying(), at('2026-11-02T01:00:00Z'));
    expect(d.light).toBe('yellow');
    d = afterTransition(
      d,
      'decideExtension',
      facts('2026-10-30'),
      facts('2026-11-13'),
      cal,
      at('2026-11-02T02:00:00Z'),
      supervisor.userId,
    );
    expect(d.light).toBe('green');
    d = runUntil(d, at('2026-11-23T04:00:00Z'));
    expect(d.light).toBe('red');
    const extensions = [
      {
        dueDateBefore: '2026-10-30',
        requestedDueDate: '2026-11-13',
        reason: '需协调资金',
        requestedBy: leadA.userId,
        requestedAt: '2026-10-31T02:00:00.000Z',
        decision: { approved: true, by: supervisor.userId, at: '2026-11-02T02:00:00.000Z', opinion: '同意' },
      },
    ];
    const events = [
      ev('create', '2026-09-30T02:00:00.000Z', supervisor),
      ev('sign', '2026-10-08T02:00:00.000Z', leadA),
      ev('filePlan', '2026-10-09T02:00:00.000Z', leadA),
      ev('requestExtension', '2026-10-31T02:00:00.000Z', leadA),
      ev('decideExtension', '2026-11-02T02:00:00.000Z', supervisor),
    ];
    const t = deadlineTimeline(item(d, { dueDate: '2026-11-13', extensions }), cal, '2026-11-23', events);

    expect(t.bars.map((b) => b.stage)).toEqual(['sign', 'plan', 'closure']);
    const [sign, plan, closure] = t.bars;
    expect(sign).toMatchObject({ start: '2026-09-30', end: '2026-10-08', deadline: '2026-10-09', state: 'done' });
    // Signed the day its first rung was due, before that day's end: none of the sign rungs fired.
    expect(sign!.rungs).toEqual([]);
    expect(plan).toMatchObject({ start: '2026-10-08', end: '2026-10-09', overdueWorkingDays: 0 });

    // Both closure deadlines: the first replaced by the approval, with who approved and who asked.
    expect(closure!.deadlines).toHaveLength(2);
    expect(closure!.deadlines[0]).toMatchObject({
      epoch: 1,
      deadline: '2026-10-30',
      inForce: false,
      endedOn: '2026-11-02',
      endedBy: 'decideExtension',
      byName: '王督查',
      extension: { requestedByName: '张经办', requestedDueDate: '2026-11-13', opinion: '同意' },
    });
    expect(closure!.deadlines[1]).toMatchObject({ epoch: 2, deadline: '2026-11-13', inForce: true });
    expect(closure!.overdueWorkingDays).toBe(6);

    const rung = (key: string, epoch: number) => closure!.rungs.find((r) => r.key === key && r.epoch === epoch)!;
    expect(rung('closure-urge', 1)).toMatchObject({ status: 'fired', day: '2026-10-30', countsForLight: false });
    expect(rung('closure-red', 1)).toMatchObject({ status: 'superseded', day: '2026-11-04' });
    expect(rung('closure-red', 2)).toMatchObject({ status: 'fired', day: '2026-11-18', countsForLight: true });
    expect(rung('closure-interview', 2)).toMatchObject({
      status: 'fired',
      day: '2026-11-20',
      text: '约谈提醒（已发牵头单位负责人，已报督查室）',
    });
    expect(rung('closure-accountability', 2)).toMatchObject({ status: 'pending', day: '2026-11-27' });
    // Only a rung that fired was sent: one still to come will be, one replaced never was.
    expect(rung('closure-accountability', 2).text).toBe('建议通报问责（将报督查室、领导）');
    expect(rung('closure-red', 1).text).not.toContain('已发');
    expect(rung('closure-red', 1).recipients).toMatch(/^未发送/);
    // The progress reports' rungs sit on the rectification bar.
    expect(closure!.rungs.some((r) => r.step === 'progress')).toBe(true);

    // The light: the same as the item's, set by the first red rung in force, since its day.
    expect(t.light?.light).toBe(d.light);
    expect(t.light?.reason?.rung).toMatchObject({ key: 'closure-red', epoch: 2 });
    expect(t.light?.reason?.since).toBe('2026-11-18');
    expect(t.light?.sentence).toContain('为什么是红灯：办结销号期限 2026-11-13 已过 3 个工作日仍未办结');
    expect(t.light?.sentence).toContain('“办结销号期限后第 3 个工作日 → 红灯预警”');
    expect(t.light?.sentence).toContain('依据默认期限规则（第 1 版）');
    expect(t.light?.sentence).not.toContain('default');
    expect(t.light?.sentence).toContain('自 2026-11-18 起为红灯');
    expect(t.light?.sentence).toContain('办结时限已过 6 个工作日');
    expect(t.closed).toBeNull();
  });

  it('leaves suspended days out of the time used and shows the pause on the bars', () => {
    let d = rectifying();
    d = afterTransition(
      d,
      'suspend',
      facts('2026-10-30'),
      facts('2026-10-30', 'suspended'),
      cal,
      at('2026-10-12T02:00:00Z'),
    );
    d = afterTransition(
      d,
      'resume',
      facts('2026-10-30', 'suspended'),
      facts('2026-10-30'),
      cal,
      at('2026-10-19T02:00:00Z'),
    );
    const t = deadlineTimeline(item(d), cal, '2026-10-21', []);
    const closure = t.bars.find((b) => b.stage === 'closure')!;
    expect(closure.pauses).toEqual([
      { from: '2026-10-12', to: '2026-10-19', kind: 'suspended', label: '挂起（不计时，期限顺延）' },
    ]);
    // As the ledger counts them: working days after the start, less those after the suspension up to the resumption.
    const all = workingDaysBetween(cal, '2026-09-30', '2026-10-21');
    expect(closure.workingDaysUsed).toBe(all - workingDaysBetween(cal, '2026-10-12', '2026-10-19'));
    expect(closure.workingDaysUsed).toBeLessThan(all);
    expect(closure.deadline).toBe(d.clocks.closure!.deadline);
    expect(t.light).toMatchObject({ light: 'green', reason: null });
  });

  it('gives a closed item no light but how it closed, and a verification round', () => {
    let d = rectifying();
    d = afterTransition(
      d,
      'submit',
      facts('2026-10-30'),
      facts('2026-10-30', 'verifying'),
      cal,
      at('2026-11-04T02:00:00Z'),
    );
    d = afterTransition(
      d,
      'verifyPass',
      facts('2026-10-30', 'verifying'),
      facts('2026-10-30', 'closed'),
      cal,
      at('2026-11-05T02:00:00Z'),
    );
    const events = [
      ev('submit', '2026-11-04T02:00:00.000Z', leadA),
      ev('verifyPass', '2026-11-05T02:00:00.000Z', supervisor),
    ];
    const t = deadlineTimeline(
      item(d, { status: 'closed', closedAt: '2026-11-05T02:00:00.000Z' } as Partial<Item>),
      cal,
      '2026-11-10',
      events,
    );
    expect(t.light).toBeNull();
    expect(t.closed).toMatchObject({ text: '逾期 3 个工作日办结', lateWorkingDays: 3, handedInOn: '2026-11-04' });
    const verification = t.bars.find((b) => b.stage === 'verification')!;
    expect(verification.rounds).toEqual([{ from: '2026-11-04', to: '2026-11-05', outcome: 'passed' }]);
    expect(t.bars.find((b) => b.stage === 'closure')!.end).toBe('2026-11-04');
    expect(closedText(0)).toBe('按期办结');
  });

  it('dates a rung fired late (an item opened past its deadline) from the day it fired, and names the rule’s day', () => {
    const now = at('2026-11-09T02:00:00Z');
    let d = startDeadlines(DEFAULT_POLICY, cal, now, '2026-10-30');
    for (const due of pendingRungs(d, cal).filter((r) => r.fireAt <= now)) d = fireRung(d, due, now).deadlines;
    expect(d.light).toBe('red');
    const t = deadlineTimeline(item(d, { status: 'assigned' }), cal, '2026-11-09', []);
    expect(t.light?.reason?.rung).toMatchObject({ key: 'closure-red', day: '2026-11-04' });
    expect(t.light?.reason?.since).toBe('2026-11-09');
    expect(t.light?.sentence).toContain('自 2026-11-09 起为红灯（按规则应于 2026-11-04 触发）');
    // No co-units on the item: the rungs' co_units target reached no one and is not named.
    const remind = t.bars.flatMap((b) => b.rungs).find((r) => r.key === 'closure-remind')!;
    expect(remind.text).toBe('到期提醒（已发牵头单位承办人）');

    // The same rungs marked as a backdated import's: never sent, and the sentence says so.
    let b = startDeadlines(DEFAULT_POLICY, cal, now, '2026-10-30');
    for (const due of pendingRungs(b, cal).filter((r) => r.fireAt <= now))
      b = fireRung(b, due, now, false, true).deadlines;
    const backdated = deadlineTimeline(item(b, { status: 'assigned' }), cal, '2026-11-09', []);
    expect(backdated.light?.reason?.rung).toMatchObject({ key: 'closure-red', status: 'not_applicable' });
    expect(backdated.light?.sentence).toContain('（补录前已过期，未发送）。');
    expect(backdated.light?.sentence).not.toContain('已发');
    expect(backdated.light?.sentence).not.toContain('已报');
  });

  it('words automatic steps as what they were and to whom', () => {
    expect(rungEventText({ action: 'accountability', targets: ['supervisor', 'leader'] })).toBe(
      '建议通报问责（已报督查室、领导）',
    );
    expect(rungEventText({ action: 'urge', targets: ['handler', 'unit_leader'] })).toBe(
      '催办提醒（已发牵头单位承办人、牵头单位负责人）',
    );
    expect(rungEventText({ action: 'red', targets: ['supervisor'], skipped: true })).toContain('未发送');
  });
});
