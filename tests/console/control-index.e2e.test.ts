/**
 * 管控力指数 in a real headless Chromium: the supervisor (desktop, 1440×900) computes this quarter
 * and publishes it; a unit's handler on a phone (390×844) finds his unit's row marked in its peer
 * group, opens its score (base − deductions + bonuses, as the API computed it), reads the deduction
 * for his overdue item with the item and the event that caused it, and appeals it; the supervisor
 * upholds the appeal with a note, which the unit then reads. The rules page shows the versions and
 * the rules in force; a backtest of a stricter rule shows the candidate ranking beside the published
 * one and writes nothing. Nothing scrolls sideways; screenshots under test-artifacts/console.
 */
import type { AxeResults } from 'axe-core';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shanghaiDate } from '../../domain/calendar';
import { leadA, supervisor } from '../support/actors';
import { bearer, startConsoleStack, type ConsoleStack } from '../support/api';
import { DESKTOP, launchBrowser, newPage, PHONE, screenshot, signIn, type Viewport } from '../support/browser';
import { openOverdue } from '../support/items';
import { uniqueTaskQueue } from '../support/stack';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
let stack: ConsoleStack;
let browser: Browser;
const errors: string[] = [];
const taskQueue = uniqueTaskQueue('console-index');
const today = shanghaiDate(Date.now());
const QUARTER = `${today.slice(0, 4)}-Q${Math.floor((Number(today.slice(5, 7)) - 1) / 3) + 1}`;
/** An item of 市民政局 (unit-a) eight working days past its deadline: a deduction this quarter. */
let overdueItem = '';
let runId = '';

interface UnitScore {
  score: number;
  base: number;
  deducted: number;
  added: number;
  rank: number;
  reasons: Array<{ id: string; ruleKey: string; points: number; itemId: string | null; eventId: string | null }>;
  appeals: Array<{ id: string; status: string; note: string | null; text: string }>;
}

const api = async <T>(actor: { userId: string }, method: 'GET' | 'POST', url: string, payload?: object) => {
  const r = await stack.app.inject({ method, url, headers: bearer(actor), ...(payload ? { payload } : {}) });
  if (r.statusCode >= 300) throw new Error(`${method} ${url}: ${r.statusCode} ${r.body}`);
  return r.json<T>();
};
const unitScore = () => api<UnitScore>(supervisor, 'GET', `/api/index/runs/${runId}/units/unit-a`);

beforeAll(async () => {
  browser = await launchBrowser();
  stack = await startConsoleStack(taskQueue);
  overdueItem = (await openOverdue(stack, taskQueue, 8, { title: '养老机构消防安全隐患整改', leadUnitId: 'unit-a' }))
    .id;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  expect(errors).toEqual([]);
});

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForLoadState('networkidle');
  const width = page.viewportSize()!.width;
  const scrollWidth = (await page.evaluate('document.documentElement.scrollWidth')) as number;
  expect.soft(scrollWidth, `${name}: page wider than the screen`).toBeLessThanOrEqual(width);
  await screenshot(page, `control-index-${width}-${name}`);
}

/** axe-core's serious and critical findings on the page as it is now. */
async function axeSerious(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const result = (await page.evaluate('axe.run()')) as AxeResults;
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.nodes.map((n) => n.target.join(' ')).join(' | ')})`);
}

async function session(userId: string, viewport: Viewport, at = '/'): Promise<Page> {
  const page = await newPage(browser, { viewport, errors, axe: true });
  await signIn(page, stack.base + at, userId);
  return page;
}

/** 管控力指数 through the navigation (the 菜单 on a phone). */
async function openIndex(page: Page): Promise<void> {
  const toggle = page.locator('header.top button[aria-expanded]');
  if (await toggle.isVisible()) await toggle.click();
  await page.click('header.top nav a[href="/index"]');
  await page.waitForSelector('.control-index');
}

describe('管控力指数 in Chromium', () => {
  it('the supervisor computes this quarter and publishes it', async () => {
    const page = await session(supervisor.userId, DESKTOP);
    await openIndex(page);
    expect(await page.inputValue('#index-period')).toBe(QUARTER);
    expect(await page.textContent('button[data-compute]')).toBe('计算本季度');
    await page.click('button[data-compute]');
    await page.waitForSelector('[data-run][data-status="computed"]');
    runId = (await page.getAttribute('[data-run]', 'data-run'))!;
    const { runs } = await api<{ runs: Array<{ id: string; period: string; status: string }> }>(
      supervisor,
      'GET',
      '/api/index/runs',
    );
    expect(runs.find((r) => r.id === runId)).toMatchObject({ period: QUARTER, status: 'computed' });
    await page.waitForSelector('.control-index[data-loaded="true"] tr[data-unit="unit-a"]');
    await shot(page, 'computed');
    page.once('dialog', (d) => void d.accept());
    await page.click(`button[data-publish="${runId}"]`);
    await page.waitForSelector('[data-run][data-status="published"]');
    expect(await page.locator('button[data-publish]').count()).toBe(0);
    // The ranking shows the score the API computed for 市民政局, with a link to its reasons.
    const row = page.locator('tr[data-unit="unit-a"]');
    expect(await row.locator('[data-score]').textContent()).toBe(
      String(Math.round((await unitScore()).score * 100) / 100),
    );
    expect(await row.locator('a').getAttribute('href')).toBe(`/index/runs/${runId}/units/unit-a`);
    await page.click('button[data-scope="region"]');
    await page.waitForURL(/scope=region/);
    await page.waitForSelector('.control-index[data-loaded="true"] table.index-ranking');
    // A region says what its score is: the mean of its units (某区, its bureau and its street office).
    await page.waitForSelector('tr[data-unit="district"] [data-members]');
    expect(await page.textContent('tr[data-unit="district"]')).toContain('下辖 3 个单位的平均分');
    await shot(page, 'regions');
    await page.close();
  }, 60_000);

  it('a unit handler on a phone sees his unit marked, its score and reasons, and appeals the deduction', async () => {
    const expected = await unitScore();
    const overdue = expected.reasons.find((r) => r.ruleKey === 'overdueWorkingDay' && r.itemId === overdueItem);
    expect(overdue, 'a deduction for the overdue item').toBeDefined();
    expect(overdue!.points).toBeLessThan(0);

    const page = await session(leadA.userId, PHONE);
    await openIndex(page);
    await page.waitForSelector('.control-index[data-loaded="true"] tr[data-own="true"]');
    expect(await page.getAttribute('tr[data-own="true"]', 'data-unit')).toBe('unit-a');
    expect(await page.textContent('tr[data-own="true"]')).toContain('本单位');
    // Other units of the group are ranked but their reasons are not his to open.
    expect(await page.locator('tr[data-unit="unit-b"] a').count()).toBe(0);
    await shot(page, 'ranking');
    expect(await axeSerious(page)).toEqual([]);

    await page.click('tr[data-own="true"] a');
    await page.waitForSelector('.control-index-unit[data-loaded="true"]');
    expect(await page.textContent('[data-score]')).toBe(String(Math.round(expected.score * 100) / 100));
    expect(await page.textContent('[data-rank]')).toBe(String(expected.rank));
    const formula = await page.textContent('[data-formula]');
    expect(formula).toContain(`基础分 ${expected.base}`);
    expect(formula).toContain(`扣分 ${Math.round(expected.deducted * 100) / 100}`);
    expect(await page.locator('.index-reason').count()).toBe(expected.reasons.length);
    const reason = page.locator(`.index-reason[data-reason="${overdue!.id}"]`);
    expect(await reason.locator('a').getAttribute('href')).toBe(`/items/${overdueItem}`);
    expect(await reason.textContent()).toContain('养老机构消防安全隐患整改');
    if (overdue!.eventId)
      expect(await reason.locator('[data-event]').getAttribute('data-event')).toBe(overdue!.eventId);
    await shot(page, 'reasons');
    expect(await axeSerious(page)).toEqual([]);

    await reason.locator('button[data-appeal]').click();
    // An empty appeal is refused, with the field named.
    await reason.locator('form.appeal-form button[type="submit"]').click();
    await reason.locator('.field-error').waitFor();
    expect(await reason.locator('.field-error').textContent()).toContain('申诉理由');
    await reason.locator('textarea[name="text"]').fill('该事项已于期限前提交办结材料，系系统录入延迟，请核实。');
    await reason.locator('form.appeal-form button[type="submit"]').click();
    await reason.locator('.index-appeal[data-decision="pending"]').waitFor();
    expect(await reason.locator('[data-appeal-status]').textContent()).toBe('待答复');
    expect(await reason.locator('button[data-appeal]').count()).toBe(0);
    const after = await unitScore();
    expect(after.appeals).toHaveLength(1);
    expect(after.appeals[0]).toMatchObject({
      status: 'pending',
      text: '该事项已于期限前提交办结材料，系系统录入延迟，请核实。',
    });
    await shot(page, 'appealed');
    await page.close();
  }, 60_000);

  it('the supervisor upholds the appeal with a note, and the unit reads the decision', async () => {
    const page = await session(supervisor.userId, DESKTOP, `/index/runs/${runId}/units/unit-a`);
    await page.waitForSelector('.control-index-unit[data-loaded="true"] .index-appeal[data-decision="pending"]');
    const appeal = page.locator('.index-appeal[data-decision="pending"]');
    await appeal.locator('textarea[name="note"]').fill('经核实，办结材料已按期提交，申诉成立。');
    await appeal.locator('button[data-decision="upheld"]').click();
    await page.waitForSelector('.index-appeal[data-decision="upheld"]');
    expect(await page.textContent('.index-appeal[data-decision="upheld"]')).toContain(
      '经核实，办结材料已按期提交，申诉成立。',
    );
    expect((await unitScore()).appeals[0]).toMatchObject({
      status: 'upheld',
      note: '经核实，办结材料已按期提交，申诉成立。',
    });
    await shot(page, 'decided');
    expect(await axeSerious(page)).toEqual([]);
    await page.close();

    const unit = await session(leadA.userId, PHONE, `/index/runs/${runId}/units/unit-a`);
    await unit.waitForSelector('.control-index-unit[data-loaded="true"] .index-appeal[data-decision="upheld"]');
    expect(await unit.textContent('[data-appeal-status]')).toContain('已采纳');
    await unit.close();
  }, 60_000);

  it('the rules page: versions, the rules in force, a backtest beside the published ranking that writes nothing', async () => {
    const page = await session(supervisor.userId, DESKTOP, '/index/rules');
    await page.waitForSelector('.index-rules[data-loaded="true"]');
    expect(await page.locator('tr[data-version]').count()).toBeGreaterThanOrEqual(1);
    expect(await page.isDisabled('button[data-save-rules]')).toBe(true);
    const runsBefore = JSON.stringify(await api(supervisor, 'GET', '/api/index/runs'));
    const rulesBefore = JSON.stringify(await api(supervisor, 'GET', '/api/index/rules'));
    // Stricter: 2 points per working day overdue.
    await page.fill('#rule-deductions-overdueWorkingDay-points', '2');
    // This quarter: the one published above.
    await page.selectOption('#backtest-period', QUARTER);
    await page.click('button[data-backtest]');
    await page.waitForSelector('.backtest-report');
    expect(await page.getAttribute('.backtest-report', 'data-period')).toBe(QUARTER);
    // The candidate ranking beside the published one; 市民政局's score changes and is marked in both.
    expect(await page.locator('[data-side="candidate"] tr[data-unit="unit-a"][data-changed="true"]').count()).toBe(1);
    expect(await page.locator('[data-side="published"] tr[data-unit="unit-a"][data-changed="true"]').count()).toBe(1);
    expect(await page.locator('.index-changes tr[data-unit="unit-a"]').count()).toBe(1);
    expect(await page.isDisabled('button[data-save-rules]')).toBe(false);
    // A change after the backtest asks for a new one before saving.
    await page.fill('#rule-deductions-overdueWorkingDay-points', '1.5');
    expect(await page.isDisabled('button[data-save-rules]')).toBe(true);
    await shot(page, 'rules-backtest');
    expect(await axeSerious(page)).toEqual([]);
    expect(JSON.stringify(await api(supervisor, 'GET', '/api/index/runs'))).toBe(runsBefore);
    expect(JSON.stringify(await api(supervisor, 'GET', '/api/index/rules'))).toBe(rulesBefore);
    await page.close();
    // A unit reads the rules (no editor, no backtest) on its phone.
    const unit = await session(leadA.userId, PHONE, '/index/rules');
    await unit.waitForSelector('.index-rules[data-loaded="true"]');
    expect(await unit.isDisabled('#rule-deductions-overdueWorkingDay-points')).toBe(true);
    expect(await unit.locator('button[data-backtest], button[data-save-rules]').count()).toBe(0);
    await shot(unit, 'rules-unit');
    await unit.close();
  }, 60_000);
});
