import { describe, expect, it } from 'vitest';
import type { FiredRung } from '../../domain/deadlines';
import { createItem, type Item } from '../../domain/item';
import { startClocks } from '../../domain/ladder';
import { DEFAULT_POLICY } from '../../domain/policy';
import {
  attentionText,
  compareItem,
  expectedRungNotices,
  isReconciliationMark,
  type WorkflowSide,
} from '../../domain/reconcile';
import { calendarOf, shippedYears } from '../../lib/calendar-store';
import { supervisor } from '../support/actors';

const cal = calendarOf(shippedYears());
const keyOf = (id: string) => `item-i1/${id}`;

function rung(key: string, action: FiredRung['action'], extra: Partial<FiredRung> = {}): FiredRung {
  return {
    step: 'closure',
    epoch: 0,
    key,
    action,
    deadline: '2026-10-30',
    dueAt: Date.parse('2026-11-04T16:00:00Z'),
    // 00:30 on 5 Nov in Shanghai.
    firedAt: Date.parse('2026-11-04T16:30:00Z'),
    targets: ['handler', 'supervisor'],
    ...extra,
  };
}

/** An item in `status` at `seq` with these rungs fired. */
function item(status: Item['status'], seq: number, fired: FiredRung[] = []): Item {
  const base = startClocks(
    createItem({
      id: 'i1',
      problemListId: null,
      spec: {
        title: '整改事项',
        description: '',
        category: 'inspection',
        priority: 'normal',
        source: '专项督查',
        leadUnitId: 'unit-a',
        coUnitIds: [],
        dueDate: '2026-10-30',
      },
      createdBy: supervisor,
      config: { maxDeclines: 2 },
      createdAt: '2026-09-30T02:00:00Z',
    }),
    DEFAULT_POLICY,
    cal,
    Date.parse('2026-09-30T02:00:00Z'),
  );
  return { ...base, status, seq, deadlines: { ...base.deadlines!, fired } } as Item;
}

const running = (i: Item, recordedSeq = i.seq, seq = i.seq): WorkflowSide => ({
  kind: 'running',
  item: i,
  seq,
  recordedSeq,
});
const noNotices = { expected: [], present: new Set<string>() };
const kinds = (look: ReturnType<typeof compareItem>) => (look.settled ? look.findings.map((f) => f.kind) : look.why);

describe('one item: its row against its workflow', () => {
  it('finds nothing when the row is the workflow’s state and every fired rung has its notice', () => {
    const i = item('rectifying', 6, [rung('closure-urge', 'urge'), rung('closure-red', 'red')]);
    const expected = expectedRungNotices(i, keyOf);
    const look = compareItem(
      'i1',
      { status: 'rectifying', seq: 6, open: true },
      running(i),
      {
        expected,
        present: new Set(expected.map((e) => e.key)),
      },
      false,
    );
    expect(look).toEqual({ settled: true, findings: [] });
  });

  it('finds a status that differs at the same step, a row ahead of the workflow, and one behind it', () => {
    const i = item('rectifying', 6);
    const mismatch = compareItem('i1', { status: 'verifying', seq: 6, open: true }, running(i), noNotices, false);
    expect(mismatch).toMatchObject({
      settled: true,
      findings: [
        {
          kind: 'status_mismatch',
          subjectId: 'i1',
          detail: { reason: '数据库记录的状态（待核查）与流程（整改中）不一致，同为第 6 步' },
        },
      ],
    });
    const ahead = compareItem('i1', { status: 'rectifying', seq: 9, open: true }, running(i), noNotices, false);
    expect(ahead).toMatchObject({
      settled: true,
      findings: [
        {
          kind: 'record_ahead',
          detail: { reason: '数据库记录领先于流程：记录为整改中，第 9 步，流程只到整改中，第 6 步' },
        },
      ],
    });
    // Behind while the workflow says it has recorded everything: a record lost, not one in flight.
    expect(kinds(compareItem('i1', { status: 'signed', seq: 5, open: true }, running(i), noNotices, false))).toEqual([
      'record_behind',
    ]);
  });

  it('waits for a record in flight, and reports it only when it is still behind on the second look', () => {
    const i = item('rectifying', 6);
    const row = { status: 'signed', seq: 5, open: true };
    expect(compareItem('i1', row, running(i, 5), noNotices, false)).toEqual({ settled: false, why: 'in flight' });
    const second = compareItem('i1', row, running(i, 5), noNotices, true);
    expect(second).toMatchObject({
      settled: true,
      findings: [{ kind: 'record_behind', detail: { inFlight: true } }],
    });
    expect(second.settled && second.findings[0]!.detail.reason).toContain('写入迟迟未完成');
    // A row AHEAD of the workflow is no record in flight: found at once.
    expect(
      kinds(compareItem('i1', { status: 'verifying', seq: 7, open: true }, running(i, 5), noNotices, false)),
    ).toEqual(['record_ahead']);
  });

  it('looks again at an item that moved between its two queries, and lets it be if it keeps moving', () => {
    const i = item('rectifying', 6);
    const row = { status: 'rectifying', seq: 6, open: true };
    expect(compareItem('i1', row, running(i, 7, 7), noNotices, false)).toEqual({ settled: false, why: 'moving' });
    expect(compareItem('i1', row, running(i, 7, 7), noNotices, true)).toEqual({ settled: true, findings: [] });
  });

  it('finds an open row without a workflow or with an ended one, and a running workflow without a row', () => {
    const row = { status: 'assigned', seq: 1, open: true };
    expect(compareItem('i1', row, { kind: 'missing' }, noNotices, false)).toMatchObject({
      settled: true,
      findings: [
        { kind: 'no_workflow', detail: { reason: '记录显示事项尚在办理（待签收，第 1 步），但找不到它的流程' } },
      ],
    });
    expect(compareItem('i1', null, { kind: 'missing' }, noNotices, false)).toEqual({ settled: true, findings: [] });
    expect(kinds(compareItem('i1', row, { kind: 'ended', executionStatus: 'TERMINATED' }, noNotices, false))).toEqual([
      'workflow_ended',
    ]);
    // Withdrawn between our two reads: the row finished with its workflow, nothing differs.
    const finished = { status: 'withdrawn', seq: 2, open: false };
    expect(compareItem('i1', finished, { kind: 'ended', executionStatus: 'COMPLETED' }, noNotices, true)).toEqual({
      settled: true,
      findings: [],
    });
    const opened = item('assigned', 1);
    // Its creation record is being written: not yet a finding.
    expect(compareItem('i1', null, running(opened, 0), noNotices, false)).toEqual({ settled: false, why: 'in flight' });
    expect(compareItem('i1', null, running(opened), noNotices, false)).toMatchObject({
      settled: true,
      findings: [{ kind: 'no_row', detail: { reason: '流程在运行（待签收，第 1 步），但数据库中没有该事项的记录' } }],
    });
  });

  it('reports a workflow that does not answer only on the second look', () => {
    const wf: WorkflowSide = { kind: 'unanswered', error: 'deadline exceeded' };
    expect(compareItem('i1', { status: 'assigned', seq: 1, open: true }, wf, noNotices, false)).toEqual({
      settled: false,
      why: 'unanswered',
    });
    expect(kinds(compareItem('i1', { status: 'assigned', seq: 1, open: true }, wf, noNotices, true))).toEqual([
      'unanswered',
    ]);
  });
});

describe('fired rungs against their notices', () => {
  const fired = [
    rung('closure-urge', 'urge'),
    rung('closure-red', 'red'),
    // Acknowledged before it climbed: recorded, nobody told.
    rung('closure-interview', 'interview', { skipped: true }),
    // A backdated import's rung from before the import: 不适用, never sent.
    rung('sign-urge', 'urge', { step: 'sign', notApplicable: true }),
  ];

  it('expects a notice for every rung that was sent, keyed as the workflow records it', () => {
    expect(expectedRungNotices(item('rectifying', 8, fired), keyOf).map((e) => e.key)).toEqual([
      'item-i1/rung/closure/0/closure-urge',
      'item-i1/rung/closure/0/closure-red',
    ]);
  });

  it('finds a fired rung whose notification request is missing, in words', () => {
    const i = item('rectifying', 8, fired);
    const expected = expectedRungNotices(i, keyOf);
    const look = compareItem(
      'i1',
      { status: 'rectifying', seq: 8, open: true },
      running(i),
      {
        expected,
        present: new Set(['item-i1/rung/closure/0/closure-urge']),
      },
      false,
    );
    expect(look).toMatchObject({
      settled: true,
      findings: [
        {
          kind: 'rung_notice_missing',
          key: 'item-i1/rung/closure/0/closure-red',
          detail: {
            reason: '「红灯预警」已于 2026-11-05 00:30 触发，但没有对应的通知请求，相关单位和人员可能未收到',
            noticeKey: 'item-i1/rung/closure/0/closure-red',
            rung: { step: 'closure', epoch: 0, key: 'closure-red', action: 'red' },
          },
        },
      ],
    });
  });

  it('does not count a notice missing while the rung’s record is still in flight', () => {
    const i = item('rectifying', 8, fired);
    const look = compareItem(
      'i1',
      { status: 'rectifying', seq: 8, open: true },
      running(i, 7),
      {
        expected: expectedRungNotices(i, keyOf),
        present: new Set(),
      },
      true,
    );
    expect(look).toEqual({ settled: true, findings: [] });
  });
});

describe('the attention mark', () => {
  it('names every finding, and is told apart from a failing write’s mark', () => {
    const text = attentionText([{ detail: { reason: '甲' } }, { detail: { reason: '乙' } }]);
    expect(text).toBe('对账发现：甲；乙');
    expect(isReconciliationMark(text)).toBe(true);
    expect(isReconciliationMark('recordTransition: connection refused')).toBe(false);
    expect(isReconciliationMark(null)).toBe(false);
  });
});
