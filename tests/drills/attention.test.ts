/**
 * Drill: a dependency down past the retry limit. PostgreSQL refuses every write of one item's
 * events (a trigger, as a full disk or a broken constraint would), for longer than the local
 * activity's attempt limit. The item must show that it needs attention — in Temporal (search
 * attribute, query) and, through the rows PostgreSQL still takes, in the API and the console's
 * data — keep trying on durable timers minutes apart (no busy loop), lose nothing, and clear the
 * flag once the write goes through. Run on the time-skipping server: the pauses are minutes.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { buildApp } from '../../api/app';
import { workerOptions } from '../../app/compose';
import { createWorker } from '../../worker/create';
import type { Db } from '../../lib/db';
import { openItem } from '../../workflows/client/items';
import { ATTENTION_PAUSES_MS } from '../../workflows/attention';
import { itemWorkflowId } from '../../workflows/ids';
import { attentionQuery, itemQuery } from '../../workflows/messages';
import { NeedsAttentionKey } from '../../workflows/search-attributes';
import { leadA, supervisor } from '../support/actors';
import { bearer, seedUsers, testAppOptions, holdToContract } from '../support/api';
import { LATER_DUE } from '../support/dates';
import { act, newItemId, spec } from '../support/items';
import { freshDatabase, uniqueTaskQueue, workflowBundle } from '../support/stack';
import { timeSkippingConfig, timeSkippingEnv } from '../support/time-skipping';

let env: TestWorkflowEnvironment;
let db: Db;

beforeAll(async () => {
  env = await timeSkippingEnv();
  db = (await freshDatabase()).db;
  await seedUsers(db, [supervisor]);
});

afterAll(async () => {
  await db?.$disconnect();
  await env?.teardown();
});

const ATTEMPTS_PER_ROUND = 12;

async function refuseEventsOf(itemId: string): Promise<void> {
  await db.$executeRawUnsafe(
    `CREATE OR REPLACE FUNCTION drill_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'drill: event store refuses writes'; END $$`,
  );
  await db.$executeRawUnsafe(
    `CREATE TRIGGER drill_refuse BEFORE INSERT ON item_events FOR EACH ROW WHEN (NEW.item_id = '${itemId}') EXECUTE FUNCTION drill_refuse()`,
  );
}

describe('a dependency down past the retry limit', () => {
  it('flags the item as needing attention, retries minutes apart, loses nothing, and clears the flag', async () => {
    const taskQueue = uniqueTaskQueue('attention');
    const real = createActivities({ db, temporal: env.client });
    let writes = 0;
    const activities = {
      ...real,
      recordTransition: (...args: Parameters<typeof real.recordTransition>) => {
        writes++;
        return real.recordTransition(...args);
      },
    };
    const config = timeSkippingConfig(env, taskQueue);
    const deps = { db, temporal: env.client };
    const worker = await createWorker({
      ...workerOptions(config, { ...deps, connection: env.nativeConnection, workflowBundle: await workflowBundle() }),
      activities,
    });
    const app = holdToContract(await buildApp(await testAppOptions(config, deps)));
    await worker.runUntil(async () => {
      const item = await openItem(env.client, taskQueue, {
        id: newItemId(),
        problemListId: null,
        spec: spec({ dueDate: LATER_DUE }),
        createdBy: supervisor,
        config: { maxDeclines: 2 },
      });
      const handle = env.client.workflow.getHandle(itemWorkflowId(item.id));
      try {
        expect(await db.itemEvent.count({ where: { itemId: item.id } })).toBe(1);
        await refuseEventsOf(item.id);
        const writesBefore = writes;

        // The unit signs; its write keeps failing. The Update stays open: the action is taken
        // and waits to be recorded, it is not dropped.
        const signing = act(env.client, item, 'sign', leadA, { note: '已签收' });
        const deadline = Date.now() + 120_000;
        while (!(await handle.query(attentionQuery))) {
          if (Date.now() > deadline) throw new Error('the item was never flagged');
          await env.sleep('1 minute');
        }
        const flagged = (await handle.query(attentionQuery))!;
        expect(flagged.reason).toMatch(/drill: event store refuses writes/);
        expect((await handle.describe()).typedSearchAttributes.get(NeedsAttentionKey)).toBe(true);
        expect((await handle.query(itemQuery)).status).toBe('signed');

        // PostgreSQL still takes the flag on the item's row: the API and the console show it.
        const row = await db.item.findUniqueOrThrow({ where: { id: item.id } });
        expect(row.attention).toMatch(/drill/);
        expect(row.status).toBe('assigned');
        const detail = await app.inject({ method: 'GET', url: `/api/items/${item.id}`, headers: bearer(supervisor) });
        expect(detail.json().attention).toMatchObject({ reason: expect.stringMatching(/drill/) });
        const list = await app.inject({ method: 'GET', url: '/api/items?attention=true', headers: bearer(supervisor) });
        expect(list.json().items.map((i: { id: string }) => i.id)).toEqual([item.id]);
        expect(
          (await app.inject({ method: 'GET', url: '/api/dashboard', headers: bearer(supervisor) })).json().attention,
        ).toBe(1);

        // Twenty minutes on: rounds of attempts minutes apart, not a busy loop.
        await env.sleep('20 minutes');
        const later = (await handle.query(attentionQuery))!;
        const maxRounds =
          1 +
          ATTENTION_PAUSES_MS.filter(
            (_, i) => ATTENTION_PAUSES_MS.slice(0, i + 1).reduce((a, b) => a + b, 0) <= 21 * 60_000,
          ).length;
        expect(later.rounds).toBeGreaterThan(flagged.rounds);
        expect(later.rounds).toBeLessThanOrEqual(maxRounds);
        expect(later.since).toBe(flagged.since);
        // Each round is one burst of the activity's attempts, and nothing else writes.
        const attemptsSoFar = writes - writesBefore;
        expect(attemptsSoFar).toBeGreaterThanOrEqual(ATTEMPTS_PER_ROUND * later.rounds);
        expect(attemptsSoFar).toBeLessThanOrEqual(ATTEMPTS_PER_ROUND * (later.rounds + 1));
        expect(await db.itemEvent.count({ where: { itemId: item.id } })).toBe(1);

        // The dependency is back: the next round writes the transition once and lowers the flag.
        await db.$executeRawUnsafe('DROP TRIGGER drill_refuse ON item_events');
        await env.sleep('1 hour');
        expect((await signing).status).toBe('signed');
        expect(await handle.query(attentionQuery)).toBeNull();
        expect((await handle.describe()).typedSearchAttributes.get(NeedsAttentionKey)).toBe(false);
        const events = await db.itemEvent.findMany({ where: { itemId: item.id }, orderBy: { seq: 'asc' } });
        expect(events.map((e) => [e.seq, e.action])).toEqual([
          [1, 'create'],
          [2, 'sign'],
        ]);
        const after = await db.item.findUniqueOrThrow({ where: { id: item.id } });
        expect(after).toMatchObject({ status: 'signed', seq: 2, attention: null, attentionSince: null });
        // And the item goes on as usual.
        expect((await act(env.client, item, 'filePlan', leadA, { plan: '整改方案' })).status).toBe('rectifying');
      } finally {
        await handle.terminate('test over').catch(() => {});
        await app.close();
      }
    });
  }, 300_000);
});
