/**
 * Sources and classes in the console, in a real headless Chromium: the supervisor opens an item
 * naming its 来源类别, 共性/个性, 领域 and 标签 on the 立项交办 form (on a desktop), sees them on the
 * item, changes one and finds the change in the history; the list filters by source, self-found,
 * 共性/个性, 领域 and 标签, each kept in the address; the administrator renames a source and adds
 * one on 分类设置, and the new one is offered on the form. The form and the settings page are
 * checked on a phone (390 px): nothing scrolls sideways. Screenshots under
 * test-artifacts/console/classes-*.png.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, supervisor } from '../support/actors';
import { bearer, startConsoleStack, type ConsoleStack } from '../support/api';
import { DESKTOP, fitsWidth, launchBrowser, PHONE, shot, signedInPage } from '../support/browser';
import { DUE } from '../support/dates';
import { uniqueTaskQueue } from '../support/stack';

let stack: ConsoleStack;
let browser: Browser;
const errors: string[] = [];

async function api<T>(actor: { userId: string }, method: 'GET' | 'POST', url: string, payload?: object): Promise<T> {
  const r = await stack.app.inject({ method, url, headers: bearer(actor), ...(payload ? { payload } : {}) });
  if (r.statusCode >= 300) throw new Error(`${method} ${url}: ${r.statusCode} ${r.body}`);
  return r.json<T>();
}
const openItem = async (title: string, extra: object = {}) =>
  (
    await api<{ item: { id: string } }>(supervisor, 'POST', '/api/items', {
      title,
      leadUnitId: 'unit-a',
      dueDate: DUE,
      ...extra,
    })
  ).item.id;

/** The ids of the rows the list shows now. */
const rows = (page: Page) =>
  page.$$eval('table.items tbody tr[data-item]', (trs) => trs.map((tr) => tr.getAttribute('data-item')));

beforeAll(async () => {
  stack = await startConsoleStack(uniqueTaskQueue('console-classes'));
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  expect(errors).toEqual([]);
});

describe('sources and classes in the console', () => {
  let created = '';
  let selfFound = '';
  let plain = '';

  it('the supervisor opens an item with its source and classes on the 立项交办 form', async () => {
    const page = await signedInPage(browser, `${stack.base}/items/new`, supervisor.userId, {
      viewport: DESKTOP,
      errors,
    });
    await page.waitForSelector('#new-sourceCode option[value="shenji"]', { state: 'attached' });
    // 督查检查 is chosen until the supervisor says otherwise.
    expect(await page.inputValue('#new-sourceCode')).toBe('ducha');
    await page.fill('#title', '冷链食品进口查验记录不全');
    await page.fill('#dueDate', DUE);
    await page.selectOption('#leadUnitId', 'unit-a');
    await page.selectOption('#new-sourceCode', 'shenji');
    await page.selectOption('#new-commonality', 'common');
    await page.selectOption('#new-domainCode', 'shipin-anquan');
    await page.fill('#new-tags', '冷链、进口 冷链');
    await page.fill('#source', '2026 年市审计局专项审计报告');
    await page.click('form.new-item button[type="submit"]');
    await page.waitForSelector('[data-item-classes]');
    created = new URL(page.url()).pathname.split('/').pop()!;
    const card = page.locator('[data-item-classes]');
    expect(await card.locator('[data-class="source"]').textContent()).toBe('审计');
    expect(await card.locator('[data-class="commonality"]').textContent()).toBe('共性');
    expect(await card.locator('[data-class="domain"]').textContent()).toBe('食品安全');
    // Typed with 、 and a space, the repeat dropped.
    expect(await card.locator('[data-class="tags"] .tag').allTextContents()).toEqual(['冷链', '进口']);
    const view = await api<{ item: { classes: { sourceCode: string; tags: string[] } } }>(
      supervisor,
      'GET',
      `/api/items/${created}`,
    );
    expect(view.item.classes).toMatchObject({ sourceCode: 'shenji', tags: ['冷链', '进口'] });
    await shot(page, 'classes', 'item');

    // The supervisor changes the domain; the history says who changed what.
    await page.click('[data-edit-classes]');
    await page.selectOption('#edit-domainCode', 'anquan-shengchan');
    await page.click('[data-classes-form] button[type="submit"]');
    await page.locator('[data-classes-form]').waitFor({ state: 'detached' });
    await page.locator('[data-class="domain"]', { hasText: '安全生产' }).waitFor();
    await page.click('[data-class-history-toggle]');
    const change = page.locator('[data-class-history] [data-class-change]').first();
    await change.waitFor();
    const text = await change.textContent();
    expect(text).toContain(supervisor.name);
    expect(text).toContain('领域 食品安全');
    expect(text).toContain('领域 安全生产');
    await page.close();
  });

  it('the list filters by source, self-found, 共性/个性, 领域 and 标签, kept in the address', async () => {
    [selfFound, plain] = await Promise.all([
      openItem('街道自查发现燃气管道老化', { sourceCode: 'zicha', tags: ['燃气'] }),
      openItem('信访反映小区停车难', { sourceCode: 'xinfang', commonality: 'individual' }),
    ]);
    const page = await signedInPage(browser, `${stack.base}/items`, supervisor.userId, {
      viewport: DESKTOP,
      errors,
    });
    await page.waitForSelector('select[name="source"] option[value="shenji"]', { state: 'attached' });
    await page.selectOption('select[name="source"]', 'shenji');
    await page.waitForURL(/source=shenji/);
    await expect.poll(() => rows(page), { timeout: 15_000 }).toEqual([created]);
    // Each row says its source, and 共性 when it is.
    expect(await page.textContent(`tr[data-item="${created}"] [data-source]`)).toBe('审计共性');

    await page.selectOption('select[name="source"]', '');
    await page.selectOption('select[name="selfFound"]', 'true');
    await page.waitForURL(/selfFound=true/);
    await expect.poll(() => rows(page), { timeout: 15_000 }).toEqual([selfFound]);

    await page.selectOption('select[name="selfFound"]', '');
    await page.selectOption('select[name="commonality"]', 'individual');
    await page.waitForURL(/commonality=individual/);
    await expect.poll(() => rows(page), { timeout: 15_000 }).toEqual([plain]);

    await page.selectOption('select[name="commonality"]', '');
    await page.selectOption('select[name="domain"]', 'anquan-shengchan');
    await page.waitForURL(/domain=anquan-shengchan/);
    await expect.poll(() => rows(page), { timeout: 15_000 }).toEqual([created]);

    await page.selectOption('select[name="domain"]', '');
    await page.fill('input[name="tag"]', '燃气');
    await page.click('form.filters button[type="submit"]');
    await page.waitForURL(/tag=/);
    await expect.poll(() => rows(page), { timeout: 15_000 }).toEqual([selfFound]);

    // The address carries the filter: opened afresh, the list is the same.
    await page.goto(`${stack.base}/items?selfFound=false&source=xinfang`);
    await page.waitForSelector('table.items');
    await expect.poll(() => rows(page), { timeout: 15_000 }).toEqual([plain]);
    expect(await page.inputValue('select[name="selfFound"]')).toBe('false');
    await shot(page, 'classes', 'list');

    // The overview counts by source, the self-found apart; a source is a tap to its list.
    await page.goto(`${stack.base}/dashboard`);
    await page.waitForSelector('[data-by-source]');
    expect(await page.getAttribute('[data-self-found]', 'data-self-found')).toBe('1');
    expect(await page.textContent('[data-by-source] tr[data-source="shenji"] [data-count]')).toBe('1');
    await page.click('[data-by-source] tr[data-source="shenji"] a');
    await page.waitForURL(/\/items\?source=shenji$/);
    await expect.poll(() => rows(page), { timeout: 15_000 }).toEqual([created]);
    await page.close();
  });

  it('the dashboard filters by source and class, kept in the address, its links to the list too', async () => {
    // Opened with a filter in the address: the counts are those of that source only.
    const page = await signedInPage(browser, `${stack.base}/dashboard?source=xinfang`, supervisor.userId, {
      viewport: DESKTOP,
      errors,
    });
    await page.waitForSelector('.dashboard[data-loaded] [data-kpi="total"]');
    expect(await page.textContent('[data-kpi="total"]')).toBe('1');
    await page.waitForSelector('[data-dashboard-filters] select[name="source"] option[value="xinfang"]', {
      state: 'attached',
    });
    await expect
      .poll(() => page.inputValue('[data-dashboard-filters] select[name="source"]'), { timeout: 15_000 })
      .toBe('xinfang');
    expect(await page.getAttribute('a.kpi:has([data-kpi="total"])', 'href')).toBe('/items?source=xinfang');

    // Chosen on the page: a new address, new counts.
    await page.selectOption('[data-dashboard-filters] select[name="source"]', '');
    await page.selectOption('[data-dashboard-filters] select[name="selfFound"]', 'true');
    await page.waitForURL(/\/dashboard\?selfFound=true$/);
    await expect
      .poll(() => page.textContent('.dashboard[data-loaded] [data-kpi="total"]'), { timeout: 15_000 })
      .toBe('1');
    // 自查自纠's row says its name once (no mark repeating it).
    expect(await page.textContent('[data-by-source] tr[data-source="zicha"] td:first-child')).toBe('自查自纠');
    await page.fill('[data-dashboard-filters] input[name="tag"]', '燃气');
    await page.click('[data-dashboard-filters] button[type="submit"]');
    await page.waitForURL(/tag=/);
    await page.click('[data-clear-filters]');
    await page.waitForURL(/\/dashboard$/);
    await expect
      .poll(() => page.textContent('.dashboard[data-loaded] [data-kpi="total"]'), { timeout: 15_000 })
      .toBe('3');
    await shot(page, 'classes', 'dashboard');
    await page.close();
  });

  it('the administrator renames a source and adds one; the form offers it; both fit a phone', async () => {
    const page = await signedInPage(browser, `${stack.base}/classification`, admin.userId, {
      viewport: PHONE,
      errors,
    });
    await page.waitForSelector('[data-kind="source"] [data-term-form="renda"]');
    expect(await fitsWidth(page)).toBe(true);
    const renda = page.locator('[data-term-form="renda"]');
    await renda.locator('input[name="label"]').fill('人大建议政协提案');
    await renda.locator('button[type="submit"]').click();
    await renda.locator('[data-saved]').waitFor();

    const add = page.locator('[data-kind="source"] [data-term-form="new"]');
    // A code is required, said at its field.
    await add.locator('input[name="label"]').fill('群众举报');
    await add.locator('button[type="submit"]').click();
    expect(await add.locator('.field-error').first().textContent()).toContain('代码');
    await add.locator('input[name="code"]').fill('jubao');
    await add.locator('button[type="submit"]').click();
    await page.waitForSelector('[data-kind="source"] [data-term-form="jubao"]');
    await shot(page, 'classes', 'settings');

    const taxonomy = await api<{ sources: Array<{ code: string; label: string; active: boolean }> }>(
      supervisor,
      'GET',
      '/api/classification',
    );
    expect(taxonomy.sources.find((s) => s.code === 'renda')?.label).toBe('人大建议政协提案');
    expect(taxonomy.sources.find((s) => s.code === 'jubao')).toMatchObject({ label: '群众举报', active: true });
    await page.close();

    // The supervisor's form offers the new source; on a phone it fits the screen.
    const form = await signedInPage(browser, `${stack.base}/items/new`, supervisor.userId, {
      viewport: PHONE,
      errors,
    });
    await form.waitForSelector('#new-sourceCode option[value="jubao"]', { state: 'attached' });
    expect(await form.textContent('#new-sourceCode option[value="renda"]')).toBe('人大建议政协提案');
    expect(await fitsWidth(form)).toBe(true);
    await shot(form, 'classes', 'new-item');
    await form.close();
  });
});
