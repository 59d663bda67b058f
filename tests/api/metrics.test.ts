/**
 * What an operator sees, on the processes as production runs them (api/server.ts and
 * worker/main.ts, each with its metrics port) against a PostgreSQL of the test's own: the route,
 * SDK and product metrics after transitions through the API; nothing at /metrics on the public
 * port; readiness false while PostgreSQL is down and true again after, liveness throughout; the
 * request id and the workflow id in the JSON logs.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { HEALTH_CACHE_MS } from '../../api/read/health';
import { startEmbeddedPostgres, type EmbeddedPg } from '../../dev/embedded-postgres';
import { freePort } from '../../dev/ports';
import { createDb, type Db } from '../../lib/db';
import { migrate } from '../../lib/migrate';
import { itemWorkflowId } from '../../workflows/ids';
import * as p from '../support/actors';
import { bearer, seedUnits, seedUsers, TEST_SECRET } from '../support/api';
import { DUE } from '../support/dates';
import { uniqueTaskQueue } from '../support/stack';
import { waitFor } from '../support/wait';
import { kill9, startApiProcess, startWorkerProcess } from '../support/worker-process';

let dir: string;
let pgPort: number;
let pg: EmbeddedPg;
let db: Db;
let api: ChildProcess;
let worker: ChildProcess;
let base: string;
let apiMetrics: string;
let workerMetrics: string;
const apiLines: string[] = [];
const workerLines: string[] = [];

/** Every JSON line a process writes (pino's on the API, the Runtime's logger on the worker). */
function collect(child: ChildProcess, into: string[]): void {
  let rest = '';
  const onData = (d: Buffer) => {
    const parts = (rest + d.toString()).split('\n');
    rest = parts.pop() ?? '';
    into.push(...parts);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
}

function jsonLines(lines: string[]): Array<Record<string, unknown>> {
  return lines.flatMap((l) => {
    try {
      const v: unknown = JSON.parse(l);
      return v && typeof v === 'object' ? [v as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}

beforeAll(async () => {
  // A PostgreSQL of its own: the readiness test stops it.
  dir = await mkdtemp(path.join(os.tmpdir(), 'duban-metrics-pg-'));
  pgPort = await freePort();
  pg = await startEmbeddedPostgres({ dir, port: pgPort, persistent: true, quiet: true });
  await pg.createDatabase('duban');
  await migrate(pg.url('duban'));
  db = createDb(pg.url('duban'));
  await seedUnits(db);
  await seedUsers(db, Object.values(p));
  const [apiPort, apiMetricsPort, workerMetricsPort] = [await freePort(), await freePort(), await freePort()];
  const env = {
    DATABASE_URL: pg.url('duban'),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: uniqueTaskQueue('metrics'),
    AUTH_SECRET: TEST_SECRET,
    AUTH_USER_CACHE_MS: '0',
  };
  worker = await startWorkerProcess({
    ...env,
    METRICS_ADDRESS: `127.0.0.1:${workerMetricsPort}`,
    // The SDK's workflow and activity lines (debug) carry the workflow id.
    LOG_LEVEL: 'debug',
  });
  collect(worker, workerLines);
  api = await startApiProcess({
    ...env,
    API_HOST: '127.0.0.1',
    API_PORT: String(apiPort),
    METRICS_ADDRESS: `127.0.0.1:${apiMetricsPort}`,
  });
  collect(api, apiLines);
  base = `http://127.0.0.1:${apiPort}`;
  apiMetrics = `http://127.0.0.1:${apiMetricsPort}`;
  workerMetrics = `http://127.0.0.1:${workerMetricsPort}`;
}, 180_000);

afterAll(async () => {
  if (api) await kill9(api);
  if (worker) await kill9(worker);
  await db?.$disconnect();
  await pg?.stop().catch(() => {});
  await rm(dir, { recursive: true, force: true });
}, 60_000);

const post = (url: string, actor: typeof p.supervisor, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${url}`, {
    method: 'POST',
    headers: { ...bearer(actor), 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

const scrape = async (url: string) => {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return res.text();
};

/** A sample's value: `name{labels} value`, labels in prom-client's order. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[3] ?? '').split(',').filter(Boolean);
    if (wanted.every((w) => have.includes(w))) return Number(m[4]);
  }
  return undefined;
}

describe('metrics, logs and request ids', () => {
  let itemId: string;

  it('counts a transition by its route and status, with the request id in the header and the log line', async () => {
    const created = await post(
      '/api/items',
      p.supervisor,
      { title: '指标测试事项', leadUnitId: 'unit-a', dueDate: DUE },
      { 'x-request-id': 'metrics-test-0001' },
    );
    expect(created.status).toBe(201);
    expect(created.headers.get('x-request-id')).toBe('metrics-test-0001');
    itemId = ((await created.json()) as { item: { id: string } }).item.id;

    // No id, or one that is not sane (spaces, too long): a UUID of the API's own, echoed back.
    const signed = await post(`/api/items/${itemId}/sign`, p.leadA, {}, { 'x-request-id': 'not a sane id' });
    expect(signed.status).toBe(200);
    const signId = signed.headers.get('x-request-id');
    expect(signId).toMatch(/^[0-9a-f-]{36}$/);
    const refused = await post(`/api/items/${itemId}/sign`, p.leadA, {});
    expect(refused.status).toBe(409);

    const text = await scrape(apiMetrics);
    const sign = { method: 'POST', route: '/api/items/:id/sign' };
    expect(sample(text, 'duban_http_requests_total', { ...sign, status: '200' })).toBe(1);
    expect(sample(text, 'duban_http_requests_total', { ...sign, status: '409' })).toBe(1);
    expect(sample(text, 'duban_http_request_duration_seconds_count', { ...sign, status: '200' })).toBe(1);
    expect(sample(text, 'duban_http_request_duration_seconds_bucket', { ...sign, status: '200', le: '+Inf' })).toBe(1);
    expect(sample(text, 'duban_http_requests_total', { method: 'POST', route: '/api/items', status: '201' })).toBe(1);
    // Never the raw URL: no series names the item.
    expect(text).not.toContain(itemId);

    // One line per request, JSON, with the request id, the route pattern and the workflow reached.
    const lines = await waitFor(async () => {
      const all = jsonLines(apiLines).filter((l) => l.msg === 'request completed');
      return all.some((l) => l.reqId === signId) ? all : null;
    }, 10_000);
    expect(lines.find((l) => l.reqId === 'metrics-test-0001')).toMatchObject({
      method: 'POST',
      route: '/api/items',
      status: 201,
      workflowId: itemWorkflowId(itemId),
    });
    expect(lines.find((l) => l.reqId === signId)).toMatchObject({
      route: '/api/items/:id/sign',
      status: 200,
      workflowId: itemWorkflowId(itemId),
    });
    expect(jsonLines(apiLines).filter((l) => l.reqId === 'metrics-test-0001' && l.msg === 'incoming request')).toEqual(
      [],
    );
  });

  it("serves the product's gauges, matching PostgreSQL", async () => {
    for (let i = 0; i < 3; i++)
      expect(
        (await post('/api/items', p.supervisor, { title: `指标 ${i}`, leadUnitId: 'unit-b', dueDate: DUE })).status,
      ).toBe(201);
    // The product's figures are read at most once a second (lib/metrics.ts): the scrape must not
    // get the figures an earlier test's scrape read just before these items were opened.
    await new Promise((r) => setTimeout(r, 1100));
    const text = await scrape(apiMetrics);
    expect(sample(text, 'duban_product_figures_up')).toBe(1);
    const open = await db.item.groupBy({
      by: ['status', 'light'],
      where: { status: { notIn: ['closed', 'withdrawn'] } },
      _count: true,
    });
    expect(open.reduce((n, g) => n + g._count, 0)).toBe(4);
    for (const g of open)
      expect(
        sample(text, 'duban_items_open', { status: g.status, light: g.light ?? '' }),
        `${g.status}/${g.light}`,
      ).toBe(g._count);
    const shown = text.split('\n').filter((l) => l.startsWith('duban_items_open{'));
    expect(shown).toHaveLength(open.length);
    expect(sample(text, 'duban_items_attention')).toBe(await db.item.count({ where: { attention: { not: null } } }));
    for (const status of ['pending', 'sending', 'digest', 'failed'])
      expect(sample(text, 'duban_outbox_messages', { status }), status).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'duban_notification_requests_pending')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'duban_outbox_oldest_pending_seconds')).toBeGreaterThanOrEqual(0);
    // The reconciliation's gauges once its tables exist.
    const [tables] = await db.$queryRaw<Array<{ exists: boolean }>>`
      SELECT to_regclass('reconciliation_findings') IS NOT NULL AS exists`;
    if (tables?.exists) expect(sample(text, 'duban_reconciliation_open_findings')).toBe(0);
    else expect(sample(text, 'duban_reconciliation_open_findings')).toBeUndefined();
  });

  it("serves the SDK's worker metrics on the worker's port, in one valid exposition, and JSON logs with the workflow id", async () => {
    const text = await scrape(workerMetrics);
    expect(text).toMatch(/^temporal_workflow_task_\w+(\{[^}]*\})? \S+$/m);
    expect(text).toMatch(/^temporal_request(_\w+)?(\{[^}]*\})? \S+$/m);
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    // One # TYPE per metric name across both parts.
    const types = text.split('\n').filter((l) => l.startsWith('# TYPE '));
    expect(new Set(types.map((l) => l.split(' ')[2])).size).toBe(types.length);

    const lines = workerLines.filter((l) => l.trim() !== '');
    const worker = jsonLines(lines);
    expect(worker).toHaveLength(lines.length);
    expect(worker.every((l) => typeof l.level === 'number' && typeof l.time === 'number')).toBe(true);
    expect(worker.some((l) => l.workflowId === itemWorkflowId(itemId))).toBe(true);
  });

  it('answers 404 for /metrics on the public port, however spelt', async () => {
    for (const url of [
      '/metrics',
      '/Metrics',
      '/metrics/',
      '//metrics',
      '/%6Detrics',
      '/metrics?x=1',
      '/metrics.',
      '/metrics%2e',
      '/metrics.txt',
      '/x/../metrics',
      // A load balancer's probe misdirected at the public port: not the console's 200.
      '/ready',
      '/live',
      '/healthz',
    ]) {
      const res = await fetch(`${base}${url}`);
      expect(res.status, url).toBe(404);
      expect(await res.text(), url).not.toContain('<html');
    }
    // The console is still served elsewhere.
    expect((await fetch(`${base}/items/${itemId}`)).status).toBe(200);
  });
});

describe('liveness and readiness', () => {
  it('is not ready while PostgreSQL is down, naming the database, ready again after; alive throughout', async () => {
    const readyRes = await fetch(`${base}/api/health/ready`);
    expect(readyRes.status).toBe(200);
    expect(await readyRes.json()).toEqual({
      ready: true,
      checks: { database: true, temporal: true, migrations: true, searchAttributes: true },
      failed: [],
    });
    expect((await fetch(`${apiMetrics}/ready`)).status).toBe(200);
    expect((await fetch(`${workerMetrics}/ready`)).status).toBe(200);

    await pg.stop();
    try {
      // The public port's checks are cached for a second (a flood of probes costs one round).
      await new Promise((r) => setTimeout(r, HEALTH_CACHE_MS));
      const down = await fetch(`${base}/api/health/ready`);
      expect(down.status).toBe(503);
      const body = (await down.json()) as Record<string, unknown>;
      expect(body).toMatchObject({
        error: 'not_ready',
        ready: false,
        checks: { database: false, temporal: true, searchAttributes: true },
      });
      expect(body.failed).toContain('database');
      expect(body.message).toContain('数据库');
      // The reason (hosts, errors) only on the operator's port.
      expect(JSON.stringify(body)).not.toContain(String(pgPort));
      const detail = (await (await fetch(`${apiMetrics}/ready`)).json()) as {
        checks: { database: { ok: boolean; reason?: string } };
      };
      expect(detail.checks.database.ok).toBe(false);
      expect(detail.checks.database.reason).toBeTruthy();
      expect((await fetch(`${workerMetrics}/ready`)).status).toBe(503);
      expect((await fetch(`${base}/api/health/live`)).status).toBe(200);
      expect((await fetch(`${workerMetrics}/live`)).status).toBe(200);
      // The existing check still answers as before.
      expect(await (await fetch(`${base}/api/health`)).json()).toMatchObject({ database: 'down' });
      // A scrape still works: the product's gauges say they could not be read.
      expect(sample(await scrape(apiMetrics), 'duban_product_figures_up')).toBe(0);
    } finally {
      pg = await startEmbeddedPostgres({ dir, port: pgPort, persistent: true, quiet: true });
    }
    await waitFor(async () => (await fetch(`${base}/api/health/ready`)).status === 200, 30_000);
    expect((await fetch(`${base}/api/health/live`)).status).toBe(200);
    expect((await fetch(`${workerMetrics}/ready`)).status).toBe(200);
    // The pool's connections from before the restart are replaced as they fail: within a few scrapes.
    await waitFor(async () => sample(await scrape(apiMetrics), 'duban_product_figures_up') === 1, 30_000);
  }, 120_000);
});
