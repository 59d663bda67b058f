/**
 * The supervisor's pushes in a real headless Chromium on a phone (390×844): on an item still
 * 待签收 the supervisor 催办s the lead unit and the co-unit chosen by checkbox, records a 约谈,
 * and edits the item from its prefilled form (only what changed is sent); the timeline shows
 * each once, with the units and the old and new values by name. Touch targets of the new forms
 * are at least 44 px, axe-core finds nothing serious, nothing scrolls sideways.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shanghaiDate } from '../../domain/calendar';
import { supervisor } from '../support/actors';
import { bearer, startConsoleStack, type ConsoleStack } from '../support/api';
import { axeViolations, launchBrowser, PHONE, screenshot, signedInPage, smallTargets } from '../support/browser';
import { DUE } from '../support/dates';
import { uniqueTaskQueue } from '../support/stack';

let stack: ConsoleStack;
let browser: Browser;
let itemId = '';
const errors: string[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
  stack = await startConsoleStack(uniqueTaskQueue('console-pushes'));
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

const session = () =>
  signedInPage(browser, `${stack.base}/items/${itemId}`, supervisor.userId, {
    viewport: PHONE,
    errors,
    axe: true,
    ready: '.item-page',
  });

/** Controls of the open form under 44 px, and axe-core's serious findings, and whether the page scrolls sideways. */
async function check(page: Page, action: string): Promise<void> {
  const form = `form.action-form[data-action="${action}"]`;
  const controls = `${form} :is(button, select, textarea, input:not([type="checkbox"]):not([type="hidden"]), label.check)`;
  expect(await smallTargets(page, controls), `${action}: controls under 44 px`).toEqual([]);
  expect(await axeViolations(page, { seriousOnly: true }), `${action}: axe-core`).toEqual([]);
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
    // A 约谈 has happened: the picker offers no day after today.
    expect(await interview.locator('input[name="heldOn"]').getAttribute('max')).toBe(shanghaiDate(Date.now()));
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

    // The breadcrumb and the two ledger downloads are tap targets, and the downloads stand apart.
    expect(await smallTargets(page, '.crumbs a, .ledger-links button')).toEqual([]);
    const ledger = page.locator('.ledger-links button');
    expect(await ledger.count()).toBe(2);
    const [csv, xlsx] = [(await ledger.nth(0).boundingBox())!, (await ledger.nth(1).boundingBox())!];
    expect(xlsx.x >= csv.x + csv.width + 8 || xlsx.y >= csv.y + csv.height).toBe(true);
    await page.close();
  }, 120_000);

  it('names who replaced a deadline by name, not by user id', async () => {
    const later = new Date(Date.parse(DUE) + 14 * 86_400_000).toISOString().slice(0, 10);
    const res = await stack.app.inject({
      method: 'POST',
      url: `/api/items/${itemId}/edit`,
      headers: bearer(supervisor),
      payload: { dueDate: later },
    });
    expect(res.statusCode, res.body).toBe(200);
    const page = await session();
    await page.waitForSelector('[data-deadline-history]');
    const history = (await page.textContent('[data-deadline-history]'))!;
    expect(history).toContain(`办理人 ${supervisor.name}`);
    expect(history).not.toContain(supervisor.userId);
    await page.close();
  }, 60_000);
});
