/**
 * 规则回测 in a real headless Chromium, on a desktop (1440×900) and on a phone (390×844): the
 * supervisor takes the ladder in force, makes it stricter (红灯 two working days sooner, a second
 * 约谈 after the first), runs it over the month of recorded items and reads the report — the totals
 * per action beside what was recorded, who would have been told, the items whose red light moves
 * — exactly as the API computed it; nothing changes until 应用此规则. On the phone he chooses 不应用
 * (the policies stay as they were); on the desktop he applies it, and the policy in force becomes
 * the stricter ladder. Nothing scrolls sideways; screenshots under test-artifacts/console.
 */
import type { AxeResults } from 'axe-core';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shanghaiDate } from '../../domain/calendar';
import type { Policy } from '../../domain/policy';
import { supervisor } from '../support/actors';
import { bearer, startConsoleStack, type ConsoleStack } from '../support/api';
import { DESKTOP, launchBrowser, newPage, PHONE, screenshot, signIn, type Viewport } from '../support/browser';
import { openOverdue } from '../support/items';
import { DUE } from '../support/dates';
import { uniqueTaskQueue } from '../support/stack';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
let stack: ConsoleStack;
let browser: Browser;
const errors: string[] = [];
const taskQueue = uniqueTaskQueue('console-backtest');
/** Items whose whole closure ladder fired: twelve working days past their deadline. */
const recorded: string[] = [];
const today = shanghaiDate(Date.now());
const monthAgo = new Date(Date.parse(`${today}T00:00:00Z`) - 30 * 86_400_000).toISOString().slice(0, 10);

interface PolicyRow {
  kind: string;
  category: string;
  priority: string;
  version: number;
  policy: Policy;
  inForce: boolean;
}
interface Report {
  items: number;
  totals: { candidate: Record<string, number>; recorded: Record<string, number> };
  byTarget: Array<{ target: string; unitName?: string; candidate: number; recorded: number }>;
  rows: Array<{ itemId: string; change: string }>;
}

const policies = async () =>
  (await stack.app.inject({ method: 'GET', url: '/api/policies', headers: bearer(supervisor) })).json<{
    policies: PolicyRow[];
  }>().policies;

/** The stricter ladder the supervisor builds on the page: 红灯 at +1 instead of +3, a second 约谈 at +6. */
function stricter(policy: Policy): Policy {
  return {
    ...policy,
    ladder: [
      ...policy.ladder.map((r) => (r.key === 'closure-red' ? { ...r, offset: 1 } : r)),
      {
        key: 'closure-interview-2',
        step: 'closure',
        offset: 6,
        action: 'interview',
        targets: ['unit_leader', 'supervisor'],
      },
    ],
  };
}

beforeAll(async () => {
  browser = await launchBrowser();
  stack = await startConsoleStack(taskQueue);
  // Two items past their deadline (every closure rung fired and recorded), one in time (none).
  for (const title of ['背街小巷环境卫生整治', '农贸市场消防安全隐患整改']) {
    const item = await openOverdue(stack, taskQueue, 12, { title }, (i) =>
      (i.deadlines?.fired ?? []).some((f) => f.action === 'accountability'),
    );
    recorded.push(item.id);
  }
  const r = await stack.app.inject({
    method: 'POST',
    url: '/api/items',
    headers: bearer(supervisor),
    payload: { title: '老旧小区加装电梯协调推进', leadUnitId: 'unit-b', dueDate: DUE },
  });
  expect(r.statusCode).toBe(201);
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
  await screenshot(page, `backtest-${width}-${name}`);
}

/** axe-core's serious and critical findings on the page as it is now. */
async function axeSerious(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const result = (await page.evaluate('axe.run()')) as AxeResults;
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.nodes.map((n) => n.target.join(' ')).join(' | ')})`);
}

/** Opens 规则回测 through the navigation (the 菜单 on a phone). */
async function openBacktest(viewport: Viewport): Promise<Page> {
  const page = await newPage(browser, { viewport, errors, axe: true });
  await signIn(page, `${stack.base}/`, supervisor.userId);
  const toggle = page.locator('header.top button[aria-expanded]');
  if (await toggle.isVisible()) await toggle.click();
  await page.click('header.top nav a[href="/backtests"]');
  await page.waitForSelector('.backtest-page[data-loaded="true"]');
  return page;
}

/** Makes the ladder stricter on the page and runs it over the month; the report as the page shows it. */
async function runStricter(page: Page): Promise<void> {
  await page.fill('input[data-offset="closure-red"]', '1');
  await page.click('button[data-add-rung]');
  await page.fill('input[data-offset="closure-interview-2"]', '6');
  await page.fill('#bt-from', monthAgo);
  await page.fill('#bt-to', today);
  await page.click('button[data-run-backtest]');
  await page.waitForSelector('[data-report]');
}

/** The same backtest asked of the API: what the page must show. */
async function apiReport(): Promise<Report> {
  const row = (await policies()).find((p) => p.inForce)!;
  const r = await stack.app.inject({
    method: 'POST',
    url: '/api/backtests/ladder',
    headers: bearer(supervisor),
    payload: { policy: stricter(row.policy), from: monthAgo, to: today },
  });
  expect(r.statusCode, r.body).toBe(200);
  return r.json<Report>();
}

async function expectReport(page: Page): Promise<void> {
  const expected = await apiReport();
  // The stricter ladder fires a second 约谈 on each item past +6 working days, the recorded one once.
  expect(expected.totals.recorded.interview).toBe(recorded.length);
  expect(expected.totals.candidate.interview).toBe(2 * recorded.length);
  for (const action of ['remind', 'urge', 'red', 'interview', 'accountability']) {
    const row = page.locator(`tr[data-total="${action}"]`);
    expect(await row.locator('[data-candidate]').textContent(), action).toBe(String(expected.totals.candidate[action]));
    expect(await row.locator('[data-recorded]').textContent(), action).toBe(String(expected.totals.recorded[action]));
  }
  expect(await page.locator('tr[data-total="interview"]').getAttribute('data-changed')).toBe('true');
  expect(await page.locator('.bt-targets tbody tr').count()).toBe(expected.byTarget.length);
  for (const [change] of [['earlier'], ['later'], ['new'], ['gone']]) {
    const shown = Number(await page.locator(`[data-red-change="${change}"] [data-count]`).textContent());
    expect(shown, change).toBe(expected.rows.filter((r) => r.change === change).length);
  }
  // Each item whose red light moves is listed under its change, with a link to it.
  for (const r of expected.rows.filter((r) => ['earlier', 'later', 'new', 'gone'].includes(r.change)))
    expect(await page.getAttribute(`[data-red-change="${r.change}"] li[data-item="${r.itemId}"] a`, 'href')).toBe(
      `/items/${r.itemId}`,
    );
  expect(await page.textContent('[data-read-only]')).toContain('不改任何数据');
}

describe('规则回测 in Chromium', () => {
  it('on a phone: the supervisor runs a stricter ladder over the month, reads the report, and does not apply it', async () => {
    const before = JSON.stringify(await policies());
    const page = await openBacktest(PHONE);
    await shot(page, 'ladder');
    await runStricter(page);
    await expectReport(page);
    await shot(page, 'report');
    expect(await axeSerious(page)).toEqual([]);
    // Running it changed nothing.
    expect(JSON.stringify(await policies())).toBe(before);
    await page.click('button[data-discard]');
    expect(await page.getAttribute('[role="status"][data-outcome]', 'data-outcome')).toBe('discarded');
    expect(await page.locator('[data-report]').count()).toBe(0);
    // The ladder on the page is the one in force again.
    expect(await page.locator('tr[data-rung="closure-interview-2"]').count()).toBe(0);
    expect(await page.inputValue('input[data-offset="closure-red"]')).toBe('3');
    expect(JSON.stringify(await policies())).toBe(before);
    await page.close();
  }, 90_000);

  it('on a desktop: the same report, then 应用此规则 makes the stricter ladder the policy in force', async () => {
    const inForce = (await policies()).find((p) => p.inForce)!;
    const page = await openBacktest(DESKTOP);
    await runStricter(page);
    await expectReport(page);
    await shot(page, 'report');
    // A change after the run makes the report stale: 应用 waits for a new run.
    await page.fill('input[data-offset="closure-red"]', '2');
    expect(await page.isDisabled('button[data-apply]')).toBe(true);
    await page.fill('input[data-offset="closure-red"]', '1');
    expect(await page.isDisabled('button[data-apply]')).toBe(false);
    page.once('dialog', (d) => void d.accept());
    await page.click('button[data-apply]');
    await page.waitForSelector('[role="status"][data-outcome]');
    const outcome = await page.getAttribute('[role="status"][data-outcome]', 'data-outcome');
    const after = (await policies()).find(
      (p) => p.inForce && p.category === inForce.category && p.priority === inForce.priority,
    )!;
    expect(Number(outcome)).toBe(after.version);
    expect(after.policy.ladder).toEqual(stricter(inForce.policy).ladder);
    await shot(page, 'applied');
    await page.close();
  }, 90_000);

  it('presets end today; a period with no items says so and offers nothing to apply', async () => {
    const page = await openBacktest(DESKTOP);
    // 近一个月 runs up to today: the items opened today are in it.
    await page.click('button[data-preset="近一个月"]');
    expect(await page.inputValue('#bt-from')).toBe(monthAgo);
    expect(await page.inputValue('#bt-to')).toBe(today);
    await page.click('button[data-run-backtest]');
    await page.waitForSelector('[data-report]');
    expect(await page.textContent('[data-report] h2')).toContain(`${monthAgo} 至 ${today}，3 个事项`);
    expect(await page.locator('[data-no-items]').count()).toBe(0);
    // A month long before any item: nothing to compare, so nothing to apply.
    await page.fill('#bt-from', '2020-01-01');
    await page.fill('#bt-to', '2020-01-31');
    await page.click('button[data-run-backtest]');
    await page.waitForSelector('[data-report] h2:has-text("0 个事项")');
    expect(await page.textContent('[data-no-items]')).toContain('所选期间没有事项，回测无从比较');
    expect(await page.locator('button[data-apply]').count()).toBe(0);
    await shot(page, 'no-items');
    await page.close();
  }, 90_000);
});
