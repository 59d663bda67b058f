/**
 * The console's 工作日历 page in a real headless Chromium against the running product: the system
 * administrator enters a year the shipped calendar lacks, previews what it does to the running
 * items (应用 stays disabled until a report for exactly what the form says is shown), meets a 409
 * when the calendar changed since the report, previews again and applies; the item counted in that
 * year then loses its calendar warning and shows the change. A unit's handler gets 无权限; on a
 * phone (390 px) nothing scrolls sideways. Screenshots are saved under test-artifacts/console.
 */
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, parseDate, shanghaiDate } from '../../domain/calendar';
import { signToken } from '../../lib/tokens';
import { admin, leadA, supervisor } from '../support/actors';
import { bearer, startApiStack, TEST_SECRET, type ApiStack } from '../support/api';
import { launchBrowser, screenshot, watchErrors } from '../support/browser';
import { uniqueTaskQueue } from '../support/stack';
import { waitFor } from '../support/wait';

let stack: ApiStack;
let browser: Browser;
let base = '';
const errors: string[] = [];

const weekday = (date: string) => new Date(parseDate(date)).getUTCDay();
/** `date`, or the next Monday to Friday after it. */
function onWeekday(date: string): string {
  while (weekday(date) === 0 || weekday(date) === 6) date = addDays(date, 1);
  return date;
}
/** The first Saturday after `date`. */
function saturdayAfter(date: string): string {
  do date = addDays(date, 1);
  while (weekday(date) !== 6);
  return date;
}

// An item due about seven years from today: in a year the shipped calendar has no data for.
const DUE = onWeekday(addDays(shanghaiDate(Date.now()), 7 * 365));
const YEAR = DUE.slice(0, 4);
// The year entered: the due date becomes a holiday (so the closure deadline moves), a Saturday a working day.
const HOLIDAYS = `${DUE} 测试假日\n${YEAR}-01-01 元旦`;
const WORKDAYS = `${saturdayAfter(addDays(DUE, 14))} 测试调休上班`;
const SOURCE = `国务院办公厅关于${YEAR}年部分节假日安排的通知`;
let itemId = '';

beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('console-calendar'));
  const r = await stack.app.inject({
    method: 'POST',
    url: '/api/items',
    headers: bearer(supervisor),
    payload: { title: '远期事项：城市更新单元规划实施评估', leadUnitId: 'unit-a', dueDate: DUE },
  });
  expect(r.statusCode).toBe(201);
  itemId = r.json<{ item: { id: string } }>().item.id;
  await stack.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(stack.app.server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

async function open(userId: string, at: string, width = 1440, height = 900): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width, height },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  const page = await context.newPage();
  const seen = watchErrors(page);
  page.on('close', () => errors.push(...seen));
  await page.goto(base + at);
  await page.fill('#token', signToken({ userId }, TEST_SECRET));
  await page.click('form.card button[type="submit"]');
  await page.waitForSelector('header.top');
  return page;
}

/** Nothing wider than the screen: no sideways scrolling. */
const fitsWidth = async (page: Page) =>
  page.evaluate('document.documentElement.scrollWidth <= window.innerWidth') as Promise<boolean>;

const calendar = async () =>
  (await stack.app.inject({ method: 'GET', url: '/api/calendar', headers: bearer(admin) })).json<{
    version: string;
    years: Record<string, { holidays: string[]; workdays: string[] }>;
    operatorYears: Array<{ year: number; source: string; updatedBy: string }>;
  }>();

async function fillYear(page: Page): Promise<void> {
  await page.fill('#cal-year', YEAR);
  await page.fill('#cal-source', SOURCE);
  await page.fill('#cal-holidays', HOLIDAYS);
  await page.fill('#cal-workdays', WORKDAYS);
}

const applyButton = (page: Page) => page.locator('button[data-apply]');

describe('工作日历 in Chromium', () => {
  it('shows the supervisor the warning for a deadline counted in a year without calendar data', async () => {
    expect((await calendar()).years[YEAR]).toBeUndefined();
    const page = await open(supervisor.userId, `/items/${itemId}`);
    await page.waitForSelector('.item-page');
    const warning = await page.textContent('[data-calendar-warning]');
    expect(warning).toMatch(/^期限计算涉及尚无节假日数据的年份：.+（按周一至周五计算）$/);
    expect(warning).toContain(YEAR);
    // The list marks the row, and offers 超期办结 next to the other filters.
    await page.goto(`${base}/items`);
    await page.waitForSelector(`tr[data-item="${itemId}"]`);
    expect(await page.locator(`tr[data-item="${itemId}"] [data-calendar-warning]`).count()).toBe(1);
    expect(await page.locator('nav a[href="/calendar"]').count()).toBe(0);
    await page.check('input[name="closedLate"]');
    await page.waitForURL(/closedLate=true/);
    await page.waitForSelector('text=没有符合条件的事项。');
    await page.close();
  }, 60_000);

  it('lets the administrator preview a year, refuses a stale report, and applies it after a new preview', async () => {
    const page = await open(admin.userId, '/calendar');
    await page.waitForSelector('.calendar-page table.calendar-years');
    // The nav offers the page; the shipped years are listed with where they come from.
    expect(await page.locator('nav a[href="/calendar"]').count()).toBe(1);
    expect(await page.textContent('tr[data-year="2026"]')).toContain('随产品发布');
    expect(await page.locator(`tr[data-year="${YEAR}"]`).count()).toBe(0);

    // Nothing to apply before a report.
    expect(await applyButton(page).isDisabled()).toBe(true);
    await fillYear(page);
    expect(await applyButton(page).isDisabled()).toBe(true);

    await page.click('button[data-preview]');
    await page.waitForSelector('[data-impact-summary]');
    expect(await page.textContent('[data-impact-summary]')).toMatch(/检查在办事项 \d+ 项，受影响 1 项/);
    const row = page.locator(`[data-impact-item="${itemId}"]`);
    expect(await row.textContent()).toContain('远期事项：城市更新单元规划实施评估');
    expect(await row.locator('a').getAttribute('href')).toBe(`/items/${itemId}`);
    // The closure deadline moves off the new holiday, worded with the console's labels.
    expect(await row.textContent()).toMatch(new RegExp(`办结销号期限：${DUE} → \\d{4}-\\d{2}-\\d{2}（\\+\\d+ 天）`));
    expect(await row.textContent()).toContain('催办阶梯');
    expect(await applyButton(page).isEnabled()).toBe(true);

    // A change to the form after the report: 应用 waits for a new preview.
    await page.fill('#cal-source', `${SOURCE}（修订）`);
    expect(await applyButton(page).isDisabled()).toBe(true);
    await page.fill('#cal-source', SOURCE);
    expect(await applyButton(page).isEnabled()).toBe(true);

    // Someone changes the calendar meanwhile (another year): the report is stale, the save refused.
    const other = String(Number(YEAR) + 1);
    const changed = await stack.app.inject({
      method: 'PUT',
      url: `/api/calendar/${other}`,
      headers: bearer(admin),
      payload: { holidays: [], workdays: [], source: '测试：另一位管理员' },
    });
    expect(changed.statusCode).toBe(200);
    await applyButton(page).click();
    await page.waitForSelector('[data-preview-again]');
    expect(await page.textContent('.calendar-form .error')).toContain('影响报告已过期');
    expect(await applyButton(page).isDisabled()).toBe(true);
    expect((await calendar()).years[YEAR]).toBeUndefined();

    await page.click('button[data-preview]');
    await page.waitForSelector('[data-impact-summary]');
    expect(await applyButton(page).isEnabled()).toBe(true);
    await screenshot(page, 'calendar-1440');
    await applyButton(page).click();
    await page.waitForSelector(`[data-saved="${YEAR}"]`);
    expect(await page.textContent(`[data-saved="${YEAR}"]`)).toContain(`已保存 ${YEAR} 年`);
    expect(await applyButton(page).isDisabled()).toBe(true);

    const after = await calendar();
    expect(after.years[YEAR]).toEqual({ holidays: [`${YEAR}-01-01`, DUE].sort(), workdays: [WORKDAYS.slice(0, 10)] });
    expect(after.operatorYears.find((y) => String(y.year) === YEAR)).toMatchObject({
      source: SOURCE,
      updatedBy: admin.userId,
    });
    // The list of years in force now has it, with its source and who entered it.
    await page.waitForSelector(`tr[data-year="${YEAR}"]`);
    expect(await page.textContent(`tr[data-year="${YEAR}"]`)).toContain(SOURCE);
    expect(await page.textContent(`tr[data-year="${YEAR}"]`)).toContain(admin.name);
    expect(await fitsWidth(page)).toBe(true);
    await page.close();
  }, 120_000);

  it('rolls the year out: the item loses its warning and shows the calendar change', async () => {
    await waitFor(async () => {
      const r = await stack.app.inject({ method: 'GET', url: `/api/items/${itemId}`, headers: bearer(supervisor) });
      return r.json<{ item: { calendarWarning: boolean } }>().item.calendarWarning === false;
    }, 60_000);
    const page = await open(supervisor.userId, `/items/${itemId}`, 390, 844);
    await page.waitForSelector('[data-deadline-history]');
    expect(await page.locator('[data-calendar-warning]').count()).toBe(0);
    expect(await page.textContent('[data-deadline-history]')).toContain(`办结销号期限：${DUE} →`);
    expect(await fitsWidth(page)).toBe(true);
    await screenshot(page, 'calendar-item-390');
    // The list on a phone: its table scrolls inside its own box, not the page.
    await page.goto(`${base}/items`);
    await page.waitForSelector(`tr[data-item="${itemId}"]`);
    expect(await page.locator(`tr[data-item="${itemId}"] [data-calendar-warning]`).count()).toBe(0);
    expect(await fitsWidth(page)).toBe(true);
    await page.close();
  }, 90_000);

  it('fits a phone: the page, the form and the report (390 px)', async () => {
    const page = await open(admin.userId, '/calendar', 390, 844);
    await page.waitForSelector('.calendar-page table.calendar-years');
    expect(await fitsWidth(page)).toBe(true);
    // A correction of the year just saved: loaded from the list, previewed (nothing moves any more).
    await page.click(`button[data-edit-year="${YEAR}"]`);
    expect(await page.inputValue('#cal-year')).toBe(YEAR);
    await page.fill('#cal-holidays', `${HOLIDAYS}\n${YEAR}-10-01 国庆节`);
    await page.click('button[data-preview]');
    await page.waitForSelector('[data-impact-summary]');
    expect(await fitsWidth(page)).toBe(true);
    // A line that is not `日期 名称` is named by its line before anything is sent.
    await page.fill('#cal-holidays', `${HOLIDAYS}\n十月一日 国庆节`);
    expect(await page.textContent('[data-form-problems]')).toContain('第 3 行');
    expect(await page.locator('button[data-preview]').isDisabled()).toBe(true);
    expect(await applyButton(page).isDisabled()).toBe(true);
    expect(await fitsWidth(page)).toBe(true);
    await screenshot(page, 'calendar-390');
    await page.close();
  }, 60_000);

  it("tells a unit's handler the page is not theirs", async () => {
    const page = await open(leadA.userId, '/calendar', 390, 844);
    await page.waitForSelector('[data-denied]');
    expect(await page.textContent('[data-denied]')).toContain('无权限');
    expect(await page.locator('nav a[href="/calendar"]').count()).toBe(0);
    expect(await page.locator('.calendar-form').count()).toBe(0);
    expect(await fitsWidth(page)).toBe(true);
    await page.close();
    expect(errors).toEqual([]);
  });
});
