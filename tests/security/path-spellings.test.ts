/**
 * Deny by default, whatever the spelling: every route of the served OpenAPI document, asked
 * without a token under many spellings of its path over real HTTP (no client normalises the
 * path on the way), answers 401 or 404 — never 2xx, never 5xx — and changes nothing. An
 * authentication decided from the URL string instead of the matched route fails here at once:
 * `/%61pi/users` reaches the users route.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authPlugin } from '../../api/auth';
import { isApiPath, isNotConsolePath } from '../../api/console';
import { health, HEALTH_CACHE_MS, ready } from '../../api/read/health';
import type { Services } from '../../api/services';
import { DEFAULT_TEMPORAL_TIMEOUT_MS } from '../../lib/config';
import * as p from '../support/actors';
import { bearer, fullFingerprint, startApiStack, testApp, type ApiStack } from '../support/api';
import { DUE } from '../support/dates';
import { jpeg, multipart } from '../support/files';
import { uniqueTaskQueue } from '../support/stack';

let stack: ApiStack;
let base: { host: string; port: number };
let item = '';
let sha = '';
beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('spellings'));
  await stack.app.listen({ port: 0, host: '127.0.0.1' });
  base = { host: '127.0.0.1', port: (stack.app.server.address() as AddressInfo).port };
  const created = await stack.app.inject({
    method: 'POST',
    url: '/api/items',
    headers: bearer(p.supervisor),
    payload: { title: '拼写测试', leadUnitId: 'unit-a', dueDate: DUE },
  });
  expect(created.statusCode, created.body).toBe(201);
  item = created.json().item.id;
  const signed = await stack.app.inject({
    method: 'POST',
    url: `/api/items/${item}/sign`,
    headers: bearer(p.leadA),
    payload: {},
  });
  expect(signed.statusCode, signed.body).toBe(200);
  const { payload, headers } = multipart([{ name: '现场.jpg', content: jpeg('spellings') }]);
  const up = await stack.app.inject({
    method: 'POST',
    url: `/api/items/${item}/evidence`,
    headers: { ...bearer(p.leadA), ...headers },
    payload,
  });
  expect(up.statusCode, up.body).toBe(201);
  sha = up.json().files[0].sha256;
  const plan = await stack.app.inject({
    method: 'POST',
    url: '/api/plans',
    headers: bearer(p.supervisor),
    payload: {
      id: 'spell-plan',
      year: 2026,
      title: '拼写计划',
      tasks: [{ no: 1, title: '任务一', leadUnitId: 'unit-a' }],
      indicators: [],
    },
  });
  expect(plan.statusCode, plan.body).toBe(201);
}, 120_000);
afterAll(async () => stack?.close());

/** Real values for a route's parameters, so that a request that got through would find something. */
function fill(route: string): string {
  return route
    .replace(/^\/api\/plans\/\{id\}/, '/api/plans/spell-plan')
    .replace(/^\/api\/units\/\{id\}/, '/api/units/unit-a')
    .replace(/^\/api\/users\/\{id\}/, '/api/users/u-a')
    .replace('{id}', item)
    .replace('{sha256}', sha)
    .replace('{year}', '2026')
    .replace('{category}', 'complaint')
    .replace('{priority}', 'urgent')
    .replace('{token}', '0'.repeat(32));
}

const hex = (c: string, upper: boolean) => {
  const h = c.charCodeAt(0).toString(16);
  return `%${upper ? h.toUpperCase() : h.toLowerCase()}`;
};

/** The first or last letter of segment `i` percent-encoded, with lower- or upper-case hex digits. */
function encodeIn(path: string, i: number, last: boolean, upper: boolean): string | null {
  const segs = path.split('/');
  const seg = segs[i]!;
  const letters = [...seg].map((c, k) => (/[a-z]/i.test(c) ? k : -1)).filter((k) => k >= 0);
  const k = last ? letters.at(-1) : letters[0];
  if (k === undefined) return null;
  segs[i] = seg.slice(0, k) + hex(seg[k]!, upper) + seg.slice(k + 1);
  return segs.join('/');
}

/** The ways a path can be spelt that some server, proxy or router reads as the same path. */
export function spellings(path: string): string[] {
  const segs = path.split('/');
  const out = new Set<string>([path]);
  for (let i = 1; i < segs.length; i++) {
    for (const last of [false, true]) {
      for (const upper of [false, true]) {
        const e = encodeIn(path, i, last, upper);
        if (e) out.add(e);
      }
    }
  }
  out.add(`/${path}`);
  out.add(path.replace('/api/', '/api//'));
  out.add(`${path}/`);
  out.add(path.replace('/api/', '/api/./'));
  out.add(path.replace('/api/', '/./api/'));
  out.add(`${path};x=1`);
  out.add(path.replace('/api/', '/api;x=1/'));
  out.add(path.replace('/api/', '/api%2F'));
  out.add(path.replace('/api/', '/api%2f'));
  out.add(path.replace('/api/', '/API/'));
  out.add(path.replace('/api/', '/Api/'));
  out.add(path.replace('/api/', '/api\\'));
  out.add(path.replace(/\/([^/]+)$/, '/x/../$1'));
  out.add([...path].map((c) => (/[a-z]/.test(c) ? hex(c, true) : c)).join(''));
  return [...out];
}

function raw(method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        ...base,
        method,
        path,
        headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('every route, every spelling, no token', () => {
  it('answers 401 or 404, never 2xx or 5xx, and changes nothing', async () => {
    const doc = stack.app.swagger() as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    const before = await fullFingerprint(stack.db);
    const bad: string[] = [];
    let tried = 0;
    let routes = 0;
    for (const [route, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        // Public routes (health, the mail's 确认收到 link) answer anyone; they are declared so.
        if (Array.isArray(op.security) && op.security.length === 0) continue;
        routes++;
        for (const path of spellings(fill(route))) {
          const res = await raw(method.toUpperCase(), path, method === 'get' ? undefined : '{}');
          tried++;
          if (![401, 404].includes(res.status))
            bad.push(`${method.toUpperCase()} ${path} → ${res.status} ${res.body.slice(0, 120)}`);
        }
      }
    }
    expect(bad).toEqual([]);
    expect(routes).toBeGreaterThan(40);
    expect(tried).toBeGreaterThan(routes * 15);
    expect(await fullFingerprint(stack.db)).toBe(before);
    console.log(`path spellings: ${routes} routes × spellings = ${tried} requests, none got through`);
  }, 300_000);

  it('the spellings include the ones that bypassed the URL check', () => {
    const s = spellings('/api/users');
    expect(s).toEqual(
      expect.arrayContaining([
        '/%61pi/users',
        '/ap%69/users',
        '/api/%75sers',
        '//api/users',
        '/api/users/',
        '/api/./users',
        '/api%2Fusers',
        '/api/users;x=1',
        '/API/users',
      ]),
    );
  });

  it('the console catch-all knows an API path under any spelling', () => {
    for (const path of spellings('/api/users')) expect(isApiPath(path), path).toBe(true);
    for (const path of [
      '/x/../api/users',
      '//127.0.0.1:3000/api/users',
      '/\uff41\uff50\uff49/users',
      '/api%00/users',
      '/API;x/users',
    ])
      expect(isApiPath(path), path).toBe(true);
    for (const path of ['/', '/items/I1', '/cycles/c-2026-10', '/apiary', '/x/apis'])
      expect(isApiPath(path), path).toBe(false);
  });

  it('a token for a real user still works under an escaped spelling, and the role table still applies', async () => {
    const ok = await stack.app.inject({ method: 'GET', url: '/%61pi/users', headers: bearer(p.admin) });
    expect(ok.statusCode).toBe(200);
    const denied = await stack.app.inject({ method: 'GET', url: '/%61pi/users', headers: bearer(p.leadA) });
    expect(denied.statusCode).toBe(403);
  });
});

describe('probes and scrapers on the public port', () => {
  // What a load balancer or Prometheus misdirected at the public port asks; none is a console page.
  const probes = [
    '/metrics',
    '/metrics.',
    '/metrics..',
    '/metrics%2e',
    '/METRICS.',
    '/x/../metrics',
    '/static/../metrics',
    '/assets/../metrics',
    '/metrics.txt',
    '/%6Detrics',
    '//metrics',
    '/metrics/x',
    '/ready',
    '/readyz',
    '/Ready.',
    '/live',
    '/livez',
    '/health',
    '/healthz',
    '/healthz.json',
    '/%68ealthz',
    // Dot-segments, also escaped: no link to the console has one.
    '/items/../x',
    '/items/./x',
    '/items/%2e%2E/x',
    '/%2e/items',
    '/items/..%2fx',
    '/.',
  ];

  it("the console answers 404 in JSON to a probe's path or a dot-segment, however spelt, over real HTTP", async () => {
    for (const path of probes) {
      expect(isNotConsolePath(path), path).toBe(true);
      const res = await raw('GET', path);
      expect(res.status, path).toBe(404);
      expect(res.body, path).not.toMatch(/<html|<!doctype/i);
      expect(() => JSON.parse(res.body) as unknown, path).not.toThrow();
    }
  });

  it("keeps deep links to the console working, names that only begin like a probe's included", async () => {
    for (const path of [
      '/',
      `/items/${item}`,
      `/items/${item}?tab=evidence`,
      '/cycles/c-2026-10',
      '/login?next=%2Fitems%2FI1',
      '/wall',
      '/items/I-1.2',
      '/metrics-board',
      '/healthcare/items',
      '/x/.../y',
    ]) {
      expect(isNotConsolePath(path), path).toBe(false);
      const res = await raw('GET', path);
      expect(res.status, path).toBe(200);
      expect(res.body, path).toMatch(/<html/i);
    }
  });

  it('never rate-limits the health routes, though public traffic from the same address is over its limit', async () => {
    const tight = await testApp(stack.db, stack.t.client, 'unused', DEFAULT_TEMPORAL_TIMEOUT_MS, {
      limits: { perMinute: 5 },
    });
    try {
      // The address's and the token's allowances used up, as other callers behind one SNAT address would.
      const statuses = async (url: string, headers: Record<string, string> = {}) => {
        const out: number[] = [];
        for (let i = 0; i < 7; i++) out.push((await tight.inject({ method: 'GET', url, headers })).statusCode);
        return out;
      };
      expect(await statuses('/items/I1')).toContain(429);
      expect(await statuses('/api/me', bearer(p.supervisor))).toContain(429);
      for (const headers of [{}, bearer(p.supervisor)])
        for (const url of ['/api/health/live', '/api/health/ready', '/api/health'])
          expect(await statuses(url, headers), url).toEqual(Array(7).fill(200));
      // The limit itself still holds for everything else.
      expect((await tight.inject({ method: 'GET', url: '/items/I1' })).statusCode).toBe(429);
    } finally {
      await tight.close();
    }
  });

  it('answers a flood of health checks from one round of dependency checks a second', async () => {
    // The real database and Temporal, with the database's queries counted.
    let queries = 0;
    const db = new Proxy(stack.db, {
      get(target, key, receiver) {
        const value: unknown = Reflect.get(target, key, receiver);
        if (typeof value !== 'function' || !String(key).startsWith('$query')) return value;
        return (...args: unknown[]) => {
          queries++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const services = { db, temporal: stack.t.client } as unknown as Services;
    const flood = async () => {
      const answers = await Promise.all(Array.from({ length: 100 }, () => ready(services)));
      for (let i = 0; i < 100; i++) answers.push(await ready(services));
      expect(answers.every((r) => r.ready)).toBe(true);
      const h = await Promise.all(Array.from({ length: 100 }, () => health(services)));
      expect(h.every((r) => r.database && r.temporal)).toBe(true);
    };
    const started = Date.now();
    await flood();
    const one = queries;
    // One readiness round (the database, the migrations) and one health round; 300 callers served by them.
    expect(one).toBeGreaterThan(0);
    expect(one).toBeLessThanOrEqual(4);
    if (Date.now() - started < HEALTH_CACHE_MS) {
      await flood();
      expect(queries).toBe(one);
    }
    // Checked afresh once the second is over: an outage shows within it.
    await new Promise((r) => setTimeout(r, HEALTH_CACHE_MS + 50));
    expect((await ready(services)).ready).toBe(true);
    expect(queries).toBeGreaterThan(one);
  });
});

describe('a route must declare its access', () => {
  const build = async (config: Record<string, unknown> | undefined) => {
    const app = Fastify();
    await app.register(authPlugin, {
      verify: async () => ({ ok: false, reason: 'x' }),
      resolve: async () => null,
      failures: { max: 10, windowMs: 1000 },
    });
    app.get('/api/thing', config ? { config } : {}, async () => 'thing');
    return app;
  };

  it('one declared neither public nor with a permission stops the app from starting', async () => {
    await expect((await build(undefined)).ready()).rejects.toThrow(/GET \/api\/thing declares neither/);
    await expect((await build({ public: true, permission: 'item.read' })).ready()).rejects.toThrow(/declares both/);
    await expect((await build({ permission: 'item.read' })).ready()).resolves.toBeDefined();
  });

  it('every route of the real app declares one (buildApp boots), and the public ones carry security: []', () => {
    const doc = stack.app.swagger() as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    const open = Object.entries(doc.paths).flatMap(([route, ms]) =>
      Object.entries(ms)
        .filter(([, op]) => Array.isArray(op.security) && op.security.length === 0)
        .map(([m]) => `${m.toUpperCase()} ${route}`),
    );
    expect(open.sort()).toEqual([
      'GET /api/ack/{token}',
      'GET /api/health',
      'GET /api/health/live',
      'GET /api/health/ready',
      'POST /api/ack/{token}',
    ]);
  });
});
