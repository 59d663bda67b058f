import { describe, expect, it } from 'vitest';
import { ACTIONS, ACTION_PAYLOADS, parseCommand, type Action, type Command } from '../../domain/commands';
import type { Actor } from '../../domain/actors';
import { ACTION_PARTY, createItem, decide, STATUSES, TRANSITIONS, type Item, type Status } from '../../domain/item';
import { coC, leadA, leader, outsider, supervisor, verifier } from '../support/actors';
import { startDeadlines } from '../../domain/deadlines';
import { DEFAULT_POLICY } from '../../domain/policy';
import { calendarOf, shippedYears } from '../../lib/calendar-store';
import { SAMPLE_PAYLOADS } from '../support/payloads';

const NOW = '2026-11-22T02:00:00.000Z';

function baseItem(): Item {
  return createItem({
    id: 'i1',
    problemListId: null,
    spec: {
      title: '整改事项',
      description: '',
      category: 'inspection',
      priority: 'normal',
      source: '',
      leadUnitId: 'unit-a',
      coUnitIds: ['unit-c'],
      dueDate: '2026-12-31',
    },
    createdBy: supervisor,
    createdAt: NOW,
    config: { maxDeclines: 2 },
  });
}

/** An item in `status`, arranged so that the action's preconditions hold. */
function fixture(status: Status, action: Action): Item {
  const item = baseItem();
  const coState = action === 'coSign' ? 'pending' : action === 'submit' ? 'done' : 'signed';
  const prepared: Item = {
    ...item,
    coParts: [{ unitId: 'unit-c', state: coState, reports: 0 }],
    extensions:
      action === 'decideExtension'
        ? [{ requestedDueDate: '2027-03-31', reason: 'x', requestedBy: 'u-a', requestedAt: NOW }]
        : [],
    instructions:
      action === 'acknowledgeInstruction'
        ? [{ text: '请加快整改', binding: true, by: 'u-leader', byName: '陈领导', at: NOW }]
        : [],
    deadlines:
      action === 'reinspect'
        ? { ...started(), reinspection: { due: '2027-03-01', dueAt: 0, state: 'due' } }
        : action === 'decideAccountability'
          ? {
              ...started(),
              fired: [
                {
                  step: 'closure',
                  epoch: 1,
                  key: 'closure-accountability',
                  action: 'accountability',
                  deadline: '2026-12-31',
                  dueAt: 0,
                  firedAt: 0,
                  targets: ['leader'],
                },
              ],
            }
          : null,
  };
  switch (status) {
    case 'declined':
      return { ...prepared, status, declinedBy: 'unit-a' };
    case 'suspended':
      return { ...prepared, status, resumeTo: 'rectifying', reason: 'x' };
    case 'closed':
      return { ...prepared, status, closedAt: NOW };
    case 'withdrawn':
      return { ...prepared, status, reason: 'x' };
    default:
      return { ...prepared, status };
  }
}

function started() {
  return startDeadlines(DEFAULT_POLICY, calendarOf(shippedYears()), Date.parse(NOW), '2026-12-31');
}

function entitledActor(action: Action): Actor {
  switch (ACTION_PARTY[action]) {
    case 'supervisor':
      return supervisor;
    case 'verifier':
      return verifier;
    case 'lead':
      return leadA;
    case 'co':
      return coC;
    case 'leader':
      return leader;
  }
}

function command(action: Action, actor: Actor): Command {
  return parseCommand({ action, payload: SAMPLE_PAYLOADS[action], actor });
}

describe('the transition table, every state × every action', () => {
  for (const status of STATUSES) {
    for (const action of ACTIONS) {
      const allowed = TRANSITIONS[status][action];
      it(`${status} × ${action} → ${allowed ? allowed.join('|') : 'refused'}`, () => {
        const item = fixture(status, action);
        const result = decide(item, command(action, entitledActor(action)), NOW);
        if (allowed) {
          expect(result.ok, result.ok ? '' : result.message).toBe(true);
          if (!result.ok) return;
          expect(allowed).toContain(result.item.status);
          expect(result.event).toMatchObject({
            seq: item.seq + 1,
            action,
            fromStatus: status,
            toStatus: result.item.status,
          });
        } else {
          expect(result).toMatchObject({ ok: false, code: 'not_allowed_in_state', status });
        }
      });
    }
  }
});

describe('who may act', () => {
  it('refuses every action to a unit that is neither lead nor co-unit', () => {
    for (const status of STATUSES) {
      for (const action of ACTIONS) {
        if (!TRANSITIONS[status][action]) continue;
        const result = decide(fixture(status, action), command(action, outsider), NOW);
        expect(result, `${status} × ${action}`).toMatchObject({ ok: false, code: 'forbidden' });
      }
    }
  });

  it('refuses supervisor actions to unit staff and unit actions to the supervisor', () => {
    expect(decide(fixture('verifying', 'verifyPass'), command('verifyPass', leadA), NOW)).toMatchObject({
      ok: false,
      code: 'forbidden',
    });
    expect(decide(fixture('assigned', 'sign'), command('sign', supervisor), NOW)).toMatchObject({
      ok: false,
      code: 'forbidden',
    });
    expect(decide(fixture('assigned', 'coSign'), command('coSign', leadA), NOW)).toMatchObject({
      ok: false,
      code: 'forbidden',
    });
  });
});

describe('guards', () => {
  it('holds closure while a co-unit part is open, and names the unit', () => {
    const item: Item = {
      ...fixture('rectifying', 'submit'),
      coParts: [{ unitId: 'unit-c', state: 'signed', reports: 1 }],
    };
    const result = decide(item, command('submit', leadA), NOW);
    expect(result).toMatchObject({ ok: false, code: 'precondition_failed' });
    expect(result.ok ? '' : result.message).toContain('unit-c');
  });

  it('sends the third decline to arbitration, and a ruled owner cannot decline', () => {
    let item: Item = baseItem();
    for (let round = 1; round <= 3; round++) {
      const declined = decide(item, command('decline', { ...leadA }), NOW);
      if (!declined.ok) throw new Error(declined.message);
      item = declined.item;
      if (round < 3) {
        expect(item.status).toBe('declined');
        const back = decide(item, command('reassign', supervisor), NOW);
        if (!back.ok) throw new Error(back.message);
        item = { ...back.item, leadUnitId: 'unit-a' };
      }
    }
    expect(item.status).toBe('arbitration');
    expect(item.declines).toHaveLength(3);
    const ruled = decide(item, command('arbitrate', supervisor), NOW);
    if (!ruled.ok) throw new Error(ruled.message);
    expect(ruled.item).toMatchObject({ status: 'assigned', leadUnitId: 'unit-a', ownerRuled: true });
    expect(decide(ruled.item, command('decline', leadA), NOW)).toMatchObject({
      ok: false,
      code: 'precondition_failed',
    });
  });

  it('moves the due date only when an extension is approved, and only later', () => {
    const item = fixture('rectifying', 'requestExtension');
    const early = decide(
      item,
      parseCommand({ action: 'requestExtension', payload: { dueDate: '2026-12-01', reason: 'x' }, actor: leadA }),
      NOW,
    );
    expect(early).toMatchObject({ ok: false, code: 'invalid' });
    const requested = decide(item, command('requestExtension', leadA), NOW);
    if (!requested.ok) throw new Error(requested.message);
    expect(requested.item.dueDate).toBe('2026-12-31');
    const refused = decide(
      requested.item,
      parseCommand({ action: 'decideExtension', payload: { approved: false }, actor: supervisor }),
      NOW,
    );
    if (!refused.ok) throw new Error(refused.message);
    expect(refused.item.dueDate).toBe('2026-12-31');
    const again = decide(refused.item, command('requestExtension', leadA), NOW);
    if (!again.ok) throw new Error(again.message);
    const approved = decide(again.item, command('decideExtension', supervisor), NOW);
    if (!approved.ok) throw new Error(approved.message);
    // The sample payload's date: some months from the real today (tests/support/dates.ts), later than the fixture's.
    expect(approved.item.dueDate).toBe(SAMPLE_PAYLOADS.requestExtension.dueDate);
    expect(approved.item.extensions).toHaveLength(2);
  });

  it('resumes a suspended item where it was', () => {
    const suspended = decide(fixture('signed', 'suspend'), command('suspend', supervisor), NOW);
    if (!suspended.ok) throw new Error(suspended.message);
    expect(suspended.item).toMatchObject({ status: 'suspended', resumeTo: 'signed' });
    const resumed = decide(suspended.item, command('resume', supervisor), NOW);
    if (!resumed.ok) throw new Error(resumed.message);
    expect(resumed.item.status).toBe('signed');
    expect('resumeTo' in resumed.item).toBe(false);
  });
});

describe('command payloads', () => {
  it('refuse unknown fields and name the bad field', () => {
    expect(() => parseCommand({ action: 'decline', payload: { reason: 'x', status: 'closed' }, actor: leadA })).toThrow(
      /status/,
    );
    expect(() =>
      parseCommand({ action: 'requestExtension', payload: { dueDate: '2026-02-30', reason: 'x' }, actor: leadA }),
    ).toThrow(/日期不存在/);
    expect(Object.keys(ACTION_PAYLOADS).sort()).toEqual([...ACTIONS].sort());
  });
});
