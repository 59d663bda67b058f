/**
 * The subject migration on a database that holds rows from before it: notices and evidence that
 * kept a monitoring cycle's id in `item_id` become the cycle's, all others the item's.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { ROOT } from '../../lib/root';

const SUBJECTS = '20261127180000_subjects';
const MIGRATIONS = path.join(ROOT, 'prisma', 'migrations');

let admin: pg.Client;
let client: pg.Client;
let name: string;

async function apply(migration: string): Promise<void> {
  await client.query(await readFile(path.join(MIGRATIONS, migration, 'migration.sql'), 'utf8'));
}

beforeAll(async () => {
  name = `m_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  client = new pg.Client({ connectionString: inject('pgAdminUrl').replace(/\/postgres$/, `/${name}`) });
  await client.connect();
  const before = (await readdir(MIGRATIONS, { withFileTypes: true }))
    .filter((d) => d.isDirectory() && d.name < SUBJECTS)
    .map((d) => d.name)
    .sort();
  for (const m of before) await apply(m);

  await client.query(`
    INSERT INTO items (id, title, description, category, priority, source, status, lead_unit_id, co_unit_ids, due_date,
                       light, decline_count, return_count, seq, snapshot, created_at, updated_at)
    VALUES ('D-1', '事项', '', 'general', 'normal', '', 'assigned', 'unit-a', '{}', '2026-12-31', 'green', 0, 0, 1, '{}', now(), now());
    INSERT INTO cycles (id, plan_id, period, opened_at, due_date, status)
    VALUES ('plan-2026-10', 'plan', '2026-10', now(), '2026-11-10', 'collecting');
    INSERT INTO notification_requests (key, item_id, kind, targets, unit_ids, payload, created_at) VALUES
      ('n-item', 'D-1', 'assigned', '{handler}', '{unit-a}', '{}', now()),
      ('n-cycle', 'plan-2026-10', 'report_request', '{handler}', '{unit-a}', '{}', now()),
      -- An item never recorded (the request was written before its item): still an item's.
      ('n-unknown', 'D-404', 'assigned', '{handler}', '{unit-a}', '{}', now());
    INSERT INTO outbox (key, request_key, item_id, kind, urgent, recipient_name, subject, text, html, status) VALUES
      ('o-item', 'n-item', 'D-1', 'assigned', false, '张', '', '', '', 'sent'),
      ('o-cycle', 'n-cycle', 'plan-2026-10', 'report_request', false, '张', '', '', '', 'sent');
    INSERT INTO evidence (sha256, item_id, unit_id, uploaded_by, name, mime, size) VALUES
      ('${'a'.repeat(64)}', 'D-1', 'unit-a', 'u', 'a.pdf', 'application/pdf', 1),
      ('${'a'.repeat(64)}', 'plan-2026-10', 'unit-a', 'u', 'a.pdf', 'application/pdf', 1);
  `);
  await apply(SUBJECTS);
}, 60_000);

afterAll(async () => {
  await client?.end();
  await admin?.query(`DROP DATABASE IF EXISTS "${name}"`);
  await admin?.end();
});

const subjects = async (table: string, key: string) =>
  (await client.query(`SELECT ${key} AS key, subject_kind, subject_id FROM ${table} ORDER BY ${key}`)).rows;

describe('the subject migration', () => {
  it("gives each notice the kind of what its id names: a cycle's id is a cycle, any other an item", async () => {
    expect(await subjects('notification_requests', 'key')).toEqual([
      { key: 'n-cycle', subject_kind: 'cycle', subject_id: 'plan-2026-10' },
      { key: 'n-item', subject_kind: 'item', subject_id: 'D-1' },
      { key: 'n-unknown', subject_kind: 'item', subject_id: 'D-404' },
    ]);
    expect(await subjects('outbox', 'key')).toEqual([
      { key: 'o-cycle', subject_kind: 'cycle', subject_id: 'plan-2026-10' },
      { key: 'o-item', subject_kind: 'item', subject_id: 'D-1' },
    ]);
  });

  it('does the same for evidence, and keeps one row per subject and file', async () => {
    expect(await subjects('evidence', 'subject_id')).toEqual([
      { key: 'D-1', subject_kind: 'item', subject_id: 'D-1' },
      { key: 'plan-2026-10', subject_kind: 'cycle', subject_id: 'plan-2026-10' },
    ]);
    const again = await client.query(
      `INSERT INTO evidence (sha256, subject_kind, subject_id, unit_id, uploaded_by, name, mime, size)
       VALUES ($1, 'item', 'D-1', 'unit-b', 'u', 'b.pdf', 'application/pdf', 1) ON CONFLICT DO NOTHING`,
      ['a'.repeat(64)],
    );
    expect(again.rowCount).toBe(0);
  });

  it('has no item_id left, needs a kind, and knows only items and cycles', async () => {
    const columns = await client.query(
      `SELECT table_name, column_name FROM information_schema.columns
       WHERE table_name IN ('notification_requests', 'outbox', 'evidence') AND column_name LIKE '%_id' ORDER BY 1, 2`,
    );
    expect(columns.rows.filter((r) => r.column_name === 'item_id')).toEqual([]);
    for (const table of ['notification_requests', 'outbox', 'evidence']) {
      await expect(client.query(`UPDATE ${table} SET subject_kind = NULL`)).rejects.toThrow(/null value/);
      await expect(client.query(`UPDATE ${table} SET subject_kind = 'plan'`)).rejects.toThrow(/check constraint/);
    }
  });
});
