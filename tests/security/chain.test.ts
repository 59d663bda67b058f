import { spawnSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../lib/root';
import * as p from '../support/actors';
import { bearer, startApiStack, type ApiStack } from '../support/api';
import { DUE } from '../support/dates';
import { uniqueTaskQueue } from '../support/stack';

let stack: ApiStack;
beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('chain'));
}, 60_000);
afterAll(async () => stack?.close());

async function itemWithHistory(): Promise<string> {
  const post = (u: string, actor: typeof p.supervisor, payload: Record<string, unknown>) =>
    stack.app.inject({ method: 'POST', url: u, headers: bearer(actor), payload });
  const created = await post('/api/items', p.supervisor, {
    title: '河道垃圾清理',
    leadUnitId: 'unit-a',
    dueDate: DUE,
  });
  const id = created.json().item.id as string;
  for (const [a, actor, body] of [
    ['sign', p.leadA, {}],
    ['filePlan', p.leadA, { plan: '一、清理；二、巡查' }],
    ['submit', p.leadA, { summary: '已清理' }],
    ['verifyReturn', p.verifier, { reasons: '仍有漂浮物' }],
    ['submit', p.leadA, { summary: '再次清理' }],
  ] as const) {
    expect((await post(`/api/items/${id}/${a}`, actor, body)).statusCode).toBe(200);
  }
  return id;
}

async function dba<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const chain = async (id: string) =>
  (await stack.app.inject({ method: 'GET', url: `/api/items/${id}/chain`, headers: bearer(p.auditor) })).json();
let dbUrl = '';

describe('the tamper-evident record', () => {
  beforeAll(() => {
    dbUrl = stack.dbUrl;
  });

  it('chains every event to the one before it; the check says intact', async () => {
    const id = await itemWithHistory();
    const rows = await stack.db.itemEvent.findMany({ where: { itemId: id }, orderBy: { seq: 'asc' } });
    expect(rows.length).toBe(6);
    expect(rows[0]!.prevHash).toBeNull();
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prevHash).toBe(rows[i - 1]!.hash);
    expect(new Set(rows.map((r) => r.hash)).size).toBe(rows.length);
    expect(await chain(id)).toMatchObject({
      itemId: id,
      events: 6,
      intact: true,
      firstBreak: null,
      head: rows[5]!.hash,
    });
  });

  it('refuses UPDATE, DELETE and TRUNCATE of events to the application', async () => {
    const id = await itemWithHistory();
    await expect(
      stack.db.$executeRaw`UPDATE item_events SET payload = '{"summary":"改过了"}' WHERE item_id = ${id} AND seq = 4`,
    ).rejects.toThrow(/append-only/);
    await expect(stack.db.$executeRaw`DELETE FROM item_events WHERE item_id = ${id}`).rejects.toThrow(/append-only/);
    await expect(stack.db.$executeRaw`TRUNCATE item_events CASCADE`).rejects.toThrow(/append-only/);
    await expect(stack.db.$executeRaw`UPDATE audit_log SET outcome = 'ok'`).rejects.toThrow(/append-only/);
    await expect(stack.db.$executeRaw`DELETE FROM audit_log`).rejects.toThrow(/append-only/);
    expect((await chain(id)).intact).toBe(true);
  });

  it('reports the first broken link when an event is altered behind the application’s back', async () => {
    const id = await itemWithHistory();
    // An owner who switches the triggers off for their session and edits the 4th event.
    await dba(async (c) => {
      await c.query(`SET session_replication_role = replica`);
      await c.query(
        `UPDATE item_events SET payload = jsonb_set(payload, '{summary}', '"已彻底清理"') WHERE item_id = $1 AND seq = 4`,
        [id],
      );
    });
    const report = await chain(id);
    expect(report).toMatchObject({ intact: false, firstBreak: { seq: 4, reason: 'content_altered' } });
    expect(report.firstBreak.message).toContain('第 4 条');

    // The command says the same, and fails.
    const cli = spawnSync(
      process.execPath,
      [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(ROOT, 'scripts/verify-chain.ts'), id],
      { env: { ...process.env, DATABASE_URL: dbUrl }, encoding: 'utf8' },
    );
    expect(cli.status).toBe(1);
    expect(cli.stdout).toContain(`${id}: BROKEN at event 4 (content_altered)`);
  });

  it('reports a deleted event, and a re-hashed forgery after it', async () => {
    const deleted = await itemWithHistory();
    await dba(async (c) => {
      await c.query(`SET session_replication_role = replica`);
      await c.query(`DELETE FROM item_events WHERE item_id = $1 AND seq = 2`, [deleted]);
    });
    expect(await chain(deleted)).toMatchObject({ intact: false, firstBreak: { seq: 2, reason: 'missing_event' } });

    // Removing the last events is caught by the item's own count.
    const truncated = await itemWithHistory();
    await dba(async (c) => {
      await c.query(`SET session_replication_role = replica`);
      await c.query(`DELETE FROM item_events WHERE item_id = $1 AND seq >= 5`, [truncated]);
    });
    expect(await chain(truncated)).toMatchObject({ intact: false, firstBreak: { seq: 5, reason: 'missing_event' } });

    // Recomputing the altered event's own hash does not help: the next link no longer fits.
    const forged = await itemWithHistory();
    await dba(async (c) => {
      await c.query(`SET session_replication_role = replica`);
      await c.query(`UPDATE item_events SET hash = repeat('0', 64) WHERE item_id = $1 AND seq = 3`, [forged]);
    });
    expect(await chain(forged)).toMatchObject({ intact: false, firstBreak: { seq: 3 } });
  });

  it('lets a unit check only its own items', async () => {
    const id = await itemWithHistory();
    expect(
      (await stack.app.inject({ method: 'GET', url: `/api/items/${id}/chain`, headers: bearer(p.outsider) }))
        .statusCode,
    ).toBe(404);
    expect(
      (await stack.app.inject({ method: 'GET', url: `/api/items/${id}/chain`, headers: bearer(p.leadA) })).json()
        .intact,
    ).toBe(true);
  });
});
