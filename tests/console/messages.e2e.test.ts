/**
 * The console's message centre (消息) in a real headless Chromium against the running product: a
 * unit's handler, signed in on a phone-sized screen (390 × 844), sees the 消息 badge and the count
 * on 待办 appear without reloading the page once a supervisor assigns items to the unit (the
 * outbox expands the 交办通知 into in-app notices; the poll, shortened to one second through
 * `localStorage['duban.pollMs']`, brings the count); opens 消息 (newest first, unread marked in
 * words, kind, title, Shanghai time, the text's first line, a link to the item), follows one
 * message to its item (the count drops), marks the rest read with 全部标为已读 (the badge goes),
 * and filters 全部 / 未读. Nothing scrolls sideways at 390 px; every button and link on the page
 * is at least 40 px tall. Screenshots at 390 and 1440 px are saved under test-artifacts/console.
 */
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotificationActivities } from '../../activities/notifications';
import { signToken } from '../../lib/tokens';
import { leadA, supervisor } from '../support/actors';
import { bearer, startApiStack, TEST_SECRET, type ApiStack } from '../support/api';
import { launchBrowser, screenshot, watchErrors } from '../support/browser';
import { DUE } from '../support/dates';
import { uniqueTaskQueue } from '../support/stack';

let stack: ApiStack;
let browser: Browser;
let base = '';
const errors: string[] = [];
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('console-messages'));
  // The unit's handler in the address book, linked to the user: a notice to the unit's handler is also theirs in the app.
  await stack.db.contact.create({
    data: {
      id: `user:${leadA.userId}`,
      unitId: 'unit-a',
      role: 'handler',
      name: leadA.name,
      email: 'zhang@mz.example.gov.cn',
      userId: leadA.userId,
    },
  });
  await stack.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(stack.app.server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await stack?.close();
});

/** The outbox as the dispatcher runs it, without a mailer: requests become in-app notices. */
const outbox = () =>
  createNotificationActivities(stack.db, undefined, { from: 'duban@example.gov.cn', publicUrl: base });

/** A supervisor opens an item for unit-a through the API; answers its id once the handler's 交办通知 is in the app. */
async function assign(title: string): Promise<string> {
  const created = await stack.app.inject({
    method: 'POST',
    url: '/api/items',
    headers: bearer(supervisor),
    payload: { title, leadUnitId: 'unit-a', dueDate: DUE },
  });
  expect(created.statusCode, created.body).toBe(201);
  const itemId = created.json().item.id as string;
  for (let i = 0; i < 100; i++) {
    await outbox().expandRequests();
    const row = await stack.db.outboxMessage.findFirst({
      where: { subjectKind: 'item', subjectId: itemId, userId: leadA.userId, kind: 'assigned' },
    });
    if (row) return itemId;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the assignment notice was never written');
}

async function signedIn(userId: string, viewport: { width: number; height: number }, at: string): Promise<Page> {
  const context = await browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  contexts.push(context);
  // The poll every second instead of every 30 s, so the test does not wait.
  await context.addInitScript("localStorage.setItem('duban.pollMs', '1000')");
  const page = await context.newPage();
  const seen = watchErrors(page);
  page.on('close', () => errors.push(...seen));
  await page.goto(base + at);
  await page.fill('#token', signToken({ userId }, TEST_SECRET));
  await page.click('form.card button[type="submit"]');
  await page.waitForSelector('header.top');
  return page;
}

const NAV_MESSAGES = 'header.top nav a[href="/messages"]';
const badge = (page: Page) => page.locator(`${NAV_MESSAGES} .unread-badge`);

/**
 * Waits until the header shows `n` unread (0: none): the badge on 消息, read out as 「未读消息 n 条」,
 * in the DOM whether or not the nav is folded behind the phone's menu, and some count with those
 * words in sight (on a phone the menu button carries it while the nav is folded).
 */
async function showsUnread(page: Page, n: number, timeout = 15_000): Promise<void> {
  if (n === 0) {
    await page.waitForSelector('header.top [aria-label^="未读消息"]', { state: 'detached', timeout });
    return;
  }
  await page.waitForSelector(`${NAV_MESSAGES} .unread-badge[aria-label="未读消息 ${n} 条"]`, {
    state: 'attached',
    timeout,
  });
  await page.waitForSelector(`header.top [role="img"][aria-label="未读消息 ${n} 条"] >> visible=true`, { timeout });
}

/** Goes to a page from the navigation, unfolding the phone's menu first when it is folded. */
async function viaNav(page: Page, href: string): Promise<void> {
  const folded = page.locator('header.top button[aria-expanded="false"]');
  if ((await folded.count()) > 0 && (await folded.isVisible())) await folded.click();
  await page.click(`header.top nav a[href="${href}"]`);
}

/** Nothing wider than the screen: no sideways scrolling on a phone. */
const fitsWidth = async (page: Page) =>
  page.evaluate('document.documentElement.scrollWidth <= window.innerWidth') as Promise<boolean>;

/** Buttons and links of the message page (and the header's, where shown) under 40 px tall: none on a phone. */
const smallTargets = (page: Page) =>
  page.evaluate(`[...document.querySelectorAll('.messages-page button, .messages-page a, header.top button, ${NAV_MESSAGES}')]
    .filter((el) => el.getClientRects().length > 0 && el.getBoundingClientRect().height < 40)
    .map((el) => el.textContent + ' ' + Math.round(el.getBoundingClientRect().height))`) as Promise<string[]>;

const shanghaiTime = (at: Date) => {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('zh-CN', {
      timeZone: 'Asia/Shanghai',
      month: 'numeric',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(at)
      .map((x) => [x.type, x.value]),
  );
  return `${p.month}月${p.day}日 ${p.hour}:${p.minute}`;
};

describe('消息: the message centre', () => {
  it('shows the unread count without a reload, opens a message to its item, and marks all read (390 px)', async () => {
    const page = await signedIn(leadA.userId, { width: 390, height: 844 }, '/inbox');
    await page.waitForSelector('text=暂无待办事项');
    expect(await page.locator(NAV_MESSAGES).textContent()).toBe('消息');
    expect(await badge(page).count()).toBe(0);
    // Marks the document: a reload would lose it.
    await page.evaluate('window.__sameDocument = true');

    const first = await assign('消息中心：老旧小区加装电梯进度滞后');
    const second = await assign('消息中心：背街小巷路灯不亮');

    // The poll brings the count: on 消息 in the navigation and on 待办.
    await showsUnread(page, 2);
    expect(await badge(page).getAttribute('role')).toBe('img');
    expect(await badge(page).textContent()).toBe('2');
    await page.waitForSelector('.unread-link >> text=未读消息 2 条');
    expect(await page.evaluate('window.__sameDocument')).toBe(true);

    await viaNav(page, '/messages');
    await page.waitForSelector('.message-list');
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    const rows = await stack.db.outboxMessage.findMany({ where: { userId: leadA.userId }, orderBy: { id: 'desc' } });
    expect(rows.map((r) => r.subjectId)).toEqual([second, first]);
    // Newest first, unread marked in words; kind, title, time in Shanghai, the first line, the item's link.
    expect(
      await page.locator('.message-list > li').evaluateAll((els) => els.map((e) => e.getAttribute('data-notice'))),
    ).toEqual(rows.map((r) => String(r.id)));
    const newest = page.locator(`[data-notice="${rows[0]!.id}"]`);
    expect(await newest.getAttribute('class')).toContain('unread');
    expect(await newest.locator('.unread-tag').textContent()).toBe('未读');
    expect(await newest.locator('.tag.kind').textContent()).toBe('交办通知');
    expect(await newest.locator('.message-title').textContent()).toBe('【交办通知】消息中心：背街小巷路灯不亮');
    expect(await newest.locator('time').textContent()).toBe(shanghaiTime(rows[0]!.createdAt));
    const { number } = await stack.db.item.findUniqueOrThrow({ where: { id: second }, select: { number: true } });
    expect(await newest.locator('.message-line').textContent()).toBe(
      `督办事项：消息中心：背街小巷路灯不亮（${number}）`,
    );
    expect(await newest.locator('.message-title a').getAttribute('href')).toBe(`/items/${second}`);
    expect(await page.locator('.messages-page h1 small').textContent()).toBe('未读消息 2 条');

    // Opening the full text shows it (without the mail's 确认收到 link) and marks it read.
    await newest.locator('button[aria-expanded="false"]').click();
    await newest.locator('.message-text').waitFor();
    expect(await newest.locator('.message-text').textContent()).toContain('下一步：');
    expect(await newest.locator('.message-text').textContent()).not.toContain('确认收到');
    await showsUnread(page, 1);
    expect(await newest.locator('.unread-tag').count()).toBe(0);
    expect((await stack.db.outboxMessage.findUniqueOrThrow({ where: { id: rows[0]!.id } })).readAt).not.toBeNull();

    expect(await fitsWidth(page)).toBe(true);
    expect(await smallTargets(page)).toEqual([]);
    await screenshot(page, 'messages-390');

    // A third arrives while the page is open: the poll brings it into the list.
    const third = await assign('消息中心：农贸市场油烟扰民');
    await showsUnread(page, 2);
    await page.waitForSelector(`.message-list > li.unread .message-title >> text=农贸市场油烟扰民`);

    // Following a message's link lands on its item, and the count drops.
    const older = page.locator(`[data-notice="${rows[1]!.id}"]`);
    await older.locator('.message-title a').click();
    await page.waitForSelector(`.item-page`);
    expect(new URL(page.url()).pathname).toBe(`/items/${first}`);
    await showsUnread(page, 1);
    expect((await stack.db.outboxMessage.findUniqueOrThrow({ where: { id: rows[1]!.id } })).readAt).not.toBeNull();
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    expect(await fitsWidth(page)).toBe(true);

    // 全部标为已读: the badge goes, nothing is marked unread any more.
    await viaNav(page, '/messages');
    await page.waitForSelector('.message-list > li.unread');
    await page.click('button >> text=全部标为已读');
    await page.waitForSelector('.messages-page [role="status"] >> text=已将 1 条消息标为已读');
    await showsUnread(page, 0);
    await page.waitForSelector('.message-list > li.unread', { state: 'detached' });
    expect(await page.locator('.messages-page button >> text=全部标为已读').isDisabled()).toBe(true);
    expect(
      await stack.db.outboxMessage.count({ where: { userId: leadA.userId, readAt: null } }),
      `${third} and the rest read`,
    ).toBe(0);

    // The filters: 未读 lists none now, 全部 all three; the filter lives in the address.
    await page.click('.seg button >> text=未读');
    await page.waitForSelector('text=没有未读消息。');
    expect(new URL(page.url()).search).toBe('?filter=unread');
    expect(await page.locator('.seg button >> text=未读').getAttribute('aria-pressed')).toBe('true');
    await page.click('.seg button >> text=全部');
    await expect.poll(() => page.locator('.message-list > li').count()).toBe(3);
    expect(await fitsWidth(page)).toBe(true);
    expect(await smallTargets(page)).toEqual([]);
    // The 待办 page has no count left to show.
    await viaNav(page, '/inbox');
    await page.waitForSelector('header.top nav a[href="/inbox"].active', { state: 'attached' });
    await page.waitForSelector('main h1 >> text=待办');
    expect(await page.locator('.unread-link').count()).toBe(0);
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    await page.close();
  }, 120_000);

  it('lays the page out on a desktop screen (1440 px), unread and read together', async () => {
    await assign('消息中心：河道保洁不到位');
    const page = await signedIn(leadA.userId, { width: 1440, height: 900 }, '/messages');
    await showsUnread(page, 1);
    expect(await badge(page).isVisible()).toBe(true);
    await page.waitForSelector('.message-list > li.unread');
    expect(await page.locator('.message-list > li').count()).toBe(4);
    expect(await fitsWidth(page)).toBe(true);
    await screenshot(page, 'messages-1440');

    // Signed out, the poll stops: no request for the count any more.
    const polled: string[] = [];
    page.on('request', (r) => void (r.url().includes('/api/notifications') && polled.push(r.url())));
    await page.click('header.top .who button >> text=退出');
    await page.waitForSelector('#token');
    await page.waitForTimeout(2_500);
    expect(polled).toEqual([]);
    await page.close();
    expect(errors).toEqual([]);
  }, 60_000);
});
