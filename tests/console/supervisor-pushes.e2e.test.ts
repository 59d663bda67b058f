/**
 * The supervisor's pushes in a real headless Chromium on a phone (390×844): on an item still
 * 待签收 the supervisor 催办s the lead unit and the co-unit chosen by checkbox, records a 约谈,
 * and edits the item from its prefilled form (only what changed is sent); the timeline shows
 * each once, with the units and the old and new values by name. Touch targets of the new forms
 * are at least 44 px, axe-core finds nothing serious, nothing scrolls sideways.
 */
import type { AxeResults } from 'axe-core';
import { cp, mkdtemp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIST } from '../../api/console';
import { shanghaiDate } from '../../domain/calendar';
import { signToken } from '../../lib/tokens';
import { supervisor } from '../support/actors';
import { bearer, startApiStack, TEST_SECRET, type ApiStack } from '../support/api';
import { launchBrowser, screenshot, watchErrors } from '../support/browser';
import { DUE } from '../support/dates';
import { uniqueTaskQueue } from '../support/stack';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const PHONE = { width: 390, height: 844 };

let stack: ApiStack;
let browser: Browser;
let base = '';
let itemId = '';
const errors: string[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
  // The console as built now, served from a copy: a rebuild meanwhile does not take its files away.
  const dist = await mkdtemp(path.join(os.tmpdir(), 'duban-console-'));
  await cp(CONSOLE_DIST, dist, { recursive: true });
  stack = await startApiStack(uniqueTaskQueue('console-pushes'), { consoleDist: dist });
  await stack.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(stack.app.server.address() as AddressInfo).port}`;
  const res = await stack.app.inject({
    method: 'POST',
    url: '/api/items',
    headers: bearer(supervisor),
    payload: { title: '背街小巷路灯不亮', leadUnitId: 'unit-a', coUnitIds: ['unit-c'], dueDate: DUE },
  });
  expect(res.statusCode, res.body).toBe(201);
  itemId = res.json().item.id;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  expect(errors).toEqual([]);
});

async function session(): Promise<Page> {
  const context = await browser.newContext({
    viewport: PHONE,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    bypassCSP: true,
  });
  const page = await context.newPage();
  const seen = watchErrors(page);
  page.on('close', () => errors.push(...seen));
  await page.goto(`${base}/items/${itemId}`);
  await page.fill('#token', signToken({ userId: supervisor.userId }, TEST_SECRET));
  await page.click('form.card button[type="submit"]');
  await page.waitForSelector('.item-page');
  return page;
}

/** Controls of the open form under 44 px, and axe-core's serious findings, and whether the page scrolls sideways. */
async function check(page: Page, action: string): Promise<void> {
  // Run in the page as text: this file is compiled without the DOM's types.
  const small =
    (await page.evaluate(`[...document.querySelectorAll('form.action-form[data-action="${action}"] :is(button, select, textarea, input:not([type="checkbox"]):not([type="hidden"]), label.check)')]
    .map((el) => [el.outerHTML.slice(0, 60), el.getBoundingClientRect()])
    .filter(([, r]) => r.height < 44 || r.width < 44)
    .map(([h, r]) => h + ' ' + Math.round(r.width) + '×' + Math.round(r.height))`)) as string[];
  expect(small, `${action}: controls under 44 px`).toEqual([]);
  await page.addScriptTag({ path: AXE });
  const result = (await page.evaluate('axe.run()')) as AxeResults;
  expect(
    result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id),
    `${action}: axe-core`,
  ).toEqual([]);
  expect((await page.evaluate('document.documentElement.scrollWidth')) as number).toBeLessThanOrEqual(PHONE.width);
  await screenshot(page, `pushes-390-${action}`);
}

const entries = (page: Page, action: string) => page.locator(`.timeline > li[data-action="${action}"]`);

async function send(page: Page, action: string): Promise<void> {
  const before = await entries(page, action).count();
  await page.click(`form.action-form[data-action="${action}"] button[type="submit"]`);
  await entries(page, action).nth(before).waitFor();
}

describe('the supervisor pushes an item still 待签收, on a phone', () => {
  it('催办 the lead unit and the co-unit, records a 约谈, edits the item', async () => {
    const page = await session();

    await page.click('button[data-open-action="urge"]');
    const urge = page.locator('form.action-form[data-action="urge"]');
    // The lead unit is chosen to begin with; the co-unit is added.
    expect(await urge.locator('input[type="checkbox"][value="unit-a"]').isChecked()).toBe(true);
    expect(await urge.locator('input[type="checkbox"][value="unit-c"]').isChecked()).toBe(false);
    await urge.locator('textarea[name="text"]').fill('请于三日内签收并报送整改方案');
    await urge.locator('input[type="checkbox"][value="unit-c"]').check();
    await check(page, 'urge');
    await send(page, 'urge');
    const urged = entries(page, 'urge');
    expect(await urged.count()).toBe(1);
    expect(await urged.textContent()).toContain('催办内容：请于三日内签收并报送整改方案');
    expect(await urged.textContent()).toContain('催办单位：市民政局、市公安局');
    expect(await page.getAttribute('.item-page', 'data-status')).toBe('assigned');

    await page.click('button[data-open-action="recordInterview"]');
    const interview = page.locator('form.action-form[data-action="recordInterview"]');
    await interview.locator('input[name="heldOn"]').fill(shanghaiDate(Date.now()));
    await interview.locator('textarea[name="attendees"]').fill('王督查；市民政局局长');
    await interview.locator('textarea[name="summary"]').fill('听取未签收原因');
    await check(page, 'recordInterview');
    await send(page, 'recordInterview');
    expect(await entries(page, 'recordInterview').textContent()).toContain('约谈情况：听取未签收原因');

    await page.click('button[data-open-action="edit"]');
    const edit = page.locator('form.action-form[data-action="edit"]');
    // Prefilled with the item as it is.
    expect(await edit.locator('input[name="title"]').inputValue()).toBe('背街小巷路灯不亮');
    expect(await edit.locator('input[name="dueDate"]').inputValue()).toBe(DUE);
    expect(await edit.locator('select[name="leadUnitId"]').inputValue()).toBe('unit-a');
    await edit.locator('input[name="title"]').fill('背街小巷路灯不亮（含公园周边）');
    await check(page, 'edit');
    await send(page, 'edit');
    const edited = entries(page, 'edit');
    expect(await edited.locator('[data-change]').count()).toBe(1);
    expect(await edited.textContent()).toContain('标题：由“背街小巷路灯不亮”改为“背街小巷路灯不亮（含公园周边）”');
    expect(await page.textContent('.item-page h1')).toContain('背街小巷路灯不亮（含公园周边）');
    await page.close();
  }, 120_000);
});
