/**
 * The console's 通讯录 page in a real headless Chromium, on a phone-sized screen (390 px): the
 * system administrator sees which unit roles nobody can be told at, adds a contact (a bad mobile
 * refused in Chinese at its field, then corrected), and imports a CSV whose row errors are all
 * listed; a unit's handler sees only the unit's own contacts and no editing. A screenshot is
 * saved under test-artifacts/console.
 */
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../lib/tokens';
import { admin, leadA } from '../support/actors';
import { startApiStack, TEST_SECRET, type ApiStack } from '../support/api';
import { launchBrowser, screenshot, watchErrors } from '../support/browser';
import { uniqueTaskQueue } from '../support/stack';

let stack: ApiStack;
let browser: Browser;
let base = '';
const errors: string[] = [];

beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('console-contacts'));
  await stack.db.contact.createMany({
    data: [
      { id: 'e2e-b', unitId: 'unit-b', role: 'handler', name: '赵经办', email: 'zhao@cz.example.gov.cn' },
      { id: 'e2e-a', unitId: 'unit-a', role: 'unit_leader', name: '李局长', email: null },
    ],
  });
  // A notice that found no address (as the outbox records one), shown on the page with its reason.
  await stack.db.outboxMessage.create({
    data: {
      id: 990001n,
      key: 'e2e/undelivered',
      requestKey: 'e2e',
      subjectKind: 'item',
      subjectId: 'e2e-item',
      kind: 'assigned',
      urgent: false,
      recipientName: '李局长',
      subject: '【交办通知】示例',
      text: '',
      html: '',
      status: 'no_address',
      lastError: '缺少邮箱',
    },
  });
  await stack.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(stack.app.server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

async function phone(userId: string): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  const page = await context.newPage();
  const seen = watchErrors(page);
  page.on('close', () => errors.push(...seen));
  await page.goto(`${base}/contacts`);
  await page.fill('#token', signToken({ userId }, TEST_SECRET));
  await page.click('form.card button[type="submit"]');
  await page.waitForSelector('.contacts table.contact-list');
  return page;
}

/** Nothing wider than the screen: no sideways scrolling on a phone. */
const fitsWidth = async (page: Page) =>
  page.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1') as Promise<boolean>;

describe('通讯录 on a phone', () => {
  it('lets the administrator see the gaps, add a contact (errors at the field), and import a CSV', async () => {
    const page = await phone(admin.userId);
    expect(await fitsWidth(page)).toBe(true);
    // The gaps: unit-a's leader has no address; unit-c has no handler at all.
    expect(await page.textContent('[data-gap="unit-a/unit_leader"]')).toContain('缺少邮箱');
    expect(await page.textContent('[data-gap="unit-c/handler"]')).toContain('未登记经办人');
    expect(await page.textContent('[data-contact="e2e-a"]')).toContain('缺少邮箱');

    await page.click('[data-gap="unit-c/handler"] button');
    await page.fill('#c-name', '钱经办');
    await page.fill('#c-email', 'qian@ga.example.gov.cn');
    await page.fill('#c-mobile', '1380013800');
    await page.click('.contact-form button[type="submit"]');
    await page.waitForSelector('.contact-form .field-error');
    expect(await page.textContent('.contact-form .field-error')).toContain('手机号码应为 11 位中国大陆手机号');
    // What was typed stays; corrected, it is saved.
    expect(await page.inputValue('#c-name')).toBe('钱经办');
    await page.fill('#c-mobile', '13800138000');
    await page.click('.contact-form button[type="submit"]');
    await page.waitForSelector('.contacts [role="status"]');
    const saved = await stack.db.contact.findFirstOrThrow({ where: { name: '钱经办' } });
    expect(saved).toMatchObject({ unitId: 'unit-c', role: 'handler', mobile: '13800138000' });
    await page.waitForSelector('[data-gap="unit-c/handler"]', { state: 'detached' });

    await page.fill(
      '#csv-text',
      '姓名,单位,角色,邮箱\n甲,市财政局,经办人,jia@\n乙,不存在的局,经办人,yi@example.gov.cn\n',
    );
    await page.click('.csv-import button[type="submit"]');
    await page.waitForSelector('.csv-errors li');
    const listed = await page.locator('.csv-errors li').allTextContents();
    expect(listed).toEqual(
      expect.arrayContaining([expect.stringContaining('第 2 行“邮箱”'), expect.stringContaining('第 3 行“单位”')]),
    );
    await page.fill('#csv-text', '姓名,单位,角色,邮箱\n孙经办,市教育局,经办人,sun@jy.example.gov.cn\n');
    await page.click('.csv-import button[type="submit"]');
    await page.waitForSelector('text=已导入：新增 1 位，更新 0 位');
    expect(await stack.db.contact.count({ where: { name: '孙经办', unitId: 'unit-x' } })).toBe(1);
    // What could not be delivered is listed with its reason, for the administrator to fix.
    expect(await page.textContent('[data-undelivered="990001"]')).toContain('缺少邮箱');
    expect(await fitsWidth(page)).toBe(true);
    await screenshot(page, 'contacts-390');
    await page.close();
  }, 120_000);

  it("shows a unit's handler the unit's own contacts only, without editing", async () => {
    const page = await phone(leadA.userId);
    expect(await page.locator('[data-contact="e2e-a"]').count()).toBe(1);
    expect(await page.locator('[data-contact="e2e-b"]').count()).toBe(0);
    expect(await page.locator('[data-new-contact]').count()).toBe(0);
    expect(await page.locator('.csv-import').count()).toBe(0);
    expect(await fitsWidth(page)).toBe(true);
    await page.close();
    expect(errors).toEqual([]);
  });
});
