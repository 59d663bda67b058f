/**
 * The 确认收到 link in a notice mail, against the real stack: opening it (GET, HEAD: what a mail
 * security scanner does when it follows every link) only shows the notice with a 确认已阅 button
 * and changes nothing; only the button's form POST marks the notice read, once; a digest's
 * confirmation marks its entries too; an unknown token is a page in Chinese. The mail's text and
 * HTML still link to the page. Once in a real headless Chromium with scripts off: the button works.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotificationActivities } from '../../activities/notifications';
import { addDays, shanghaiDate } from '../../domain/calendar';
import { leadA, supervisor } from '../support/actors';
import { bearer, startApiStack, type ApiStack } from '../support/api';
import { launchBrowser, screenshot } from '../support/browser';
import { uniqueTaskQueue } from '../support/stack';

let stack: ApiStack;
const PUBLIC_URL = 'https://duban.example.gov.cn';
const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
const FORM = { ...HTML, 'content-type': 'application/x-www-form-urlencoded' };

beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('ack-link'));
  await stack.db.contact.create({
    data: {
      id: 'ack-a-h',
      unitId: 'unit-a',
      role: 'handler',
      name: '张经办',
      email: 'zhang@mz.example.gov.cn',
      userId: leadA.userId,
    },
  });
}, 120_000);
afterAll(async () => stack?.close());

/** No mailer: the outbox row holds the mail's text and HTML exactly as they are sent. */
const outbox = () =>
  createNotificationActivities(stack.db, undefined, { from: 'duban@example.gov.cn', publicUrl: PUBLIC_URL });

/** Opens an item through the API and expands its assignment notice; answers the lead handler's notice row. */
async function noticeFor(title: string) {
  const created = await stack.app.inject({
    method: 'POST',
    url: '/api/items',
    headers: bearer(supervisor),
    payload: { title, leadUnitId: 'unit-a', dueDate: addDays(shanghaiDate(Date.now()), 30) },
  });
  expect(created.statusCode, created.body).toBe(201);
  const itemId = created.json().item.id as string;
  for (let i = 0; i < 100; i++) {
    await outbox().expandRequests();
    const row = await stack.db.outboxMessage.findFirst({
      where: { subjectKind: 'item', subjectId: itemId, recipientEmail: 'zhang@mz.example.gov.cn', kind: 'assigned' },
    });
    if (row) return row;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the assignment notice was never written');
}

const readAt = async (id: bigint) => (await stack.db.outboxMessage.findUniqueOrThrow({ where: { id } })).readAt;

describe('the acknowledgement link in a notice mail', () => {
  it('links the mail to the page, which shows the notice and a button, and opening it (GET twice, HEAD) changes nothing', async () => {
    const row = await noticeFor('确认链接：打开不等于已阅');
    const link = /确认收到：(\S+)/.exec(row.text)![1]!;
    expect(link).toBe(`${PUBLIC_URL}/api/ack/${row.ackToken}`);
    expect(row.html).toContain(`<a href="${link}">`);
    const path = new URL(link).pathname;

    for (let i = 0; i < 2; i++) {
      const res = await stack.app.inject({ method: 'GET', url: path, headers: HTML });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.body).toContain('<html lang="zh-CN">');
      expect(res.body).toContain('<h1>确认已阅</h1>');
      expect(res.body).toContain('【交办通知】确认链接：打开不等于已阅');
      expect(res.body).toContain('交办通知');
      // A plain form posting to the address it was opened at: no script needed, and none allowed.
      expect(res.body).toMatch(/<form method="post"><button type="submit">确认已阅<\/button><\/form>/);
      expect(res.body).not.toContain('<script');
      expect(res.headers['content-security-policy']).toContain("form-action 'self'");
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    }
    const head = await stack.app.inject({ method: 'HEAD', url: path });
    expect(head.statusCode).toBe(200);
    expect(await readAt(row.id)).toBeNull();
    // The ack-gated escalation rung still sees nobody has acknowledged it.
    expect(await outbox().isAcknowledged(row.requestKey)).toBe(false);
    const inbox = await stack.app.inject({
      method: 'GET',
      url: '/api/notifications?unread=true',
      headers: bearer(leadA),
    });
    expect(inbox.json().notifications.map((n: { id: string }) => n.id)).toContain(String(row.id));
  });

  it('marks the notice read only on the form POST; a second POST changes nothing', async () => {
    const row = await noticeFor('确认链接：按钮确认');
    const path = `/api/ack/${row.ackToken}`;
    const first = await stack.app.inject({ method: 'POST', url: path, headers: FORM, payload: '' });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.headers['content-type']).toContain('text/html');
    expect(first.body).toContain('<h1>已确认收到</h1>');
    expect(first.body).toContain('【交办通知】确认链接：按钮确认');
    expect(first.body).toContain('已记录您确认收到此通知');
    expect(first.body).not.toContain('<form');
    const at = await readAt(row.id);
    expect(at).not.toBeNull();
    expect(await outbox().isAcknowledged(row.requestKey)).toBe(true);

    const again = await stack.app.inject({ method: 'POST', url: path, headers: FORM, payload: 'confirm=1' });
    expect(again.statusCode).toBe(200);
    expect(again.body).toContain('此前已于');
    expect(await readAt(row.id)).toEqual(at);
    // Opened again afterwards: the page says when, and offers no button.
    const page = await stack.app.inject({ method: 'GET', url: path, headers: HTML });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>已确认收到</h1>');
    expect(page.body).not.toContain('<form');
    expect(await readAt(row.id)).toEqual(at);
    // A POST with no body at all (curl -X POST) confirms as well; it is the same notice, still unchanged.
    expect((await stack.app.inject({ method: 'POST', url: path })).statusCode).toBe(200);
    expect(await readAt(row.id)).toEqual(at);
  });

  it("confirms a digest and every notice folded into it, and escapes the notice's text on the page", async () => {
    const base = {
      requestKey: 'ack-digest',
      subjectKind: 'item',
      subjectId: 'ack-item',
      urgent: false,
      recipientName: '李局长',
      recipientEmail: 'li@mz.example.gov.cn',
      text: '',
      html: '',
    };
    await stack.db.outboxMessage.createMany({
      data: [
        {
          ...base,
          key: 'ack/digest',
          kind: 'digest',
          subject: '【每日督办汇总】<b>2026-11-24</b>（共 2 条）',
          status: 'sent',
          ackToken: 'd'.repeat(32),
        },
        {
          ...base,
          key: 'ack/e1',
          kind: 'assigned',
          subject: '【交办通知】甲',
          status: 'digested',
          digestKey: 'ack/digest',
        },
        {
          ...base,
          key: 'ack/e2',
          kind: 'assigned',
          subject: '【交办通知】乙',
          status: 'digested',
          digestKey: 'ack/digest',
        },
      ],
    });
    const unread = () => stack.db.outboxMessage.count({ where: { key: { startsWith: 'ack/' }, readAt: null } });
    const page = await stack.app.inject({ method: 'GET', url: `/api/ack/${'d'.repeat(32)}`, headers: HTML });
    expect(page.body).toContain('每日督办汇总');
    expect(page.body).toContain('&lt;b&gt;2026-11-24&lt;/b&gt;');
    expect(page.body).not.toContain('<b>2026');
    expect(await unread()).toBe(3);
    expect(
      (await stack.app.inject({ method: 'POST', url: `/api/ack/${'d'.repeat(32)}`, headers: FORM, payload: '' }))
        .statusCode,
    ).toBe(200);
    expect(await unread()).toBe(0);
  });

  it('answers an unknown token with a page in Chinese (JSON to a client that asks for JSON), changing nothing', async () => {
    const before = await stack.db.outboxMessage.count({ where: { readAt: { not: null } } });
    const unknown = `/api/ack/${'0'.repeat(32)}`;
    for (const method of ['GET', 'POST'] as const) {
      const res = await stack.app.inject({
        method,
        url: unknown,
        headers: method === 'POST' ? FORM : HTML,
        ...(method === 'POST' ? { payload: '' } : {}),
      });
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.body).toContain('<html lang="zh-CN">');
      expect(res.body).toContain('<h1>链接无效</h1>');
      expect(res.body).toContain('该确认链接无效或已过期');
    }
    expect((await stack.app.inject({ method: 'HEAD', url: unknown })).statusCode).toBe(404);
    const json = await stack.app.inject({ method: 'GET', url: unknown, headers: { accept: 'application/json' } });
    expect(json.statusCode).toBe(404);
    expect(json.json()).toEqual({ error: 'not_found', message: '链接无效或已过期' });
    expect(await stack.db.outboxMessage.count({ where: { readAt: { not: null } } })).toBe(before);
  });

  it('stays public: no token needed for either, and both are in the OpenAPI document as such', async () => {
    const doc = (await stack.app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as {
      paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
    };
    const ops = doc.paths['/api/ack/{token}']!;
    expect(ops.get?.security).toEqual([]);
    expect(ops.post?.security).toEqual([]);
    expect(Object.keys(ops.post!.responses)).toEqual(expect.arrayContaining(['200', '404']));
  });
});

describe('the acknowledgement page in Chromium, scripts off', () => {
  it('confirms by its button: the form posts to the page itself, allowed by its CSP, no script needed', async () => {
    const row = await noticeFor('确认链接：在浏览器中确认');
    await stack.app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(stack.app.server.address() as AddressInfo).port}`;
    const browser = await launchBrowser();
    try {
      const context = await browser.newContext({ javaScriptEnabled: false, locale: 'zh-CN' });
      const page = await context.newPage();
      const blocked: string[] = [];
      page.on('console', (m) => m.type() === 'error' && blocked.push(m.text()));
      await page.goto(`${base}/api/ack/${row.ackToken}`);
      expect(await page.textContent('h1')).toBe('确认已阅');
      expect(await page.textContent('main')).toContain('【交办通知】确认链接：在浏览器中确认');
      expect(await readAt(row.id)).toBeNull();
      await Promise.all([page.waitForURL(`${base}/api/ack/${row.ackToken}`), page.click('button[type="submit"]')]);
      await page.waitForSelector('text=已记录您确认收到此通知');
      expect(await page.textContent('h1')).toBe('已确认收到');
      expect(await readAt(row.id)).not.toBeNull();
      await screenshot(page, 'ack-confirmed');
      expect(blocked).toEqual([]);
      await context.close();
    } finally {
      await browser.close();
    }
  }, 120_000);
});
