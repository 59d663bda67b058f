/**
 * Drill: PostgreSQL stops under load and comes back. While it is down the API answers 503 naming
 * the database and changes nothing; transitions already accepted by workflows wait, their local
 * activity retrying; when it is back every one of them is recorded exactly once.
 */
import type { Worker } from '@temporalio/worker';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../api/app';
import { parseCommand } from '../../domain/commands';
import { createDb, type Db } from '../../lib/db';
import { startEmbeddedPostgres, type EmbeddedPg } from '../../dev/embedded-postgres';
import { actOnItem } from '../../workflows/client/items';
import { migrate } from '../../lib/migrate';
import { freePort } from '../../dev/ports';
import * as p from '../support/actors';
import { bearer, seedUnits, seedUsers, testApp } from '../support/api';
import { DUE } from '../support/dates';
import { connectTemporal, startTestWorker, uniqueTaskQueue, type TemporalHandles } from '../support/stack';

const OUTAGE_MS = Number(process.env.DRILL_PG_OUTAGE_MS ?? 10_000);

let dir: string;
let port: number;
let pg: EmbeddedPg;
let db: Db;
let t: TemporalHandles;
let worker: Worker;
let running: Promise<void>;
let app: App;

beforeAll(async () => {
  // A PostgreSQL of its own: this drill stops it.
  dir = await mkdtemp(path.join(os.tmpdir(), 'duban-drill-pg-'));
  port = await freePort();
  pg = await startEmbeddedPostgres({ dir, port, persistent: true, quiet: true });
  await pg.createDatabase('duban');
  await migrate(pg.url('duban'));
  db = createDb(pg.url('duban'));
  await seedUnits(db);
  await seedUsers(db, Object.values(p));
  t = await connectTemporal();
  const tq = uniqueTaskQueue('pg-outage');
  worker = await startTestWorker(t, db, tq);
  running = worker.run();
  app = await testApp(db, t.client, tq, 5_000);
}, 120_000);

afterAll(async () => {
  await app?.close();
  worker?.shutdown();
  await running;
  await db?.$disconnect();
  await t?.close();
  await pg?.stop().catch(() => {});
  await rm(dir, { recursive: true, force: true });
}, 60_000);

const post = (url: string, actor = p.supervisor, payload: Record<string, unknown> = {}) =>
  app.inject({ method: 'POST', url, headers: bearer(actor), payload });

describe('PostgreSQL stopped under load', () => {
  it('answers 503 meanwhile, changes nothing, and records every accepted transition once when it is back', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await post('/api/items', p.supervisor, {
        title: `停库演练 ${i}`,
        leadUnitId: 'unit-a',
        dueDate: DUE,
      });
      expect(res.statusCode, res.body).toBe(201);
      ids.push(res.json().item.id);
    }
    for (const id of ids) expect((await post(`/api/items/${id}/sign`, p.leadA)).statusCode).toBe(200);

    await pg.stop();
    // Transitions sent to the workflows while the database is down: accepted, waiting to be recorded.
    const pending = ids.map((id) =>
      actOnItem(
        t.client,
        id,
        parseCommand({ action: 'filePlan', payload: { plan: '停库期间提交的整改方案' }, actor: p.leadA }),
        `drill-${id}`,
      ),
    );
    const down = await post('/api/items', p.supervisor, {
      title: '停库时立项',
      leadUnitId: 'unit-a',
      dueDate: DUE,
    });
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({ dependency: 'database' });
    const list = await app.inject({ method: 'GET', url: '/api/items', headers: bearer(p.supervisor) });
    expect(list.statusCode).toBe(503);
    expect((await app.inject({ method: 'GET', url: '/api/health' })).json()).toMatchObject({ database: 'down' });

    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    pg = await startEmbeddedPostgres({ dir, port, persistent: true, quiet: true });

    const after = await Promise.all(pending);
    expect(after.every((item) => item.status === 'rectifying')).toBe(true);
    for (const id of ids) {
      for (const [action, actor, body] of [
        ['submit', p.leadA, { summary: '整改完成' }],
        ['verifyPass', p.verifier, {}],
      ] as const) {
        const res = await post(`/api/items/${id}/${action}`, actor, body);
        expect(res.statusCode, res.body).toBe(200);
      }
    }
    const items = await db.item.findMany({ where: { id: { in: ids } } });
    expect(items.every((i) => i.status === 'closed')).toBe(true);
    for (const id of ids) {
      const events = await db.itemEvent.findMany({
        where: { itemId: id, action: { not: 'escalate' } },
        orderBy: { seq: 'asc' },
      });
      expect(events.map((e) => e.action)).toEqual(['create', 'sign', 'filePlan', 'submit', 'verifyPass']);
    }
    // Nothing from the outage leaked in: the item refused with 503 does not exist.
    expect(await db.item.count({ where: { title: '停库时立项' } })).toBe(0);
    expect((await app.inject({ method: 'GET', url: '/api/health' })).json()).toMatchObject({ database: 'up' });
  }, 180_000);
});
