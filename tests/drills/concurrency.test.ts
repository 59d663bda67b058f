/**
 * Drills on requests that race: the same request sent twice at once has one effect; two
 * conflicting actions at once — one wins, the other gets 409, and both are in the audit log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as p from '../support/actors';
import { bearer, startApiStack, type ApiStack } from '../support/api';
import { DUE } from '../support/dates';
import { uniqueTaskQueue } from '../support/stack';

let stack: ApiStack;
beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('race'));
}, 60_000);
afterAll(async () => stack?.close());

const post = (
  url: string,
  actor: typeof p.supervisor,
  payload: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) => stack.app.inject({ method: 'POST', url, headers: { ...bearer(actor), ...headers }, payload });

async function itemIn(steps: Array<[string, typeof p.supervisor, Record<string, unknown>]>): Promise<string> {
  const created = await post('/api/items', p.supervisor, {
    title: '并发演练',
    leadUnitId: 'unit-a',
    dueDate: DUE,
  });
  const id = created.json().item.id as string;
  for (const [a, actor, body] of steps) expect((await post(`/api/items/${id}/${a}`, actor, body)).statusCode).toBe(200);
  return id;
}

describe('racing requests', () => {
  it('the same request sent twice at once has one effect', async () => {
    for (let round = 0; round < 5; round++) {
      const id = await itemIn([]);
      const key = `sign-twice-${round}`;
      const answers = await Promise.all(
        [0, 1].map(() => post(`/api/items/${id}/sign`, p.leadA, { note: '已签收' }, { 'idempotency-key': key })),
      );
      const statuses = answers.map((a) => a.statusCode).sort();
      // Either both get the one answer, or the second is told the first is still being handled.
      expect([
        [200, 200],
        [200, 409],
      ]).toContainEqual(statuses);
      if (statuses[1] === 409)
        expect(answers.find((a) => a.statusCode === 409)!.json().reason).toBe('request_in_progress');
      expect(await stack.db.itemEvent.count({ where: { itemId: id, action: 'sign' } })).toBe(1);
      // Sent again afterwards: the same answer, still one effect.
      const again = await post(`/api/items/${id}/sign`, p.leadA, { note: '已签收' }, { 'idempotency-key': key });
      expect(again.statusCode).toBe(200);
      expect(await stack.db.itemEvent.count({ where: { itemId: id, action: 'sign' } })).toBe(1);
    }
  });

  it('of two conflicting actions at once, one wins and the other gets 409; both are audited', async () => {
    for (let round = 0; round < 5; round++) {
      const id = await itemIn([
        ['sign', p.leadA, {}],
        ['filePlan', p.leadA, { plan: '整改方案' }],
        ['submit', p.leadA, { summary: '申请销号' }],
      ]);
      const [pass, ret] = await Promise.all([
        post(`/api/items/${id}/verifyPass`, p.verifier, { opinion: '通过' }),
        post(`/api/items/${id}/verifyReturn`, p.supervisor, { reasons: '材料不全' }),
      ]);
      expect([pass.statusCode, ret.statusCode].sort()).toEqual([200, 409]);
      const loser = pass.statusCode === 409 ? pass : ret;
      expect(loser.json()).toMatchObject({ reason: 'not_allowed_in_state' });
      const events = await stack.db.itemEvent.findMany({
        where: { itemId: id, action: { in: ['verifyPass', 'verifyReturn'] } },
      });
      expect(events).toHaveLength(1);
      const audit = await stack.db.auditLog.findMany({
        where: { target: id, action: { in: ['POST /api/items/:id/verifyPass', 'POST /api/items/:id/verifyReturn'] } },
      });
      expect(audit.map((a) => a.outcome).sort()).toEqual(['ok', 'refused']);
    }
  });
});
