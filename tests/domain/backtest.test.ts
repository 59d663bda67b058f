import { describe, expect, it } from 'vitest';
import {
  addItem,
  emptyTotals,
  factsAfter,
  inPeriod,
  replayItem,
  rungDay,
  type AckLookup,
  type ItemBacktest,
  type RecordedEvent,
  type RecordedItem,
} from '../../domain/backtest';
import { DEFAULT_POLICY, type Policy } from '../../domain/policy';
import { calendarOf, shippedYears } from '../../lib/calendar-store';

const cal = calendarOf(shippedYears());
/** An instant in Shanghai time. */
const sh = (date: string, time = '10:00') => Date.parse(`${date}T${time}:00+08:00`);
const never: AckLookup = () => null;

const SPEC = {
  title: '消防通道堵塞',
  description: '',
  category: 'inspection',
  priority: 'normal',
  source: '',
  leadUnitId: 'unit-a',
  coUnitIds: ['unit-c'],
  dueDate: '2026-10-30',
};

let seq = 0;
const ev = (action: string, at: number, toStatus: string, payload: unknown = {}): RecordedEvent => ({
  seq: ++seq,
  action,
  toStatus,
  actorUserId: 'u',
  at,
  payload,
});
/** A recorded rung, as the workflow's `escalate` event holds it. */
const rung = (key: string, step: string, epoch: number, action: string, firedAt: number, light: string) =>
  ev('escalate', firedAt, 'x', {
    key,
    step,
    epoch,
    action,
    light,
    dueAt: new Date(firedAt).toISOString(),
    firedAt: new Date(firedAt).toISOString(),
    targets: ['handler'],
  });

function item(events: RecordedEvent[]): RecordedItem {
  return { id: 'T1', number: '督〔2026〕1号', title: SPEC.title, events };
}

const days = (r: ItemBacktest, side: 'candidate' | 'recorded') => r[side].map((x) => `${rungDay(x.at)} ${x.key}`);

describe('a ladder replayed on a recorded item (pure)', () => {
  // Opened Wednesday 30 Sep 2026 10:00; sign deadline 9 Oct (National Day), closure 30 Oct.
  const opened = ev('create', sh('2026-09-30'), 'assigned', SPEC);

  it('fires the candidate rungs on the days the recorded actions leave them, and reads the recorded ones', () => {
    seq = 0;
    const log = [
      ev('create', sh('2026-09-30'), 'assigned', SPEC),
      ev('sign', sh('2026-10-12'), 'signed'),
      ev('filePlan', sh('2026-10-12', '11:00'), 'rectifying'),
      ev('submit', sh('2026-11-05'), 'verifying'),
      ev('verifyPass', sh('2026-11-06'), 'closed'),
    ];
    // Signed a working day late: 提醒 on 8 Oct, 催办 on 9 Oct; closure 提醒 on 27 Oct, 催办 30 Oct, 红灯 at +3 (4 Nov), handed in on 5 Nov.
    const r = replayItem(item(log), DEFAULT_POLICY, cal, sh('2026-12-31'), never)!;
    expect(days(r, 'candidate')).toEqual([
      '2026-10-08 sign-remind',
      '2026-10-09 sign-urge',
      '2026-10-26 progress-remind',
      '2026-10-27 closure-remind',
      '2026-10-30 closure-urge',
      '2026-11-04 closure-red',
    ]);
    expect(r.redCandidateAt).toBe(sh('2026-11-05', '00:00'));
    expect(r.change).toBe('new');
    // The 提醒 goes to the lead unit's handler and the co-unit.
    expect(r.candidate.find((x) => x.key === 'closure-remind')!.targets).toEqual([
      { target: 'handler', unitId: 'unit-a' },
      { target: 'co_units', unitId: 'unit-c' },
    ]);
  });

  it('classifies red as earlier, later, same, new, gone or none', () => {
    seq = 0;
    const base = [
      ev('create', sh('2026-09-30'), 'assigned', SPEC),
      ev('sign', sh('2026-10-09'), 'signed'),
      ev('filePlan', sh('2026-10-09', '11:00'), 'rectifying'),
    ];
    const redOn = (date: string) => rung('closure-red', 'closure', 1, 'red', sh(date, '00:00'), 'red');
    const strict: Policy = {
      ...DEFAULT_POLICY,
      ladder: DEFAULT_POLICY.ladder.map((x) => (x.key === 'closure-red' ? { ...x, offset: 1 } : x)),
    };
    const horizon = sh('2026-11-10');
    // Red recorded at 4 Nov's end (the default's +3): the strict +1 is 2 Nov's end: earlier.
    const recorded = item([...base, redOn('2026-11-05')]);
    expect(replayItem(recorded, strict, cal, horizon, never)!.change).toBe('earlier');
    expect(replayItem(recorded, DEFAULT_POLICY, cal, horizon, never)!.change).toBe('same');
    const lenient: Policy = { ...DEFAULT_POLICY, ladder: DEFAULT_POLICY.ladder.filter((x) => x.action !== 'red') };
    const noInterview: Policy = {
      ...lenient,
      ladder: lenient.ladder.filter((x) => x.action !== 'interview' && x.action !== 'accountability'),
    };
    expect(replayItem(recorded, noInterview, cal, horizon, never)!.change).toBe('gone');
    // Red recorded a day before the default would: the default is later.
    expect(replayItem(item([...base, redOn('2026-11-04')]), DEFAULT_POLICY, cal, horizon, never)!.change).toBe('later');
    expect(replayItem(item(base), noInterview, cal, horizon, never)!.change).toBe('none');
  });

  it('moves the due date, lead unit and co-units as the recorded actions did', () => {
    const f = {
      status: 'assigned' as const,
      dueDate: '2026-10-30',
      leadUnitId: 'unit-a',
      coUnitIds: ['unit-c'],
      askedDueDate: null,
    };
    const e = (action: string, payload: unknown, toStatus = 'assigned') => ev(action, 0, toStatus, payload);
    expect(factsAfter(f, e('reassign', { leadUnitId: 'unit-c', dueDate: '2026-11-30' }))).toMatchObject({
      leadUnitId: 'unit-c',
      coUnitIds: [],
      dueDate: '2026-11-30',
    });
    expect(factsAfter(f, e('arbitrate', { unitId: 'unit-b' }))).toMatchObject({
      leadUnitId: 'unit-b',
      coUnitIds: ['unit-c'],
    });
    expect(
      factsAfter(
        f,
        e('edit', {
          changes: { coUnitIds: { from: ['unit-c'], to: ['unit-b'] }, dueDate: { from: 'x', to: '2026-12-01' } },
        }),
      ),
    ).toMatchObject({ coUnitIds: ['unit-b'], dueDate: '2026-12-01' });
    const asked = factsAfter(f, e('requestExtension', { dueDate: '2026-12-15', reason: '' }));
    expect(factsAfter(asked, e('decideExtension', { approved: true, opinion: '' })).dueDate).toBe('2026-12-15');
    expect(factsAfter(asked, e('decideExtension', { approved: false, opinion: '' })).dueDate).toBe('2026-10-30');
    expect(factsAfter(f, e('reinspect', { relapsed: true, dueDate: '2027-01-15' }, 'rectifying'))).toMatchObject({
      status: 'rectifying',
      dueDate: '2027-01-15',
    });
  });

  it('lets an acknowledgement-gated rung climb only when the recorded notice before it was not read in time', () => {
    seq = 0;
    const gated: Policy = {
      ...DEFAULT_POLICY,
      ladder: DEFAULT_POLICY.ladder.map((x) => (x.key === 'closure-urge' ? { ...x, ackGate: true } : x)),
    };
    const log = [
      opened,
      ev('sign', sh('2026-10-09'), 'signed'),
      ev('filePlan', sh('2026-10-09', '11:00'), 'rectifying'),
    ];
    const replay = (ack: AckLookup) =>
      replayItem(item(log), gated, cal, sh('2026-10-31', '12:00'), ack)!.candidate.find(
        (x) => x.key === 'closure-urge',
      )!;
    const readOn =
      (date: string): AckLookup =>
      (_id, rungId) =>
        rungId === 'rung/closure/1/closure-remind' ? sh(date) : null;
    expect(replay(never).skipped).toBe(false);
    expect(replay(readOn('2026-10-28')).skipped).toBe(true);
    // Read only after the 催办 was due: too late to hold it back.
    expect(replay(readOn('2026-11-02')).skipped).toBe(false);
    // A skipped rung is not counted among those fired.
    expect(inPeriod([replay(readOn('2026-10-28'))], '2026-10-01', '2026-10-31')).toEqual([]);
  });

  it('counts only the rungs in the period, and nothing past the horizon', () => {
    seq = 0;
    const log = [opened];
    const full = replayItem(item(log), DEFAULT_POLICY, cal, sh('2026-12-31'), never)!;
    const upToOct = replayItem(item(log), DEFAULT_POLICY, cal, sh('2026-10-31'), never)!;
    expect(upToOct.candidate.every((x) => x.at <= sh('2026-10-31'))).toBe(true);
    expect(full.candidate.length).toBeGreaterThan(upToOct.candidate.length);
    const t = emptyTotals();
    addItem(t, full, '2026-10-01', '2026-10-09');
    expect(t.candidate).toEqual({ remind: 1, urge: 1, red: 0, interview: 0, accountability: 0 });
    expect(t.byTarget.get('handler|unit-a')).toEqual({
      target: 'handler',
      unitId: 'unit-a',
      candidate: 2,
      recorded: 0,
    });
    expect(t.byTarget.get('unit_leader|unit-a')?.candidate).toBe(1);
  });

  it('treats a backdated import alike on both sides: rungs past at the import are not applicable, and count for the light', () => {
    seq = 0;
    // Began 1 Sep in an older system, due Fri 30 Oct, imported Fri 6 Nov 10:00. Default closure ladder:
    // 提醒 at -3 (27 Oct), 催办 at 0 (30 Oct), 红灯 at +3 (4 Nov) had passed; 约谈 at +5 falls at 6 Nov 24:00, after it.
    const endOf = (date: string) => new Date(sh(date, '00:00') + 86_400_000).toISOString();
    const imported = ev('create', sh('2026-11-06'), 'assigned', {
      ...SPEC,
      backdated: {
        openedOn: '2026-09-01',
        notApplicable: [
          { step: 'closure', key: 'closure-remind', action: 'remind', dueAt: endOf('2026-10-27') },
          { step: 'closure', key: 'closure-urge', action: 'urge', dueAt: endOf('2026-10-30') },
          { step: 'closure', key: 'closure-red', action: 'red', dueAt: endOf('2026-11-04') },
        ],
      },
    });
    const horizon = sh('2026-11-06', '11:00');
    const na = (r: ItemBacktest, side: 'candidate' | 'recorded') =>
      r[side].filter((x) => x.notApplicable).map((x) => `${rungDay(x.dueAt)} ${x.key}`);
    const same = replayItem(item([imported]), DEFAULT_POLICY, cal, horizon, never)!;
    expect(na(same, 'candidate')).toEqual([
      '2026-10-27 closure-remind',
      '2026-10-30 closure-urge',
      '2026-11-04 closure-red',
    ]);
    expect(na(same, 'recorded')).toEqual(na(same, 'candidate'));
    // Red in both, from the day its 红灯 fell due.
    expect(rungDay(same.redCandidateAt!)).toBe('2026-11-04');
    expect(same.redRecordedAt).toBe(same.redCandidateAt);
    expect(same.change).toBe('same');
    // Counted apart from the rungs sent, on the day of the import; never sent, so no one is told.
    const t = emptyTotals();
    addItem(t, same, '2026-11-06', '2026-11-06');
    expect(t.candidate).toEqual({ remind: 0, urge: 0, red: 0, interview: 0, accountability: 0 });
    expect(t.notApplicable.candidate).toEqual({ remind: 1, urge: 1, red: 1, interview: 0, accountability: 0 });
    expect(t.notApplicable.recorded).toEqual(t.notApplicable.candidate);
    expect(t.byTarget.size).toBe(0);
    // 红灯 at +1 instead: due 2 Nov, before the import too; the item turned red two working days earlier.
    const strict: Policy = {
      ...DEFAULT_POLICY,
      ladder: DEFAULT_POLICY.ladder.map((r) => (r.key === 'closure-red' ? { ...r, offset: 1 } : r)),
    };
    const earlier = replayItem(item([imported]), strict, cal, horizon, never)!;
    expect(rungDay(earlier.redCandidateAt!)).toBe('2026-11-02');
    expect(earlier.change).toBe('earlier');
  });

  it('ignores an event that is no item action, and an item without its creation event', () => {
    seq = 0;
    expect(
      replayItem(item([ev('sign', sh('2026-10-09'), 'signed')]), DEFAULT_POLICY, cal, sh('2026-12-31'), never),
    ).toBeNull();
    const r = replayItem(
      item([opened, ev('somethingNew', sh('2026-10-01'), 'assigned')]),
      DEFAULT_POLICY,
      cal,
      sh('2026-10-09', '12:00'),
      never,
    );
    expect(r!.candidate.map((x) => x.key)).toEqual(['sign-remind']);
  });
});
