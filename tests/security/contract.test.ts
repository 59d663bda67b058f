/**
 * The OpenAPI document is the contract: every operation declares its real success status with a
 * schema and every error status it can answer with the one error schema, public operations say
 * they need no token, and the checker that holds every test's responses to the document
 * (tests/support/contract.ts) refuses an undeclared field or status.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TEMPORAL_TIMEOUT_MS } from '../../lib/config';
import { DOCS_PATH } from '../../api/app';
import * as p from '../support/actors';
import { bearer, startApiStack, TEST_SECRET, testApp, type ApiStack } from '../support/api';
import { DUE } from '../support/dates';
import { contractChecker, type OpenApiDoc } from '../support/contract';
import { uniqueTaskQueue } from '../support/stack';

let stack: ApiStack;
let doc: OpenApiDoc & {
  paths: Record<
    string,
    Record<
      string,
      {
        security?: unknown[];
        responses: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
      }
    >
  >;
};
beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('contract'));
  const res = await stack.app.inject({ method: 'GET', url: '/api/openapi.json' });
  expect(res.statusCode).toBe(200);
  doc = res.json();
}, 60_000);
afterAll(async () => stack?.close());

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, method, path, op })),
  );

describe('the served OpenAPI document', () => {
  it('declares for every operation a success status with a schema, and its error statuses with the one error schema', () => {
    const problems: string[] = [];
    for (const { key, op } of operations()) {
      const statuses = Object.keys(op.responses);
      const success = statuses.filter((s) => /^2\d\d$/.test(s));
      if (success.length === 0) problems.push(`${key}: no success status`);
      for (const s of success) if (!op.responses[s]?.content) problems.push(`${key} ${s}: no body schema`);
      if (statuses.includes('default')) problems.push(`${key}: a default response`);
      for (const s of statuses.filter((x) => /^[45]\d\d$/.test(x))) {
        const schema = op.responses[s]?.content?.['application/json']?.schema as
          { properties?: Record<string, unknown> } | undefined;
        // The health check's 503 is its own report of what is down.
        if (key === 'GET /api/health' && s === '503') continue;
        if (!schema?.properties?.error || !schema.properties.message)
          problems.push(`${key} ${s}: not the error schema`);
      }
      if (!op.security || op.security.length === 0 ? !statuses.includes('429') : !statuses.includes('401'))
        problems.push(`${key}: missing 401/429`);
    }
    expect(problems).toEqual([]);
    expect(operations().length).toBeGreaterThan(50);
  });

  it('marks exactly the public operations with security: [] and lists no demo routes in a production process', async () => {
    const open = operations()
      .filter(({ op }) => Array.isArray(op.security) && op.security.length === 0)
      .map((o) => o.key);
    expect(open.sort()).toEqual([
      'GET /api/ack/{token}',
      'GET /api/health',
      'GET /api/health/live',
      'GET /api/health/ready',
      'POST /api/ack/{token}',
    ]);
    expect(Object.keys(doc.paths).filter((path) => path.startsWith('/api/demo'))).toEqual([]);
    // The embedded default (demo sign-in) does list them, as public operations.
    const dev = await testApp(stack.db, stack.t.client, 'unused', DEFAULT_TEMPORAL_TIMEOUT_MS, {
      demoSignIn: { users: [p.supervisor], secret: TEST_SECRET },
    });
    try {
      const devDoc = (await dev.inject({ method: 'GET', url: '/api/openapi.json' })).json() as typeof doc;
      expect(devDoc.paths['/api/demo/sign-in']?.post?.security).toEqual([]);
    } finally {
      await dev.close();
    }
  });

  it('serves an interactive docs page from the document, without a token', async () => {
    const page = await stack.app.inject({ method: 'GET', url: `${DOCS_PATH}/` });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('swagger-ui');
    const json = await stack.app.inject({ method: 'GET', url: `${DOCS_PATH}/json` });
    expect(json.statusCode).toBe(200);
    expect(Object.keys(json.json().paths)).toEqual(Object.keys(doc.paths));
  });
});

describe('the contract checker', () => {
  it('passes a real response, and fails it with one undeclared field or an undeclared status', async () => {
    const check = contractChecker(doc);
    const res = await stack.app.inject({ method: 'GET', url: '/api/me', headers: bearer(p.supervisor) });
    expect(res.statusCode).toBe(200);
    const type = String(res.headers['content-type']);
    expect(check('GET', '/api/me', 200, type, res.body)).toEqual([]);

    const extra = JSON.stringify({ ...res.json(), internal: 'x' });
    expect(check('GET', '/api/me', 200, type, extra)).toEqual([expect.stringContaining('(internal)')]);
    const nested = JSON.stringify({ ...res.json(), actor: { ...res.json().actor, jurisdiction: ['a'] } });
    expect(check('GET', '/api/me', 200, type, nested)).toEqual([expect.stringContaining('(jurisdiction)')]);
    expect(check('GET', '/api/me', 418, type, res.body)).toEqual([expect.stringContaining('status not declared')]);
    expect(
      check(
        'GET',
        '/api/me',
        401,
        type,
        JSON.stringify({ error: 'unauthorized', message: '身份验证失败', statusCode: 401 }),
      ),
    ).toEqual([expect.stringContaining('(statusCode)')]);
  });

  it('sends nothing the schema does not name: the internal item stays inside', async () => {
    // Opened by a district supervisor, whose actor inside the workflow carries his jurisdiction.
    const created = await stack.app.inject({
      method: 'POST',
      url: '/api/items',
      headers: bearer(p.districtSupervisor),
      payload: { title: '契约测试', leadUnitId: 'district-a', dueDate: DUE },
    });
    expect(created.statusCode, created.body).toBe(201);
    const item = created.json().item;
    expect(item.createdBy).toEqual({
      userId: p.districtSupervisor.userId,
      name: p.districtSupervisor.name,
      role: 'supervisor',
      unitId: p.districtSupervisor.unitId,
    });
    expect(item.allowedActions).toEqual(expect.arrayContaining(['withdraw']));
  });
});
