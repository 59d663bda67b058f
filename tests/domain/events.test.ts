import { describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../domain/actors';
import type { CreateItem } from '../../domain/commands';
import { fireRung, pendingRungs } from '../../domain/deadlines';
import {
  CREATE_ID,
  calendarNoticeId,
  calendarNotices,
  creationEvent,
  escalation,
  reinspectionId,
  rungId,
  rungNotice,
  rungPayload,
  type KeyOf,
} from '../../domain/events';
import { createItem, type Item } from '../../domain/item';
import { startClocks } from '../../domain/ladder';
import { DEFAULT_POLICY } from '../../domain/policy';
import { calendarOf, shippedYears } from '../../lib/calendar-store';
import { transitionKey } from '../../workflows/ids';
import { supervisor } from '../support/actors';

const cal = calendarOf(shippedYears());
const OPENED_AT = '2026-11-20T02:00:00.000Z';
const keyOf: KeyOf = (id) => transitionKey('item-i1', id);

function created(dueDate = '2026-12-31', coUnitIds = ['unit-c', 'unit-d']): { item: Item; spec: CreateItem } {
  const spec: CreateItem = {
    title: '整改事项',
    description: '说明',
    category: 'inspection',
    priority: 'normal',
    source: '巡察',
    leadUnitId: 'unit-a',
    coUnitIds,
    dueDate,
  };
  const item = createItem({
    id: 'i1',
    problemListId: null,
    spec,
    createdBy: supervisor,
    createdAt: OPENED_AT,
    config: { maxDeclines: 2 },
  });
  return { item, spec };
}

describe('keys of the steps the workflow records (pure)', () => {
  it('are `<workflow id>/<id>`, built by transitionKey, in the form recorded histories and stored records use', () => {
    expect(keyOf(CREATE_ID)).toBe('item-i1/create');
    expect(keyOf(rungId({ step: 'closure', epoch: 1, key: 'closure-urge' }))).toBe(
      'item-i1/rung/closure/1/closure-urge',
    );
    expect(keyOf(rungId({ step: 'sign', epoch: 3, key: 'sign-remind' }))).toBe('item-i1/rung/sign/3/sign-remind');
    expect(keyOf(reinspectionId({ due: '2027-03-01' }))).toBe('item-i1/reinspection/2027-03-01');
    expect(keyOf(calendarNoticeId('2027'))).toBe('item-i1/calendar-unknown/2027');
    expect(transitionKey('item-i1', 'u-a/idem-1')).toBe('item-i1/u-a/idem-1');
  });

  it('differ per deadline epoch, so a rung of a new deadline is recorded anew', () => {
    expect(rungId({ step: 'closure', epoch: 1, key: 'closure-urge' })).not.toBe(
      rungId({ step: 'closure', epoch: 2, key: 'closure-urge' }),
    );
  });
});

describe('event and notice drafts (pure)', () => {
  it('opening: seq 1, from no state, by whoever opened it, with what they opened', () => {
    const { item, spec } = created();
    expect(creationEvent(item, supervisor, spec)).toEqual({
      seq: 1,
      action: 'create',
      fromStatus: null,
      toStatus: 'assigned',
      actor: supervisor,
      at: OPENED_AT,
      payload: spec,
      attachments: [],
    });
  });

  it('a step of the system: one seq further, the new deadlines, the state as it was, an escalate event', () => {
    const { item } = created();
    const started = startClocks(item, DEFAULT_POLICY, cal, Date.parse(OPENED_AT));
    const now = Date.parse('2026-11-25T16:00:00Z');
    const { item: next, event } = escalation(started, started.deadlines!, now, { key: 'k' });
    expect(next).toEqual({ ...started, seq: 2, updatedAt: '2026-11-25T16:00:00.000Z' });
    expect(event).toEqual({
      seq: 2,
      action: 'escalate',
      fromStatus: 'assigned',
      toStatus: 'assigned',
      actor: SYSTEM_ACTOR,
      at: '2026-11-25T16:00:00.000Z',
      payload: { key: 'k' },
      attachments: [],
    });
    expect(started.seq).toBe(1);
  });

  it('a rung: its payload with ISO instants and the light, its notice keyed as its event', () => {
    const { item } = created();
    const started = startClocks(item, DEFAULT_POLICY, cal, Date.parse(OPENED_AT));
    const due = pendingRungs(started.deadlines!, cal).find((r) => r.rung.key === 'closure-remind')!;
    const { fired } = fireRung(started.deadlines!, due, due.fireAt + 1000);
    expect(rungPayload(fired, 'green')).toEqual({
      step: 'closure',
      epoch: 1,
      key: 'closure-remind',
      action: 'remind',
      deadline: '2026-12-31',
      dueAt: new Date(due.fireAt).toISOString(),
      firedAt: new Date(due.fireAt + 1000).toISOString(),
      targets: ['handler', 'co_units'],
      light: 'green',
    });
    expect(rungNotice('k/rung', started, fired, 'green')).toEqual({
      key: 'k/rung',
      kind: 'remind',
      targets: ['handler', 'co_units'],
      unitIds: ['unit-a', 'unit-c', 'unit-d'],
      payload: { title: '整改事项', step: 'closure', deadline: '2026-12-31', light: 'green' },
    });
  });

  it('calendar notices: one per year counted without calendar data, once', () => {
    // Shipped calendars end with 2026: a due date in 2027 is counted on weekdays and flagged.
    const { item } = created('2027-03-31');
    const started = startClocks(item, DEFAULT_POLICY, cal, Date.parse(OPENED_AT));
    expect(started.deadlines!.unknownYears).toEqual(['2027']);
    expect(calendarNotices(started, null, keyOf)).toEqual([
      {
        key: 'item-i1/calendar-unknown/2027',
        kind: 'calendar_unknown',
        targets: ['supervisor'],
        unitIds: ['unit-a'],
        payload: { year: '2027', title: '整改事项' },
      },
    ]);
    // Already told (the deadlines before the step knew the year): nothing new.
    expect(calendarNotices(started, started.deadlines, keyOf)).toEqual([]);
    // A later step that adds a year tells only that one.
    const later = { ...started, deadlines: { ...started.deadlines!, unknownYears: ['2027', '2028'] } };
    expect(calendarNotices(later, started.deadlines, keyOf).map((n) => n.key)).toEqual([
      'item-i1/calendar-unknown/2028',
    ]);
  });

  it('calendar notices: none for an item without deadlines, or with every year known', () => {
    // Due early in December: its last rung (ten working days after) is still in 2026.
    const { item } = created('2026-12-10');
    expect(calendarNotices(item, null, keyOf)).toEqual([]);
    const started = startClocks(item, DEFAULT_POLICY, cal, Date.parse(OPENED_AT));
    expect(started.deadlines!.unknownYears).toEqual([]);
    expect(calendarNotices(started, null, keyOf)).toEqual([]);
  });

  it('calendar notices: a rung counted into an unknown year flags it, though the deadline is in a known one', () => {
    const started = startClocks(created('2026-12-24').item, DEFAULT_POLICY, cal, Date.parse(OPENED_AT));
    expect(started.deadlines!.clocks.closure!.deadline).toBe('2026-12-24');
    expect(started.deadlines!.unknownYears).toEqual(['2027']);
    expect(calendarNotices(started, null, keyOf).map((n) => n.key)).toEqual(['item-i1/calendar-unknown/2027']);
  });
});
