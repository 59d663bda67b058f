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
import { summarySql, type SummaryFigures } from '../api/read/dashboard';
import type { ItemScope } from '../api/visibility';
import type { EmbeddedStack } from '../dev/embedded-stack';
import { signToken } from '../lib/tokens';
import { BENCH_SECRET, startOurs } from './ours';
import { percentile, pool } from './stats';

const UNITS = 100;
const unitId = (i: number) => `r-${String(i % UNITS).padStart(3, '0')}`;
export const supervisor = { id: 'r-sup', name: '读督查', role: 'supervisor', unitId: 'dcs' };
export const handler = { id: 'r-h-001', name: '读经办', role: 'unit_handler', unitId: unitId(1) };

/** Bulk rows straight into PostgreSQL (the product would take hours to make them one Update at a time). */
export async function seed(url: string, items: number, eventsPerItem: number): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const started = Date.now();
  try {
    await c.query(
      // One unit by a real name, for the search by unit name.
      `INSERT INTO units (id, name, parent_id, kind) SELECT 'r-' || lpad(i::text, 3, '0'), CASE WHEN i = 0 THEN '市财政委' ELSE '读测单位' || i END, NULL, 'bureau' FROM generate_series(0, ${UNITS - 1}) i ON CONFLICT DO NOTHING`,
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
      SELECT id, title, description, 'inspection', 'normal', '', status, lead, co, due, light, due, false, 0, i % 3, NULL, ${eventsPerItem},
             jsonb_build_object('id', id, 'title', title, 'description', description, 'category', 'inspection', 'priority', 'normal', 'source', '',
               'problemListId', NULL, 'leadUnitId', lead, 'coParts', (SELECT coalesce(jsonb_agg(jsonb_build_object('unitId', c, 'state', 'assigned')), '[]'::jsonb) FROM unnest(co) c),
               'dueDate', due, 'createdAt', created, 'updatedAt', created,
               'createdBy', jsonb_build_object('userId', 'r-sup', 'name', '读督查', 'role', 'supervisor', 'unitId', 'dcs'),
               'seq', ${eventsPerItem}, 'declines', '[]'::jsonb, 'ownerRuled', false, 'returnCount', i % 3, 'relapseCount', 0,
               'extensions', '[]'::jsonb, 'plan', NULL, 'progressReports', 0, 'deadlines', NULL, 'status', status,
               'closedAt', created, 'reason', '', 'resumeTo', 'signed'),
             created, created + interval '1 hour' * (i % 48), CASE WHEN status = 'closed' THEN created + interval '20 days' END
      FROM (
        SELECT i, 'R' || lpad(i::text, 6, '0') AS id,
               '读性能事项' || i || (ARRAY['消防通道','老旧小区','河道整治','校园安全','食品抽检'])[1 + i % 5] AS title,
               (ARRAY['assigned','signed','rectifying','rectifying','verifying','closed','closed','closed','withdrawn','suspended'])[1 + i % 10] AS status,
               (ARRAY['楼道堆放杂物，消防通道堵塞','雨污管网混接，河道黑臭','校门口交通秩序混乱','农贸市场食品抽检不合格'])[1 + i % 4] AS description,
               'r-' || lpad((i % ${UNITS})::text, 3, '0') AS lead,
               CASE WHEN i % 4 = 0 THEN ARRAY['r-' || lpad(((i + 7) % ${UNITS})::text, 3, '0')] ELSE ARRAY[]::text[] END AS co,
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
export async function startBare(url: string) {
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
  // The dashboard's figures by the very statement api/read/dashboard.ts sends (summarySql).
  const summaries = async (scope: ItemScope) => {
    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    const monday = new Date(`${today}T00:00:00Z`);
    monday.setUTCDate(monday.getUTCDate() - ((monday.getUTCDay() + 6) % 7) - 7 * 11);
    const sql = summarySql(scope, today, monday.toISOString().slice(0, 10));
    const r = await db.query(sql.text, sql.values);
    const f = r.rows[0] as SummaryFigures;
    return {
      figures: {
        total: f.counts.reduce((x, c) => x + c.n, 0),
        overdue: f.overdue.reduce((x, o) => x + o.n, 0),
      },
      ...f,
    };
  };
  app.get('/dashboard', async () => summaries({ kind: 'all' }));
  app.get('/dashboard-unit', async () => summaries({ kind: 'unit', unitId: handler.unitId }));
  // Before issue 18: the same figures by scanning the items on every request.
  app.get('/dashboard-scan', async () => {
    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    const since = new Date(Date.now() - 84 * 86_400_000);
    const [a, b, c, d, e] = await Promise.all([
      db.query(
        `SELECT status, light, (status NOT IN ('closed','withdrawn') AND coalesce(deadline_date, due_date) < $1) AS overdue, coalesce(closed_late_working_days > 0, false) AS late, count(*)::int AS n FROM items WHERE TRUE GROUP BY 1, 2, 3, 4`,
        [today],
      ),
      db.query(
        `SELECT i.lead_unit_id AS unit_id, u.name, count(*)::int AS n, min(i.due_date) AS worst FROM items i LEFT JOIN units u ON u.id = i.lead_unit_id WHERE TRUE AND i.status NOT IN ('closed','withdrawn') AND coalesce(i.deadline_date, i.due_date) < $1 GROUP BY 1, 2 ORDER BY n DESC, unit_id LIMIT 15`,
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
    const counts = a.rows as Array<{ overdue: boolean; n: number }>;
    return {
      figures: {
        total: counts.reduce((x, r) => x + r.n, 0),
        overdue: counts.reduce((x, r) => x + (r.overdue ? r.n : 0), 0),
      },
      overdueByUnit: b.rows,
      opened: c.rows,
      closed: d.rows,
      attention: e.rows[0].n,
    };
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
  /** name, our path (null: the baseline alone), the bare path (null: ours alone), whose token. */
  const cases: Array<[string, string | null, string | null, string]> = [
    ['list, newest first (page 1 of 5,000)', '/api/items?page=1&pageSize=20', '/list', sup],
    [
      'list, rectifying + red, most overdue first',
      '/api/items?status=rectifying&light=red&sort=-overdueDays',
      '/filtered',
      sup,
    ],
    // Search (the list's q): what is there when the benchmark runs; no bare twin.
    ['search: unit name 市财政委', `/api/items?q=${encodeURIComponent('市财政委')}`, null, sup],
    ['search: number 督〔2026〕12号', `/api/items?q=${encodeURIComponent('督〔2026〕12号')}`, null, sup],
    ['search: description word 黑臭', `/api/items?q=${encodeURIComponent('黑臭')}`, null, sup],
    ['search: title words 河道整治', `/api/items?q=${encodeURIComponent('河道整治')}`, null, sup],
    ['dashboard, supervisor (summaries)', '/api/dashboard', '/dashboard', sup],
    ['dashboard, unit handler (summaries)', '/api/dashboard', '/dashboard-unit', unit],
    ['dashboard before: scanning the items (SQL only)', null, '/dashboard-scan', sup],
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
  const get = async (url: string, token: string | null) =>
    (await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {})).json() as Promise<any>;
  try {
    await ours.worker.runUntil(async () => {
      // Both sides answer the same: the same totals, the same item, the same events, the same
      // dashboard figures (the scan before issue 18 included: summaries and items agree).
      const ourDashboard = await get(ours.base + '/api/dashboard', sup);
      for (const [name, oursPath, barePath, token] of cases) {
        const o: any = oursPath ? await get(ours.base + oursPath, token) : ourDashboard;
        if (!barePath) {
          if (!(o.total > 0)) {
            failed++;
            console.error(`reads: ${name} found nothing`);
          }
          continue;
        }
        const b: any = await get(bare.base + barePath, null);
        const same =
          'figures' in b
            ? o.total >= items / 100 && o.total === b.figures.total && o.overdue === b.figures.overdue
            : 'total' in b
              ? o.total === b.total &&
                o.items.map((i: { id: string }) => i.id).join() === b.items.map((i: { id: string }) => i.id).join()
              : 'timeline' in b
                ? o.timeline.length === eventsPerItem && b.timeline.length === eventsPerItem
                : o.entries.length > 0 && o.entries.length <= b.entries.length;
        if (!same) {
          failed++;
          console.error(`reads: ${name}: ${oursPath} and ${barePath} disagree`);
        }
      }
      const none = { rps: NaN, p50: NaN, p99: NaN, failed: 0 };
      for (const [name, oursPath, barePath, token] of cases) {
        // One warm-up pass each, so neither side is measured filling its caches.
        if (oursPath) await load(ours.base + oursPath, token, concurrency, concurrency);
        if (barePath) await load(bare.base + barePath, null, concurrency, concurrency);
        const o = oursPath ? await load(ours.base + oursPath, token, requests, concurrency) : none;
        const b = barePath ? await load(bare.base + barePath, null, requests, concurrency) : none;
        failed += o.failed + b.failed;
        const cell = (x: number) => (Number.isNaN(x) ? '—' : x);
        rows.push({
          query: name,
          'ours req/s': cell(o.rps),
          'ours p50 ms': cell(o.p50),
          'ours p99 ms': cell(o.p99),
          'bare req/s': cell(b.rps),
          'bare p50 ms': cell(b.p50),
          'bare p99 ms': cell(b.p99),
          'ratio (req/s)': cell(o.rps / b.rps),
        });
        (json.cases as Record<string, unknown>)[name] = { ours: oursPath ? o : null, bare: barePath ? b : null };
      }
    });
  } finally {
    await bare.close();
  }

  // The console on the same data, with the worker stopped: only the API serves.
  // A page that does not draw is reported, and the API's figures above are kept.
  const timed = async (...args: Parameters<typeof pageTimes>) => {
    try {
      return await pageTimes(...args);
    } catch (err) {
      failed++;
      console.error(`reads: console page ${args[2]} failed: ${(err as Error).message.split('\n')[0]}`);
      return { render: NaN, api: NaN };
    }
  };
  const dashboard = await timed(
    ours.base,
    sup,
    '/dashboard',
    '.dashboard[data-loaded="true"] canvas',
    '/api/dashboard',
    5,
  );
  const list = await timed(ours.base, sup, '/items', 'table.items tbody tr', '/api/items', 5);
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
