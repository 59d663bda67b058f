import { WorkflowUpdateFailedError, Client } from '@temporalio/client';
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { purgeAudit } from '../../api/audit';
import type { Actor } from '../../domain/actors';
import { parseCommand } from '../../domain/commands';
import { DEFAULT_TEMPORAL_TIMEOUT_MS, loadConfig, type ConfigEnv } from '../../lib/config';
import { productionProblems } from '../../lib/exposure';
import { actOnItem } from '../../workflows/client/items';
import { signToken } from '../../lib/tokens';
import { ROOT } from '../../lib/root';
import { itemWorkflowId } from '../../workflows/ids';
import * as p from '../support/actors';
import {
  bearer,
  startApiStack,
  TEST_SECRET,
  testApp,
  testAppOptions,
  type ApiStack,
  holdToContract,
} from '../support/api';
import { DUE } from '../support/dates';
import { testConfig } from '../support/config';
import { uniqueTaskQueue } from '../support/stack';

let stack: ApiStack;
let tq: string;
beforeAll(async () => {
  tq = uniqueTaskQueue('access');
  stack = await startApiStack(tq);
}, 60_000);
afterAll(async () => stack?.close());

const get = (url: string, headers: Record<string, string> = {}) => stack.app.inject({ method: 'GET', url, headers });
async function open(leadUnitId = 'unit-a', title = '占道经营整治'): Promise<string> {
  const res = await stack.app.inject({
    method: 'POST',
    url: '/api/items',
    headers: bearer(p.supervisor),
    payload: { title, leadUnitId, dueDate: DUE },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().item.id;
}

describe('authentication', () => {
  it('answers 401 with the reason for a missing, malformed, wrongly signed, expired, unsigned or unknown token', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const body = Buffer.from(
      JSON.stringify({ sub: p.supervisor.userId, exp: Math.floor(Date.now() / 1000) + 600 }),
    ).toString('base64url');
    const cases: Array<[Record<string, string>, string]> = [
      [{}, '缺少 Authorization 请求头'],
      [{ authorization: 'Basic abc' }, 'Authorization 请求头应为'],
      [{ authorization: 'Bearer not-a-jwt' }, '令牌格式错误'],
      [
        {
          authorization: `Bearer ${signToken({ userId: p.supervisor.userId }, 'another-secret-another-secret-another!!')}`,
        },
        '令牌签名无效',
      ],
      [
        {
          authorization: `Bearer ${signToken({ userId: p.supervisor.userId }, TEST_SECRET, 60, Date.now() - 3600_000)}`,
        },
        '令牌已过期',
      ],
      [{ authorization: `Bearer ${header}.${body}.` }, '令牌签名算法不受支持'],
      [{ authorization: `Bearer ${signToken({ userId: 'nobody' }, TEST_SECRET)}` }, '用户不存在或已停用'],
    ];
    for (const [headers, reason] of cases) {
      const res = await get('/api/items', headers);
      expect(res.statusCode, reason).toBe(401);
      expect(res.json().message).toContain(reason);
    }
  });

  it('takes role and unit from the users table, and locks a disabled user out', async () => {
    const put = (body: Record<string, unknown>) =>
      stack.app.inject({ method: 'PUT', url: '/api/users/u-temp', headers: bearer(p.admin), payload: body });
    expect((await put({ name: '临时经办', role: 'unit_handler', unitId: 'unit-b' })).statusCode).toBe(200);
    const me = await get('/api/me', bearer({ userId: 'u-temp' }));
    expect(me.json()).toMatchObject({
      actor: { userId: 'u-temp', role: 'unit_handler', unitId: 'unit-b' },
      roleLabel: '责任单位经办人',
    });
    expect((await put({ name: '临时经办', role: 'unit_handler', unitId: 'unit-b', active: false })).statusCode).toBe(
      200,
    );
    const locked = await get('/api/me', bearer({ userId: 'u-temp' }));
    expect(locked.statusCode).toBe(401);
    expect(locked.json().message).toContain('已停用');
    // A claim in the token cannot raise anyone's role.
    const forged = signToken({ userId: p.leadA.userId }, TEST_SECRET).split('.');
    const claims = JSON.parse(Buffer.from(forged[1]!, 'base64url').toString());
    const resigned = signTokenWithClaims({ ...claims, role: 'admin', unitId: null });
    expect((await get('/api/me', { authorization: `Bearer ${resigned}` })).json().actor.role).toBe('unit_handler');
  });

  it('accepts tokens from single sign-on, verified against its JWKS, and refuses those it did not sign', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const other = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'sso-1', alg: 'RS256', use: 'sig' };
    let up = true;
    const server: Server = createServer((req, res) => {
      if (!up) return void res.writeHead(503).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    // Single sign-on only: no token secret of the app's own.
    const ssoConfig = (settings: ConfigEnv) =>
      testConfig({ TEMPORAL_TASK_QUEUE: tq, AUTH_SECRET: undefined, AUTH_JWKS_URL: jwksUrl, ...settings });
    const deps = { db: stack.db, temporal: stack.t.client };
    const app = holdToContract(
      await buildApp(
        await testAppOptions(ssoConfig({ AUTH_ISSUER: 'https://sso.example.gov.cn', AUTH_AUDIENCE: 'duban' }), deps),
      ),
    );
    const sso = (key: Parameters<SignJWT['sign']>[0], iss = 'https://sso.example.gov.cn', kid = 'sso-1') =>
      new SignJWT({ name: '张经办' })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setSubject(p.leadA.userId)
        .setIssuer(iss)
        .setAudience('duban')
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(key);
    try {
      const ok = await app.inject({
        method: 'GET',
        url: '/api/me',
        headers: { authorization: `Bearer ${await sso(privateKey)}` },
      });
      expect(ok.statusCode, ok.body).toBe(200);
      expect(ok.json().actor).toMatchObject({ userId: p.leadA.userId, role: 'unit_handler', unitId: 'unit-a' });
      const refused: Array<[string, string]> = [
        [await sso(other.privateKey), '令牌签名无效'],
        [await sso(privateKey, 'https://evil.example.com'), '令牌声明无效（iss）'],
        [await sso(other.privateKey, undefined, 'unknown-kid'), '找不到签发该令牌的密钥'],
        [signToken({ userId: p.leadA.userId }, TEST_SECRET), '令牌签名算法不受支持'],
      ];
      for (const [token, reason] of refused) {
        const res = await app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${token}` } });
        expect(res.statusCode, reason).toBe(401);
        expect(res.json().message).toContain(reason);
      }
      up = false;
      const fresh = holdToContract(await buildApp(await testAppOptions(ssoConfig({}), deps)));
      const down = await fresh.inject({
        method: 'GET',
        url: '/api/me',
        headers: { authorization: `Bearer ${await sso(privateKey)}` },
      });
      expect(down.statusCode).toBe(503);
      expect(down.json()).toMatchObject({ dependency: 'identity' });
      await fresh.close();
    } finally {
      await app.close();
      server.close();
    }
  });
});

function signTokenWithClaims(claims: Record<string, unknown>): string {
  const h = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const b = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${h}.${b}.${createHmac('sha256', TEST_SECRET).update(`${h}.${b}`).digest('base64url')}`;
}

describe('authorisation inside the workflow', () => {
  async function refusedByWorkflow(itemId: string, actor: Actor, action: string, payload: unknown) {
    const before = await stack.db.itemEvent.count({ where: { itemId } });
    const err = await actOnItem(stack.t.client, itemId, parseCommand({ action, payload, actor })).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((err as WorkflowUpdateFailedError).cause).toMatchObject({
      type: 'ActionRefused',
      details: [{ code: 'forbidden' }],
    });
    expect(await stack.db.itemEvent.count({ where: { itemId } })).toBe(before);
  }

  it('refuses an action by someone not entitled to it, even when the API is bypassed', async () => {
    const id = await open('unit-a');
    await refusedByWorkflow(id, p.outsider, 'sign', {});
    await refusedByWorkflow(id, p.admin, 'suspend', { reason: '管理员不能办理事项' });
    await refusedByWorkflow(id, p.auditor, 'withdraw', { reason: '审计员不能办理事项' });
    await refusedByWorkflow(id, p.coC, 'sign', {});
    // Outside the supervisor's jurisdiction (the district), whatever the role says.
    const districtSup: Actor = { ...p.districtSupervisor, jurisdiction: ['district', 'district-a', 'district-t'] };
    await refusedByWorkflow(id, districtSup, 'withdraw', { reason: '越权撤销' });
    // Inside it, but reassigning to a unit outside it.
    const inDistrict = await open('district-a');
    await actOnItem(
      stack.t.client,
      inDistrict,
      parseCommand({ action: 'decline', payload: { reason: '非本单位职责' }, actor: p.districtHandler }),
    );
    await refusedByWorkflow(inDistrict, districtSup, 'reassign', { leadUnitId: 'unit-b' });
    const ok = await actOnItem(
      stack.t.client,
      inDistrict,
      parseCommand({ action: 'reassign', payload: { leadUnitId: 'district-t' }, actor: districtSup }),
    );
    expect(ok.leadUnitId).toBe('district-t');
  });

  it('limits a district supervisor to the district through the API as well', async () => {
    const city = await open('unit-a', '市级事项');
    const district = await open('district-a', '区级事项');
    const list = (await get('/api/items?pageSize=100', bearer(p.districtSupervisor))).json();
    expect(list.items.map((i: { id: string }) => i.id)).toContain(district);
    expect(list.items.every((i: { leadUnitId: string }) => i.leadUnitId.startsWith('district'))).toBe(true);
    expect((await get(`/api/items/${city}`, bearer(p.districtSupervisor))).statusCode).toBe(404);
    const create = await stack.app.inject({
      method: 'POST',
      url: '/api/items',
      headers: bearer(p.districtSupervisor),
      payload: { title: '越界立项', leadUnitId: 'unit-b', dueDate: DUE },
    });
    expect(create.statusCode).toBe(403);
    expect(create.json().message).toContain('管辖范围');
  });
});

describe('separation of duties', () => {
  it('lets the system administrator manage users but not read items or the audit record; the auditor reads the record and changes nothing', async () => {
    expect((await get('/api/audit', bearer(p.admin))).statusCode).toBe(403);
    expect((await get('/api/items', bearer(p.admin))).statusCode).toBe(403);
    const grant = await stack.app.inject({
      method: 'PUT',
      url: '/api/users/u-admin2',
      headers: bearer(p.admin),
      payload: { name: '第二审计员', role: 'auditor' },
    });
    expect(grant.statusCode).toBe(403);
    const demote = await stack.app.inject({
      method: 'PUT',
      url: `/api/users/${p.auditor.userId}`,
      headers: bearer(p.admin),
      payload: { name: '审计员', role: 'unit_handler', unitId: 'unit-a' },
    });
    expect(demote.statusCode).toBe(403);
    const self = await stack.app.inject({
      method: 'PUT',
      url: `/api/users/${p.admin.userId}`,
      headers: bearer(p.admin),
      payload: { name: '管理员', role: 'supervisor' },
    });
    expect(self.statusCode).toBe(403);

    for (const [method, url, payload] of [
      ['PUT', '/api/calendar/2031', { holidays: [], workdays: [], source: 'x' }],
      ['PUT', '/api/users/u-x2', { name: '某人', role: 'unit_handler', unitId: 'unit-a' }],
      ['POST', '/api/items', { title: 'x', leadUnitId: 'unit-a', dueDate: DUE }],
    ] as const) {
      expect((await stack.app.inject({ method, url, headers: bearer(p.auditor), payload })).statusCode).toBe(403);
    }
    const audit = (await get('/api/audit?pageSize=200', bearer(p.auditor))).json();
    const adminTries = audit.entries.filter((e: { userId: string }) => e.userId === p.admin.userId);
    expect(
      adminTries.some(
        (e: { action: string; outcome: string; status: number }) =>
          e.action === 'PUT /api/users/:id' && e.outcome === 'denied' && e.status === 403,
      ),
    ).toBe(true);
    expect(audit.entries.every((e: { at: string; ip: string; requestId: string }) => e.at && e.ip && e.requestId)).toBe(
      true,
    );
  });
});

describe('the audit of access', () => {
  it('records every state change with user, action, target, outcome, address and request id', async () => {
    const id = await open();
    await stack.app.inject({
      method: 'POST',
      url: `/api/items/${id}/sign`,
      headers: { ...bearer(p.leadA), 'x-request-id': 'sign-req-1' },
      payload: {},
    });
    await stack.app.inject({
      method: 'POST',
      url: `/api/items/${id}/verifyPass`,
      headers: bearer(p.leadA),
      payload: {},
    });
    const rows = await stack.db.auditLog.findMany({ where: { target: id }, orderBy: { id: 'asc' } });
    expect(rows.map((r) => [r.userId, r.action, r.outcome, r.status])).toEqual([
      [p.leadA.userId, 'POST /api/items/:id/sign', 'ok', 200],
      [p.leadA.userId, 'POST /api/items/:id/verifyPass', 'denied', 403],
    ]);
    expect(rows[0]).toMatchObject({ role: 'unit_handler', ip: '127.0.0.1', requestId: 'sign-req-1' });
  });

  it('keeps at least 180 days: older rows may be purged, younger ones cannot be deleted by anyone', async () => {
    const day = 86_400_000;
    await stack.db.auditLog.createMany({
      data: [
        {
          at: new Date(Date.now() - 400 * day),
          action: 'GET /old',
          outcome: 'ok',
          status: 200,
          target: 'retention-400',
        },
        {
          at: new Date(Date.now() - 200 * day),
          action: 'GET /old',
          outcome: 'ok',
          status: 200,
          target: 'retention-200',
        },
        {
          at: new Date(Date.now() - 100 * day),
          action: 'GET /old',
          outcome: 'ok',
          status: 200,
          target: 'retention-100',
        },
      ],
    });
    expect(await purgeAudit(stack.db, 365)).toBe(1);
    expect(await purgeAudit(stack.db, 10)).toBe(1); // never below 180 days
    expect(
      (await stack.db.auditLog.findMany({ where: { target: { startsWith: 'retention-' } } })).map((r) => r.target),
    ).toEqual(['retention-100']);
    await expect(stack.db.auditLog.deleteMany({ where: { target: 'retention-100' } })).rejects.toThrow(/append-only/);
    expect(() => loadConfig({ AUDIT_RETENTION_DAYS: '90' })).toThrow(/at least 180/);
  });
});

describe('hardening', () => {
  it('sends security headers, no CORS, and no internals', async () => {
    const res = await get('/api/items', { ...bearer(p.supervisor), origin: 'https://evil.example.com' });
    expect(res.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await stack.app.inject({
      method: 'OPTIONS',
      url: '/api/items',
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(preflight.statusCode).toBeGreaterThanOrEqual(400);
  });

  it('caps bodies, pages and unknown fields before anything happens', async () => {
    const huge = await stack.app.inject({
      method: 'POST',
      url: '/api/items',
      headers: { ...bearer(p.supervisor), 'content-type': 'application/json' },
      payload: JSON.stringify({
        title: 'x',
        leadUnitId: 'unit-a',
        dueDate: DUE,
        description: 'x'.repeat(1_100_000),
      }),
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().message).toBe('请求体过大');
    const page = await get('/api/items?pageSize=1000', bearer(p.supervisor));
    expect(page.statusCode).toBe(400);
    expect(page.json().fields[0].field).toBe('querystring.pageSize');
    const id = await open();
    const mass = await stack.app.inject({
      method: 'POST',
      url: `/api/items/${id}/sign`,
      headers: bearer(p.leadA),
      payload: { note: '', status: 'closed', leadUnitId: 'unit-x', verifier: 'u-a' },
    });
    expect(mass.statusCode).toBe(400);
    expect(mass.body).toMatch(/status|leadUnitId|verifier/);
    expect((await stack.db.item.findUnique({ where: { id } }))?.status).toBe('assigned');
  });

  it('limits requests per token, tighter for those that send mail', async () => {
    const app = await testApp(stack.db, stack.t.client, tq, DEFAULT_TEMPORAL_TIMEOUT_MS, {
      limits: { perMinute: 8, mailPerMinute: 2 },
    });
    try {
      const create = (actor: Actor) =>
        app.inject({
          method: 'POST',
          url: '/api/items',
          headers: bearer(actor),
          payload: { title: '限流测试', leadUnitId: 'unit-a', dueDate: DUE },
        });
      const before = await stack.db.item.count();
      expect((await create(p.supervisor)).statusCode).toBe(201);
      expect((await create(p.supervisor)).statusCode).toBe(201);
      const third = await create(p.supervisor);
      expect(third.statusCode).toBe(429);
      expect(third.json().message).toMatch(/请求过于频繁，请 \d+ 秒后再试/);
      expect(third.headers['retry-after']).toBeDefined();
      expect(await stack.db.item.count()).toBe(before + 2);
      // Reading is counted apart, and another person has a budget of their own.
      expect((await app.inject({ method: 'GET', url: '/api/items', headers: bearer(p.supervisor) })).statusCode).toBe(
        200,
      );
      expect((await create(p.districtSupervisor)).statusCode).toBe(403);
      for (let i = 0; i < 8; i++)
        expect((await app.inject({ method: 'GET', url: '/api/me', headers: bearer(p.leadA) })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/api/me', headers: bearer(p.leadA) })).statusCode).toBe(429);
    } finally {
      await app.close();
    }
  });
});

describe('nothing readable where it should not be', () => {
  it('encrypts workflow payloads: the item’s contents are not in Temporal in clear text', async () => {
    const title = '某小区消防通道被长期占用（机密测试标题）';
    const id = await open('unit-a', title);
    await stack.app.inject({
      method: 'POST',
      url: `/api/items/${id}/sign`,
      headers: bearer(p.leadA),
      payload: { note: '已签收，立即整改' },
    });
    // A client without the key sees what Temporal stores and shows in its web UI.
    const plain = new Client({ connection: stack.t.connection });
    const history = await plain.workflow.getHandle(itemWorkflowId(id)).fetchHistory();
    // Bytes come back base64-encoded in the JSON form of the history.
    const bytes = (v: unknown) =>
      typeof v === 'string' ? Buffer.from(v, 'base64') : Buffer.from((v as Uint8Array | undefined) ?? []);
    const payloads: Array<{ metadata?: Record<string, unknown>; data?: unknown }> = [];
    JSON.stringify(history, (_k, v) => {
      if (v && typeof v === 'object' && 'metadata' in v && 'data' in v) payloads.push(v);
      return v;
    });
    const encoding = (pl: { metadata?: Record<string, unknown> | null }) => bytes(pl.metadata?.encoding).toString();
    // What the workflow was started with and every update's arguments are sealed. Left readable:
    // search attributes (status, unit id, due date, light: what lists are built from) and the
    // SDK's own bookkeeping in markers (patch ids, activity ids).
    const events = history.events ?? [];
    const started = events.find(
      (e) => e.workflowExecutionStartedEventAttributes,
    )?.workflowExecutionStartedEventAttributes;
    expect(started?.input?.payloads?.map(encoding)).toEqual(['binary/encrypted']);
    const updates = events.flatMap(
      (e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.args?.payloads ?? [],
    );
    expect(updates.length).toBeGreaterThan(0);
    expect(updates.map(encoding).every((x) => x === 'binary/encrypted')).toBe(true);
    expect(payloads.filter((pl) => encoding(pl) === 'binary/encrypted').length).toBeGreaterThan(4);
    const everything = Buffer.concat([Buffer.from(JSON.stringify(history)), ...payloads.map((pl) => bytes(pl.data))]);
    for (const secret of [title, '已签收，立即整改', '张经办'])
      expect(everything.includes(Buffer.from(secret))).toBe(false);
    // With the key, the item reads as it should.
    const detail = (await get(`/api/items/${id}`, bearer(p.supervisor))).json();
    expect(detail.item.title).toBe(title);
  });

  it('refuses to start in production with Temporal or the database open without authentication', () => {
    const base = loadConfig({
      DUBAN_ENV: 'production',
      AUTH_SECRET: 'x'.repeat(40),
      PAYLOAD_KEY: Buffer.alloc(32, 1).toString('base64'),
      DATABASE_URL: 'postgresql://duban:s3cret@db.internal:5432/duban?sslmode=verify-full',
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_API_KEY: 'key',
      PUBLIC_URL: 'https://duban.example.gov.cn',
    });
    expect(productionProblems(base, 'api')).toEqual([]);
    expect(productionProblems({ ...base, TEMPORAL_API_KEY: undefined }, 'worker').join()).toMatch(
      /TEMPORAL_ADDRESS .* neither TLS/,
    );
    expect(
      productionProblems(
        { ...base, DATABASE_URL: 'postgresql://duban@db.internal/duban?sslmode=require' },
        'api',
      ).join(),
    ).toMatch(/no password/);
    expect(
      productionProblems({ ...base, DATABASE_URL: 'postgresql://duban:pw@db.internal/duban' }, 'api').join(),
    ).toMatch(/without sslmode/);
    expect(productionProblems({ ...base, PAYLOAD_KEY: undefined }, 'worker').join()).toMatch(/PAYLOAD_KEY/);
    expect(productionProblems({ ...base, AUTH_SECRET: undefined }, 'api').join()).toMatch(
      /AUTH_SECRET or AUTH_JWKS_URL/,
    );
    // Loopback needs no TLS.
    expect(
      productionProblems(
        {
          ...base,
          TEMPORAL_API_KEY: undefined,
          TEMPORAL_ADDRESS: '127.0.0.1:7233',
          DATABASE_URL: 'postgresql://duban:pw@127.0.0.1/duban',
        },
        'worker',
      ),
    ).toEqual([]);

    // The real entry points stop before they connect to anything.
    for (const entry of ['api/server.ts', 'worker/main.ts']) {
      const run = spawnSync(
        process.execPath,
        [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(ROOT, entry)],
        {
          env: {
            PATH: process.env.PATH,
            DUBAN_ENV: 'production',
            DATABASE_URL: 'postgresql://duban@10.0.0.5/duban',
            TEMPORAL_ADDRESS: '10.0.0.6:7233',
            AUTH_SECRET: 'x'.repeat(40),
          },
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
      expect(run.status, `${entry}: ${run.stderr}`).toBe(78);
      expect(run.stderr).toContain('refusing to start');
      expect(run.stderr).toContain('TEMPORAL_ADDRESS 10.0.0.6:7233');
    }
  });
});
