/**
 * 督办编号 and search on real Temporal and PostgreSQL: numbers taken under concurrent creation,
 * a prefix's own sequence, search by number, unit, description and person, ranked; and the
 * migration numbering items that were there before it.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { App } from '../../api/app';
import { ROOT } from '../../lib/root';
import { admin, leadA, supervisor } from '../support/actors';
import { type ApiStack, bearer, startApiStack } from '../support/api';
import { DUE } from '../support/dates';
import { uniqueTaskQueue } from '../support/stack';

let stack: ApiStack;
let app: App;

beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('numbers'));
  ({ app } = stack);
});

afterAll(() => stack?.close());

const YEAR = new Intl.DateTimeFormat('en', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(new Date());

const base = {
  title: '某小区消防通道被占用',
  description: '专项督查发现：3号楼消防通道堆放杂物',
  category: 'inspection',
  priority: 'normal',
  source: '2026年消防安全专项督查',
  leadUnitId: 'unit-a',
  coUnitIds: [],
  dueDate: DUE,
};

/**
 * Opens an item as a careful client does: with an Idempotency-Key, sent again while the answer is
 * 503 or 409 in progress (two cores shared with other suites: Temporal may answer late), so a
 * retry is the same item.
 */
async function create(overrides: Record<string, unknown> = {}): Promise<string> {
  const key = randomUUID();
  for (let attempt = 1; ; attempt++) {
    const res = await app.inject({
      method: 'POST',
      url: '/api/items',
      headers: { ...bearer(supervisor), 'idempotency-key': key },
      payload: { ...base, ...overrides },
    });
    const busy = res.statusCode === 503 || (res.statusCode === 409 && res.body.includes('request_in_progress'));
    if (busy && attempt < 30) {
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    expect(res.statusCode, res.body).toBe(201);
    // The answer carries the number the row was given, as GET /api/items/:id does.
    expect(res.json().item.number).toMatch(/^.+〔\d{4}〕\d+号$/);
    return res.json().item.id;
  }
}

async function search(q: string, actor = supervisor) {
  const res = await app.inject({
    method: 'GET',
    url: `/api/items?pageSize=100&q=${encodeURIComponent(q)}`,
    headers: bearer(actor),
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { total: number; items: Array<{ id: string; number: string; title: string }> };
}

const numberOf = async (id: string) => {
  const res = await app.inject({ method: 'GET', url: `/api/items/${id}`, headers: bearer(supervisor) });
  expect(res.statusCode).toBe(200);
  return res.json().item.number as string;
};

describe('督办编号', () => {
  it('gives 100 items opened at once 100 distinct numbers, 1 to 100 for the year with the default prefix', async () => {
    const ids = await Promise.all(Array.from({ length: 100 }, (_, i) => create({ title: `并发立项事项第${i + 1}件` })));
    const rows = await stack.db.item.findMany({
      where: { id: { in: ids } },
      select: { number: true, numberSeq: true },
    });
    expect(new Set(rows.map((r) => r.number)).size).toBe(100);
    expect(rows.map((r) => r.numberSeq).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(rows.map((r) => r.number)).toContain(`督〔${YEAR}〕100号`);
    // Shown in the list and the item view.
    const list = await search(`督〔${YEAR}〕7号`);
    expect(list.items[0]!.number).toBe(`督〔${YEAR}〕7号`);
    expect(await numberOf(list.items[0]!.id)).toBe(`督〔${YEAR}〕7号`);
  }, 180_000);

  it("starts a new prefix's own sequence; an item keeps its number through later transitions", async () => {
    const before = await create({ title: '前缀变更前的事项' });
    const put = await app.inject({
      method: 'PUT',
      url: '/api/office-settings',
      headers: bearer(admin),
      payload: { numberPrefix: '区督', officeName: '某区督查室' },
    });
    expect(put.statusCode, put.body).toBe(200);
    const after = await create({ title: '前缀变更后的事项' });
    expect(await numberOf(after)).toBe(`区督〔${YEAR}〕1号`);
    const sign = await app.inject({
      method: 'POST',
      url: `/api/items/${before}/sign`,
      headers: bearer(leadA),
      payload: {},
    });
    expect(sign.statusCode, sign.body).toBe(200);
    expect(await numberOf(before)).toBe(`督〔${YEAR}〕101号`);
    // The action's answer (the workflow's state) carries the same number as the item's page.
    expect(sign.json().item.number).toBe(`督〔${YEAR}〕101号`);
    const office = await app.inject({ method: 'GET', url: '/api/office-settings', headers: bearer(leadA) });
    expect(office.json()).toMatchObject({ numberPrefix: '区督', officeName: '某区督查室' });
  }, 60_000);

  it('refuses a prefix with digits or brackets, naming the field, and changes nothing', async () => {
    const res = await app.inject({
      method: 'PUT',
      url: '/api/office-settings',
      headers: bearer(admin),
      payload: { numberPrefix: '督〔1〕', officeName: '督查室' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('numberPrefix');
    expect(res.body).toContain('督办编号前缀只能由汉字或英文字母组成');
    const office = await app.inject({ method: 'GET', url: '/api/office-settings', headers: bearer(admin) });
    expect(office.json().numberPrefix).toBe('区督');
    const forbidden = await app.inject({
      method: 'PUT',
      url: '/api/office-settings',
      headers: bearer(supervisor),
      payload: { numberPrefix: '乱', officeName: '督查室' },
    });
    expect(forbidden.statusCode).toBe(403);
  });

  it('refuses a prefix that would look like another (zero-width, bidi, non-ASCII digit), a hidden character in the name, and unknown fields', async () => {
    const put = (payload: Record<string, unknown>) =>
      app.inject({ method: 'PUT', url: '/api/office-settings', headers: bearer(admin), payload });
    const before = (await app.inject({ method: 'GET', url: '/api/office-settings', headers: bearer(admin) })).json();
    for (const numberPrefix of ['督\u200b', '\u202e督', '督१']) {
      const res = await put({ numberPrefix, officeName: '督查室' });
      expect(res.statusCode, numberPrefix).toBe(400);
      expect(res.json().fields, numberPrefix).toEqual([
        { field: 'body.numberPrefix', reason: expect.stringContaining('只能由汉字或英文字母组成') },
      ]);
    }
    const hidden = await put({ numberPrefix: '督', officeName: '督查\u200b室' });
    expect(hidden.statusCode).toBe(400);
    expect(hidden.json().fields[0].field).toBe('body.officeName');
    const unknown = await put({
      numberPrefix: '督',
      officeName: '督查室',
      nextNumber: 1,
      updatedBy: 'x',
      updatedAt: '2026-01-01T00:00:00Z',
    });
    expect(unknown.statusCode).toBe(400);
    expect(
      unknown
        .json()
        .fields.map((f: { field: string }) => f.field)
        .sort(),
    ).toEqual(['body.nextNumber', 'body.updatedAt', 'body.updatedBy']);
    const after = (await app.inject({ method: 'GET', url: '/api/office-settings', headers: bearer(admin) })).json();
    expect(after).toEqual(before);
  });
});

describe('search', () => {
  it('finds an item by its number (also written with other brackets), ranked first', async () => {
    const found = await search(`督[${YEAR}]12号`);
    expect(found.items[0]!.number).toBe(`督〔${YEAR}〕12号`);
    // 督〔Y〕12号 is in no other number (112号 is 〕112号): the number alone.
    expect(found.total).toBe(1);
  });

  it('finds items by a unit an administrator added, as lead or co-unit, and ranks a title match first', async () => {
    const unit = await app.inject({
      method: 'PUT',
      url: '/api/units/unit-czw',
      headers: bearer(admin),
      payload: { name: '市财政委', parentId: 'city', kind: 'bureau' },
    });
    expect(unit.statusCode, unit.body).toBe(200);
    const led = await create({ title: '政府采购项目验收不规范', leadUnitId: 'unit-czw' });
    const co = await create({ title: '专项资金拨付滞后', coUnitIds: ['unit-czw'] });
    const titled = await create({ title: '市财政委牵头的预算公开检查', description: '公开不及时' });
    const found = await search('市财政委');
    expect(found.items.map((i) => i.id).sort()).toEqual([led, co, titled].sort());
    expect(found.items[0]!.id).toBe(titled);
    // A unit renamed: its items are found by the new name.
    await app.inject({
      method: 'PUT',
      url: '/api/units/unit-czw',
      headers: bearer(admin),
      payload: { name: '市财政委员会', parentId: 'city', kind: 'bureau' },
    });
    expect((await search('财政委员会')).items.map((i) => i.id).sort()).toEqual([led, co].sort());
  }, 60_000);

  it('finds items by words of the description, by two characters, by the creator, and not what the caller may not see', async () => {
    const id = await create({
      title: '河道排污口整治',
      description: '沿河排查发现编号 DEMO-2026-08 的排污口仍在偷排',
      leadUnitId: 'unit-b',
    });
    expect((await search('DEMO-2026-08')).items.map((i) => i.id)).toEqual([id]);
    expect((await search('demo-2026-08 偷排')).items.map((i) => i.id)).toEqual([id]);
    expect((await search('偷排')).items.map((i) => i.id)).toEqual([id]);
    // The system id, as older mails and exports carry it, in any case.
    expect((await search(id.toLowerCase())).items.map((i) => i.id)).toEqual([id]);
    expect((await search('王督查')).total).toBeGreaterThan(100);
    // unit-a's handler does not see unit-b's item.
    expect((await search('偷排', leadA)).total).toBe(0);
    // % and _ are literal.
    expect((await search('100%')).total).toBe(0);
  });

  it('pages through ranked results without repeating or losing a row', async () => {
    const all = await search('并发立项事项');
    expect(all.total).toBe(100);
    const seen: string[] = [];
    for (let page = 1; page <= 4; page++) {
      const res = await app.inject({
        method: 'GET',
        url: `/api/items?pageSize=30&page=${page}&q=${encodeURIComponent('并发 事项')}`,
        headers: bearer(supervisor),
      });
      seen.push(...res.json().items.map((i: { id: string }) => i.id));
    }
    expect(new Set(seen).size).toBe(100);
  });
});

describe('the item-number migration on items that were there before it', () => {
  const MIGRATION = '20261128010000_item_numbers';
  const MIGRATIONS = path.join(ROOT, 'prisma', 'migrations');
  let adminDb: pg.Client;
  let client: pg.Client;
  const name = `m_${randomUUID().replace(/-/g, '').slice(0, 16)}`;

  beforeAll(async () => {
    adminDb = new pg.Client({ connectionString: inject('pgAdminUrl') });
    await adminDb.connect();
    await adminDb.query(`CREATE DATABASE "${name}"`);
    client = new pg.Client({ connectionString: inject('pgAdminUrl').replace(/\/postgres$/, `/${name}`) });
    await client.connect();
    const before = (await readdir(MIGRATIONS, { withFileTypes: true }))
      .filter((d) => d.isDirectory() && d.name < MIGRATION)
      .map((d) => d.name)
      .sort();
    const apply = async (m: string) => client.query(await readFile(path.join(MIGRATIONS, m, 'migration.sql'), 'utf8'));
    for (const m of before) await apply(m);
    await client.query(`
      INSERT INTO units (id, name, parent_id, kind) VALUES ('u1', '市水务局', NULL, 'bureau');
      INSERT INTO items (id, title, description, category, priority, source, status, lead_unit_id, co_unit_ids, due_date,
                         light, decline_count, return_count, seq, snapshot, created_at, updated_at)
      VALUES ('OLD-2', '第二件', '', 'general', 'normal', '', 'assigned', 'u1', '{}', '2026-12-31', 'green', 0, 0, 1, '{}', '2026-03-01T00:00:00Z', now()),
             ('OLD-1', '第一件', '', 'general', 'normal', '', 'assigned', 'u1', '{}', '2026-12-31', 'green', 0, 0, 1, '{}', '2026-02-01T00:00:00Z', now()),
             -- 2025-12-31 16:30 UTC is 2026-01-01 in Shanghai.
             ('OLD-3', '跨年', '', 'general', 'normal', '', 'assigned', 'u1', '{}', '2026-12-31', 'green', 0, 0, 1, '{}', '2025-12-31T16:30:00Z', now()),
             ('OLD-0', '去年', '', 'general', 'normal', '', 'assigned', 'u1', '{}', '2026-12-31', 'green', 0, 0, 1, '{}', '2025-12-31T15:30:00Z', now());
    `);
    await apply(MIGRATION);
  }, 60_000);

  afterAll(async () => {
    await client?.end();
    await adminDb?.query(`DROP DATABASE IF EXISTS "${name}"`);
    await adminDb?.end();
  });

  it('numbers them by Shanghai year in the order they were opened, and goes on from there', async () => {
    const rows = async () =>
      (await client.query(`SELECT id, number FROM items ORDER BY id`)).rows as Array<{ id: string; number: string }>;
    expect(await rows()).toEqual([
      { id: 'OLD-0', number: '督〔2025〕1号' },
      { id: 'OLD-1', number: '督〔2026〕2号' },
      { id: 'OLD-2', number: '督〔2026〕3号' },
      { id: 'OLD-3', number: '督〔2026〕1号' },
    ]);
    await client.query(`
      INSERT INTO items (id, title, description, category, priority, source, status, lead_unit_id, co_unit_ids, due_date,
                         light, decline_count, return_count, seq, snapshot, created_at, updated_at)
      VALUES ('NEW-1', '新', '', 'general', 'normal', '', 'assigned', 'u1', '{}', '2026-12-31', 'green', 0, 0, 1, '{}', '2026-05-01T00:00:00Z', now())`);
    expect((await rows()).find((r) => r.id === 'NEW-1')!.number).toBe('督〔2026〕4号');
    const hit = await client.query(`SELECT id FROM items WHERE search_grams @> ARRAY['水务'] ORDER BY id`);
    expect(hit.rows.map((r: { id: string }) => r.id)).toEqual(['NEW-1', 'OLD-0', 'OLD-1', 'OLD-2', 'OLD-3']);
  });
});
