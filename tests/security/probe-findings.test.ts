/**
 * What an outside probe of the running product found after the first round of hardening, each
 * kept as a test: input no database can store, dates that sent a workflow into the far future,
 * co-units outside a district's jurisdiction, requests Node refuses before they become requests.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TEMPORAL_TIMEOUT_MS } from '../../lib/config';
import * as p from '../support/actors';
import { DOCS_PATH } from '../../api/app';
import { bearer, dbFingerprint, startApiStack, testApp, type ApiStack } from '../support/api';
import { DUE } from '../support/dates';
import { jpeg, multipart } from '../support/files';
import { uniqueTaskQueue } from '../support/stack';

let stack: ApiStack;
beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('probe'));
}, 60_000);
afterAll(async () => stack?.close());

const post = (url: string, actor: typeof p.supervisor, payload: unknown, id?: string) =>
  stack.app.inject({
    method: 'POST',
    url,
    headers: { ...bearer(actor), 'content-type': 'application/json', ...(id ? { 'x-request-id': id } : {}) },
    payload: JSON.stringify(payload),
  });

describe('text no database can store', () => {
  it('a NUL or a lone surrogate in a body is 400 naming the field, and opens nothing', async () => {
    const before = await dbFingerprint(stack.db);
    for (const [title, field] of [
      ['标题\u0000', 'body.title'],
      ['标题\ud800', 'body.title'],
    ] as const) {
      const res = await post('/api/items', p.supervisor, { title, leadUnitId: 'unit-a', dueDate: DUE });
      expect(res.statusCode).toBe(400);
      expect(res.json().fields).toEqual([{ field, reason: expect.stringContaining('空字符') }]);
    }
    const lead = await post('/api/items', p.supervisor, {
      title: '正常',
      leadUnitId: 'unit-a\u0000',
      dueDate: DUE,
    });
    expect(lead.statusCode).toBe(400);
    expect(lead.json().fields[0].field).toBe('body.leadUnitId');
    expect(await dbFingerprint(stack.db)).toBe(before);
  });

  it('a NUL in a path or query is 400 (never 500), and the refusal is audited', async () => {
    const cases = ['/api/items/DEMO%00', '/api/audit?action=%00', '/api/units/X%00/lights', '/api/items?q=%00'];
    for (const [i, url] of cases.entries()) {
      const id = `nul-${process.pid}-${i}`;
      const actor = url.startsWith('/api/audit') ? p.auditor : p.supervisor;
      const res = await stack.app.inject({ method: 'GET', url, headers: { ...bearer(actor), 'x-request-id': id } });
      expect(res.statusCode, url).toBe(400);
      expect(await stack.db.auditLog.count({ where: { requestId: id } }), url).toBe(1);
    }
    const anonymous = await stack.app.inject({
      method: 'GET',
      url: '/api/items/x%00',
      headers: { 'x-request-id': `nul-anon-${process.pid}` },
    });
    expect(anonymous.statusCode).toBe(401);
    const [row] = await stack.db.auditLog.findMany({ where: { requestId: `nul-anon-${process.pid}` } });
    expect(row?.target).toBe('x\ufffd');
  });
});

describe('dates', () => {
  it('a due date outside 2000–2099 is 400 in words, before any workflow is started', async () => {
    const before = await dbFingerprint(stack.db);
    for (const dueDate of ['9999-12-31', '2100-01-01', '1999-12-31']) {
      const res = await post('/api/items', p.supervisor, { title: '远期事项', leadUnitId: 'unit-a', dueDate });
      expect(res.statusCode, dueDate).toBe(400);
      expect(res.json().fields).toEqual([{ field: 'body.dueDate', reason: '日期应在 2000 年至 2099 年之间' }]);
    }
    expect(await dbFingerprint(stack.db)).toBe(before);
  });

  it('validation messages are in Chinese', async () => {
    const res = await post('/api/items', p.supervisor, {
      title: '超长'.repeat(200),
      leadUnitId: 'unit-a',
      dueDate: DUE,
      extra: 1,
    });
    expect(res.statusCode).toBe(400);
    for (const f of res.json().fields as Array<{ reason: string }>) expect(f.reason).toMatch(/[\u4e00-\u9fff]/);
  });
});

describe('a district supervisor assigns work only inside the district', () => {
  it('refuses co-units outside it when opening an item, reassigning, or importing a list', async () => {
    const open = await post('/api/items', p.districtSupervisor, {
      title: '区内事项',
      leadUnitId: 'district-a',
      coUnitIds: ['unit-b'],
      dueDate: DUE,
    });
    expect(open.statusCode).toBe(403);
    expect(open.json()).toMatchObject({
      message: '配合单位不在您的管辖范围内',
      fields: [{ field: 'body.coUnitIds.0' }],
    });

    const ok = await post('/api/items', p.districtSupervisor, {
      title: '区内事项',
      leadUnitId: 'district-a',
      coUnitIds: ['district-t'],
      dueDate: DUE,
    });
    expect(ok.statusCode, ok.body).toBe(201);
    const id = ok.json().item.id as string;
    const declined = await post(`/api/items/${id}/decline`, p.districtHandler, { reason: '不属于本单位职责' });
    expect(declined.statusCode, declined.body).toBe(200);
    const reassign = await post(`/api/items/${id}/reassign`, p.districtSupervisor, {
      leadUnitId: 'district-t',
      coUnitIds: ['unit-x'],
    });
    expect(reassign.statusCode).toBe(403);
    expect(reassign.json().fields).toEqual([{ field: 'body.coUnitIds.0', reason: '该单位不在您的管辖范围内' }]);

    const list = await post('/api/problem-lists', p.districtSupervisor, {
      title: '区清单',
      items: [{ title: '问题', leadUnitId: 'district-a', coUnitIds: ['unit-a'], dueDate: DUE }],
    });
    expect(list.statusCode).toBe(403);
    expect(list.json().fields).toEqual([
      { field: 'items[0].coUnitIds[0]', reason: '第 1 项：配合单位不在您的管辖范围内' },
    ]);
  });
});

describe('what Node refuses before it is a request', () => {
  it('answers in the product’s shape, in Chinese, and audits the address', async () => {
    const app = await testApp(stack.db, stack.t.client, 'unused');
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const port = (app.server.address() as AddressInfo).port;
      const before = await stack.db.auditLog.count({ where: { action: 'CLIENT_ERROR' } });
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => socket.write('GET \\api\\me HTTP/1.1\r\nHost: x\r\n\r\n'));
        let data = '';
        socket.on('data', (c) => (data += c.toString('utf8')));
        socket.on('close', () => resolve(data));
        socket.on('error', reject);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
        error: 'bad_request',
        message: '请求格式错误，无法解析',
      });
      await expect.poll(() => stack.db.auditLog.count({ where: { action: 'CLIENT_ERROR' } })).toBe(before + 1);
    } finally {
      await app.close();
    }
  });

  it('a failed-authentication 429 says when to come back', async () => {
    const app = await testApp(stack.db, stack.t.client, 'unused', DEFAULT_TEMPORAL_TIMEOUT_MS, {
      limits: { authFailures: 1 },
    });
    try {
      expect((await app.inject({ method: 'GET', url: '/api/me' })).statusCode).toBe(401);
      const blocked = await app.inject({ method: 'GET', url: '/api/me' });
      expect(blocked.statusCode).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await app.close();
    }
  });
});

describe('the second probe', () => {
  it('a calendar year with a day that does not exist is refused, and the calendar stays readable', async () => {
    const put = (year: string, date: string) =>
      stack.app.inject({
        method: 'PUT',
        url: `/api/calendar/${year}`,
        headers: bearer(p.admin),
        payload: { holidays: [{ date }], workdays: [], source: '测试' },
      });
    const bad = await put('2030', '2030-02-30');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().fields).toEqual([{ field: 'body.holidays.0.date', reason: '日期不存在' }]);
    for (const year of ['2e3', '0x7ee', '2030.0', '2100'])
      expect((await put(year, '2030-10-01')).statusCode, year).toBe(400);
    expect((await stack.app.inject({ method: 'GET', url: '/api/calendar', headers: bearer(p.leadA) })).statusCode).toBe(
      200,
    );
  });

  it('a body nested deeper than any the API takes is 400, not a stack overflow', async () => {
    const deep = `{"userId":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const res = await stack.app.inject({
      method: 'POST',
      url: '/api/problem-lists',
      headers: { ...bearer(p.supervisor), 'content-type': 'application/json' },
      payload: deep,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().fields[0].reason).toContain('嵌套层数');
  });

  it('a malformed multipart upload is 400, not 500', async () => {
    const created = await post('/api/items', p.supervisor, {
      title: '上传格式',
      leadUnitId: 'unit-a',
      dueDate: DUE,
    });
    const id = created.json().item.id as string;
    expect((await post(`/api/items/${id}/sign`, p.leadA, {})).statusCode).toBe(200);
    const { payload } = multipart([{ name: '照片.jpg', content: jpeg('cut-short') }], 'xyz');
    for (const [type, body] of [
      ['multipart/form-data', payload],
      ['multipart/form-data; boundary=', payload],
      ['multipart/form-data; boundary=xyz', payload.subarray(0, payload.length - 20)],
    ] as const) {
      const res = await stack.app.inject({
        method: 'POST',
        url: `/api/items/${id}/evidence`,
        headers: { ...bearer(p.leadA), 'content-type': type },
        payload: body,
      });
      expect(res.statusCode, type).toBe(400);
    }
    expect(await stack.db.evidence.count({ where: { subjectKind: 'item', subjectId: id } })).toBe(0);
  });

  it('the same plan imported ten times at once: one 201, the rest 409, never 500', async () => {
    const body = {
      id: 'race-plan',
      year: 2026,
      title: '并发计划',
      tasks: [{ no: 1, title: '任务一', leadUnitId: 'unit-a' }],
      indicators: [],
    };
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        stack.app.inject({ method: 'POST', url: '/api/plans', headers: bearer(p.supervisor), payload: body }),
      ),
    );
    const statuses = answers.map((a) => a.statusCode).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s !== 201 && s !== 409)).toEqual([]);
  });

  it('a CSV problem list over 1,000 rows is refused at once', async () => {
    const csv = [
      '问题描述,牵头单位,完成时限',
      ...Array.from({ length: 1001 }, (_, i) => `问题${i},unit-a,${DUE}`),
    ].join('\n');
    const res = await stack.app.inject({
      method: 'POST',
      url: `/api/problem-lists/csv?title=x`,
      headers: { ...bearer(p.supervisor), 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().fields[0].reason).toContain('最多 1000 个问题');
  });

  it('a GET whose parameter is over the length limit is 414, and a 404 does not echo a long path', async () => {
    const long = await stack.app.inject({
      method: 'GET',
      url: `/api/items/${'A'.repeat(101)}`,
      headers: bearer(p.supervisor),
    });
    expect(long.statusCode).toBe(414);
    const unknown = await stack.app.inject({
      method: 'GET',
      url: `/api/${'x'.repeat(90)}/${'y'.repeat(90)}/${'z'.repeat(90)}`,
      headers: bearer(p.supervisor),
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().message.length).toBeLessThan(240);
  });

  it('a route that takes no body refuses one with fields', async () => {
    const res = await stack.app.inject({
      method: 'POST',
      url: '/api/notifications/1/read',
      headers: bearer(p.leadA),
      payload: { status: 'unread' },
    });
    expect(res.statusCode).toBe(400);
  });

  it('the docs page may use its inline styles and is not forced onto https', async () => {
    const page = await stack.app.inject({ method: 'GET', url: `${DOCS_PATH}/` });
    const csp = String(page.headers['content-security-policy']);
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(csp).toMatch(/style-src [^;]*'unsafe-inline'/);
    expect(csp).toMatch(/script-src 'self'/);
  });
});
