/**
 * Reads at scale and the console on them: 100,000 items and 1,000,000 events in PostgreSQL; the
 * list (default, filtered, searched), the dashboard, an item with its timeline and a unit's inbox
 * through the API (token, permission, visibility, Prisma, zod), against a bare Fastify + pg
 * endpoint running the same SQL, same run, same concurrency. Then the console in Chromium on the
 * same data: dashboard and list, time to first render and the server's part of it; and the size
 * of the console's JavaScript.
 */
import Fastify from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { chromium } from 'playwright-core';
import { CONSOLE_DIST } from '../api/console';
import type { EmbeddedStack } from '../dev/embedded-stack';
import { signToken } from '../lib/tokens';
import { BENCH_SECRET, startOurs } from './ours';
import { percentile, pool } from './stats';

const UNITS = 100;
const unitId = (i: number) => `r-${String(i % UNITS).padStart(3, '0')}`;
const supervisor = { id: 'r-sup', name: '读督查', role: 'supervisor', unitId: 'dcs' };
const handler = { id: 'r-h-001', name: '读经办', role: 'unit_handler', unitId: unitId(1) };

/** Bulk rows straight into PostgreSQL (the product would take hours to make them one Update at a time). */
async function seed(url: string, items: number, eventsPerItem: number): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const started = Date.now();
  try {
    await c.query(
      `INSERT INTO units (id, name, parent_id, kind) SELECT 'r-' || lpad(i::text, 3, '0'), '读测单位' || i, NULL, 'bureau' FROM generate_series(0, ${UNITS - 1}) i ON CONFLICT DO NOTHING`,
    );
    await c.query(
      `INSERT INTO users (id, name, role, unit_id, active) VALUES ($1, $2, $3, $4, true), ($5, $6, $7, $8, true) ON CONFLICT DO NOTHING`,
      [
        supervisor.id,
        supervisor.name,
        supervisor.role,
        supervisor.unitId,
        handler.id,
        handler.name,
        handler.role,
        handler.unitId,
      ],
    );
    await c.query(`
      INSERT INTO items (id, title, description, category, priority, source, status, lead_unit_id, co_unit_ids, due_date, light, deadline_date,
                         calendar_warning, decline_count, return_count, problem_list_id, seq, snapshot, created_at, updated_at, closed_at)
      SELECT id, title, '', 'inspection', 'normal', '', status, lead, ARRAY[]::text[], due, light, due, false, 0, i % 3, NULL, ${eventsPerItem},
             jsonb_build_object('id', id, 'title', title, 'description', '', 'category', 'inspection', 'priority', 'normal', 'source', '',
               'problemListId', NULL, 'leadUnitId', lead, 'coParts', '[]'::jsonb, 'dueDate', due, 'createdAt', created, 'updatedAt', created,
               'createdBy', jsonb_build_object('userId', 'r-sup', 'name', '读督查', 'role', 'supervisor', 'unitId', 'dcs'),
               'seq', ${eventsPerItem}, 'declines', '[]'::jsonb, 'ownerRuled', false, 'returnCount', i % 3, 'relapseCount', 0,
               'extensions', '[]'::jsonb, 'plan', NULL, 'progressReports', 0, 'deadlines', NULL, 'status', status,
               'closedAt', created, 'reason', '', 'resumeTo', 'signed'),
             created, created + interval '1 hour' * (i % 48), CASE WHEN status = 'closed' THEN created + interval '20 days' END
      FROM (
        SELECT i, 'R' || lpad(i::text, 6, '0') AS id,
               '读性能事项' || i || (ARRAY['消防通道','老旧小区','河道整治','校园安全','食品抽检'])[1 + i % 5] AS title,
               (ARRAY['assigned','signed','rectifying','rectifying','verifying','closed','closed','closed','withdrawn','suspended'])[1 + i % 10] AS status,
               'r-' || lpad((i % ${UNITS})::text, 3, '0') AS lead,
               to_char(date '2026-06-01' + (i % 300), 'YYYY-MM-DD') AS due,
               (ARRAY['green','green','green','yellow','red'])[1 + (i / 10) % 5] AS light,
               now() - interval '1 minute' * (i % 120000) AS created
        FROM generate_series(1, ${items}) i) s`);
    await c.query(`
      INSERT INTO item_events (key, item_id, seq, action, from_status, to_status, actor_user_id, actor_name, actor_role, actor_unit_id, at, payload, attachments, prev_hash, hash)
      SELECT 'R' || lpad(i::text, 6, '0') || '/' || s, 'R' || lpad(i::text, 6, '0'), s,
             CASE WHEN s = 1 THEN 'create' ELSE 'reportProgress' END, CASE WHEN s = 1 THEN NULL ELSE 'rectifying' END, 'rectifying',
             'r-h', '读经办', 'unit_handler', 'r-' || lpad((i % ${UNITS})::text, 3, '0'), now() - interval '1 minute' * (${eventsPerItem} - s),
             jsonb_build_object('text', '第' || s || '次进展：已完成排查整治'), '[]'::jsonb, NULL, md5(i::text || '/' || s)
      FROM generate_series(1, ${items}) i, generate_series(1, ${eventsPerItem}) s`);
    // As autovacuum would have by then: statistics, and the visibility map that index-only scans need.
    await c.query('VACUUM ANALYZE items');
    await c.query('VACUUM ANALYZE item_events');
  } finally {
    await c.end();
  }
  return Date.now() - started;
}

const LIST_COLUMNS =
  'id, title, category, priority, status, lead_unit_id, co_unit_ids, due_date, deadline_date, light, calendar_warning, decline_count, return_count, problem_list_id, created_at, updated_at';

/**
 * The baseline: Fastify and a pg pool, no token, no permission, no ORM, no schemas; the same
 * statements the product's queries come to (as Prisma and api/read/dashboard.ts write them).
 */
async function startBare(url: string) {
  const db = new pg.Pool({ connectionString: url, max: 10 });
  const app = Fastify();
  const list = async (where: string, params: unknown[], order: string) => {
    const [count, rows] = await Promise.all([
      db.query(`SELECT count(*)::int AS n FROM items WHERE ${where}`, params),
      db.query(`SELECT ${LIST_COLUMNS} FROM items WHERE ${where} ORDER BY ${order} LIMIT 20 OFFSET 0`, params),
    ]);
    return { total: count.rows[0].n, items: rows.rows };
  };
  app.get('/list', async () => list('TRUE', [], 'updated_at DESC, id ASC'));
  app.get('/filtered', async () =>
    list(`status = ANY($1) AND light = ANY($2)`, [['rectifying'], ['red']], 'deadline_date ASC, id ASC'),
  );
  app.get('/search', async () => list(`title LIKE $1`, ['%河道整治%'], 'updated_at DESC, id ASC'));
  app.get('/dashboard', async () => {
    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    const since = new Date(Date.now() - 84 * 86_400_000);
    const [a, b, c, d, e] = await Promise.all([
      db.query(
        `SELECT status, light, (status NOT IN ('closed','withdrawn') AND due_date < $1) AS overdue, count(*)::int AS n FROM items WHERE TRUE GROUP BY 1, 2, 3`,
        [today],
      ),
      db.query(
        `SELECT i.lead_unit_id AS unit_id, u.name, count(*)::int AS n, min(i.due_date) AS worst FROM items i LEFT JOIN units u ON u.id = i.lead_unit_id WHERE TRUE AND i.status NOT IN ('closed','withdrawn') AND i.due_date < $1 GROUP BY 1, 2 ORDER BY n DESC, unit_id LIMIT 15`,
        [today],
      ),
      db.query(
        `SELECT to_char(date_trunc('week', created_at AT TIME ZONE 'Asia/Shanghai'), 'YYYY-MM-DD') AS week, count(*)::int AS n FROM items WHERE TRUE AND created_at >= $1 GROUP BY 1`,
        [since],
      ),
      db.query(
        `SELECT to_char(date_trunc('week', closed_at AT TIME ZONE 'Asia/Shanghai'), 'YYYY-MM-DD') AS week, count(*)::int AS n FROM items WHERE TRUE AND status = 'closed' AND closed_at >= $1 GROUP BY 1`,
        [since],
      ),
      db.query(`SELECT count(*)::int AS n FROM items WHERE TRUE AND attention IS NOT NULL`),
    ]);
    return { counts: a.rows, overdueByUnit: b.rows, opened: c.rows, closed: d.rows, attention: e.rows[0].n };
  });
  app.get<{ Params: { id: string } }>('/item/:id', async (request) => {
    const [item, events] = await Promise.all([
      db.query('SELECT snapshot, attention, attention_since FROM items WHERE id = $1', [request.params.id]),
      db.query('SELECT * FROM item_events WHERE item_id = $1 ORDER BY seq ASC', [request.params.id]),
    ]);
    return { item: item.rows[0]?.snapshot, timeline: events.rows.map((e) => ({ ...e, id: String(e.id) })) };
  });
  app.get('/inbox', async () => {
    const r = await db.query(
      `SELECT snapshot FROM items WHERE (lead_unit_id = $1 OR $1 = ANY(co_unit_ids)) AND (status = ANY($2::text[])
         OR (status IN ('signed', 'rectifying') AND jsonb_path_exists(snapshot, '$.extensions[*] ? (!exists(@.decision))'))
         OR (status = 'closed' AND snapshot #>> '{deadlines,reinspection,state}' = 'due'))
       ORDER BY coalesce(deadline_date, due_date), id LIMIT 501`,
      [handler.unitId, ['assigned', 'signed', 'rectifying']],
    );
    return { entries: r.rows.map((x) => x.snapshot) };
  });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  return { base, close: async () => (await app.close(), await db.end()) };
}

async function load(url: string, token: string | null, requests: number, concurrency: number) {
  const times: number[] = [];
  let failed = 0;
  const started = performance.now();
  await pool(
    Array.from({ length: requests }, (_, i) => i),
    concurrency,
    async () => {
      const t0 = performance.now();
      const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
      await res.arrayBuffer();
      times.push(performance.now() - t0);
      if (!res.ok) failed++;
    },
  );
  const secs = (performance.now() - started) / 1000;
  const s = times.sort((a, b) => a - b);
  return { rps: requests / secs, p50: percentile(s, 50), p99: percentile(s, 99), failed };
}

/** Loads a console page in Chromium and times it: navigation to the page drawn, and the API call's share. */
async function pageTimes(base: string, token: string, page: string, ready: string, api: string, rounds: number) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const render: number[] = [];
  const server: number[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      // A fresh context each round: nothing cached, as for a user's first visit of the day.
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      await context.addInitScript(`localStorage.setItem('duban.token', ${JSON.stringify(token)})`);
      const p = await context.newPage();
      const t0 = Date.now();
      await p.goto(base + page);
      await p.waitForSelector(ready, { timeout: 60_000 });
      render.push(Date.now() - t0);
      const timing = await p.evaluate((name) => {
        const e = performance.getEntriesByType('resource').find((r) => r.name.includes(name)) as unknown as
          { responseEnd: number; requestStart: number } | undefined;
        return e ? e.responseEnd - e.requestStart : NaN;
      }, api);
      server.push(timing);
      await context.close();
    }
  } finally {
    await browser.close();
  }
  const med = (xs: number[]) =>
    percentile(
      [...xs].sort((a, b) => a - b),
      50,
    );
  return { render: med(render), api: med(server) };
}

export async function runReads(
  stack: EmbeddedStack,
  items: number,
  eventsPerItem: number,
  requests: number,
  concurrency: number,
) {
  const url = stack.databaseUrl;
  const seedMs = await seed(url, items, eventsPerItem);
  const ours = await startOurs(stack, 'bench-reads');
  const bare = await startBare(url);
  const sup = signToken({ userId: supervisor.id }, BENCH_SECRET);
  const unit = signToken({ userId: handler.id }, BENCH_SECRET);
  const probe = 'R000123';
  const cases: Array<[string, string, string, string | null]> = [
    ['list, newest first (page 1 of 5,000)', '/api/items?page=1&pageSize=20', '/list', sup],
    [
      'list, rectifying + red, most overdue first',
      '/api/items?status=rectifying&light=red&sort=-overdueDays',
      '/filtered',
      sup,
    ],
    ['list, title search', `/api/items?q=${encodeURIComponent('河道整治')}`, '/search', sup],
    ['dashboard (4 aggregates + attention count)', '/api/dashboard', '/dashboard', sup],
    ['item + timeline (10 of 1M events)', `/api/items/${probe}`, `/item/${probe}`, sup],
    [`unit inbox (${items / UNITS} items of the unit)`, '/api/inbox', '/inbox', unit],
  ];
  const rows: Array<Record<string, string | number>> = [];
  const json: Record<string, unknown> = {
    items,
    events: items * eventsPerItem,
    seedMs,
    requests,
    concurrency,
    cases: {} as Record<string, unknown>,
  };
  let failed = 0;
  try {
    await ours.worker.runUntil(async () => {
      // Both sides answer the same: the same totals, the same item, the same events.
      for (const [, oursPath, barePath, token] of cases) {
        const o: any = await (
          await fetch(ours.base + oursPath, { headers: { authorization: `Bearer ${token}` } })
        ).json();
        const b: any = await (await fetch(bare.base + barePath)).json();
        const same =
          'total' in b
            ? o.total === b.total &&
              o.items.map((i: { id: string }) => i.id).join() === b.items.map((i: { id: string }) => i.id).join()
            : 'timeline' in b
              ? o.timeline.length === eventsPerItem && b.timeline.length === eventsPerItem
              : 'counts' in b
                ? o.total >= items && o.total === b.counts.reduce((n: number, r: { n: number }) => n + r.n, 0)
                : o.entries.length > 0 && o.entries.length <= b.entries.length;
        if (!same) {
          failed++;
          console.error(`reads: ${oursPath} and ${barePath} disagree`);
        }
      }
      for (const [name, oursPath, barePath, token] of cases) {
        // One warm-up pass each, so neither side is measured filling its caches.
        await load(ours.base + oursPath, token, concurrency, concurrency);
        await load(bare.base + barePath, null, concurrency, concurrency);
        const o = await load(ours.base + oursPath, token, requests, concurrency);
        const b = await load(bare.base + barePath, null, requests, concurrency);
        failed += o.failed + b.failed;
        rows.push({
          query: name,
          'ours req/s': o.rps,
          'ours p50 ms': o.p50,
          'ours p99 ms': o.p99,
          'bare req/s': b.rps,
          'bare p50 ms': b.p50,
          'bare p99 ms': b.p99,
          'ratio (req/s)': o.rps / b.rps,
        });
        (json.cases as Record<string, unknown>)[name] = { ours: o, bare: b };
      }
    });
  } finally {
    await bare.close();
  }

  // The console on the same data, with the worker stopped: only the API serves.
  const dashboard = await pageTimes(
    ours.base,
    sup,
    '/dashboard',
    '.dashboard[data-loaded="true"] canvas',
    '/api/dashboard',
    5,
  );
  const list = await pageTimes(ours.base, sup, '/items', 'table.items tbody tr', '/api/items', 5);
  await ours.app.close();
  const sizes = existsSync(path.join(CONSOLE_DIST, 'sizes.json'))
    ? (JSON.parse(readFileSync(path.join(CONSOLE_DIST, 'sizes.json'), 'utf8')) as Array<{
        file: string;
        bytes: number;
        gzip: number;
        entry: boolean;
      }>)
    : [];
  const kib = (n: number) => Math.round((n / 1024) * 10) / 10;
  const consoleRows = [
    { measure: 'dashboard: navigation → charts drawn (median of 5, cold)', value: `${dashboard.render} ms` },
    {
      measure: 'dashboard: /api/dashboard in the browser (request → response end)',
      value: `${dashboard.api.toFixed(0)} ms`,
    },
    { measure: 'item list: navigation → first page of rows shown', value: `${list.render} ms` },
    { measure: 'item list: /api/items in the browser', value: `${list.api.toFixed(0)} ms` },
    ...sizes.map((s) => ({
      measure: `JS/CSS ${s.file.replace(/-[\w]+\./, '.')}${s.entry ? ' (loaded on every page)' : s.file.startsWith('charts') ? ' (dashboard only)' : ''}`,
      value: `${kib(s.bytes)} KiB, gzip ${kib(s.gzip)} KiB`,
    })),
  ];
  json.console = { dashboard, list, sizes };
  return { rows, consoleRows, json, correct: failed === 0, seedMs };
}
