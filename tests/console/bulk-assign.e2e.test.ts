/**
 * 批量交办 in a real headless Chromium against the real stack: the supervisor downloads nothing
 * by hand — the test fills the API's own template like an office would (a unit an administrator
 * added, its name with full-width brackets written with half-width ones), uploads it as .xlsx,
 * and sees the one bad row and its field with the reason, nothing opened; fixes the cell in the
 * page and submits: the whole list is opened, and its page shows the progress. Also at 390 px:
 * no sideways scroll, the checked rows readable. Screenshots under test-artifacts/console.
 */
import ExcelJS from 'exceljs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { supervisor } from '../support/actors';
import { addBracketedUnit, bearer, startConsoleStack, type ConsoleStack } from '../support/api';
import {
  axeViolations,
  DESKTOP,
  fitsWidth,
  launchBrowser,
  PHONE,
  screenshot,
  signedInPage,
  smallTargets,
  type Viewport,
} from '../support/browser';
import { DUE } from '../support/dates';
import { uniqueTaskQueue } from '../support/stack';
import { waitFor } from '../support/wait';

let stack: ConsoleStack;
let browser: Browser;
let file: Buffer;
const errors: string[] = [];

beforeAll(async () => {
  stack = await startConsoleStack(uniqueTaskQueue('console-bulk-assign'));
  await addBracketedUnit(stack.app);
  // The template as the console offers it, filled in: three problems, the second naming no unit there is.
  const template = await stack.app.inject({
    method: 'GET',
    url: '/api/problem-lists/template',
    headers: bearer(supervisor),
  });
  expect(template.statusCode).toBe(200);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(template.rawPayload as unknown as ArrayBuffer);
  const ws = wb.getWorksheet('问题清单')!;
  ws.addRow([
    '1',
    '清理小区消防通道',
    '',
    '群众反映',
    '紧急',
    '市住房和城乡建设局(市人防办)',
    '市民政局',
    '15个工作日',
  ]);
  ws.addRow(['2', '整治背街小巷占道经营', '', '', '', '市城管局', '', DUE]);
  ws.addRow(['3', '修复损坏路灯', '', '', '一般', '市民政局', '市财政局、市公安局', DUE]);
  file = Buffer.from(await wb.xlsx.writeBuffer());
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  expect(errors).toEqual([]);
});

const signedIn = (viewport: Viewport) =>
  signedInPage(browser, `${stack.base}/problem-lists`, supervisor.userId, {
    viewport,
    errors,
    axe: true,
    ready: '#list-file',
  });

const upload = (page: Page) =>
  page.setInputFiles('#list-file', {
    name: '十一月问题清单.xlsx',
    mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    buffer: file,
  });

describe('批量交办 from an .xlsx', () => {
  it('shows the bad row and field with the reason and opens nothing; fixed in the page, opens the whole list', async () => {
    const page = await signedIn(DESKTOP);
    // The nav leads here for the supervisor.
    expect(await page.locator('nav[aria-label="主导航"] a[href="/problem-lists"]').textContent()).toBe('批量交办');
    await page.fill('#list-title', '十一月问题清单');
    await upload(page);
    await page.waitForSelector('.check-row.has-errors');

    // Every row checked, numbered as the spreadsheet numbers them (title, note, header, example above).
    expect(await page.locator('.check-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-row')))).toEqual([
      '5',
      '6',
      '7',
    ]);
    const bad = page.locator('.check-row.has-errors');
    expect(await bad.count()).toBe(1);
    expect(await bad.getAttribute('data-row')).toBe('6');
    const cell = bad.locator('[data-field="leadUnitId"]');
    expect(await cell.getAttribute('class')).toContain('invalid');
    expect(await cell.locator('label').textContent()).toBe('牵头单位（必填）');
    expect(await cell.locator('.field-error').textContent()).toContain('市城管局');
    expect(await page.getAttribute('#r6-leadUnitId', 'aria-invalid')).toBe('true');
    expect(await page.locator('[role="alert"]').first().textContent()).toContain('1 行有误');
    // The unit with full-width brackets, written with half-width ones, was found: row 5 passed.
    expect(await page.locator('.check-row[data-row="5"] .field-error').count()).toBe(0);
    await screenshot(page, 'bulk-assign-1440-errors');
    expect(await stack.db.item.count()).toBe(0);
    expect(await stack.db.problemList.count()).toBe(0);

    // Fixed in place, checked again, submitted.
    await page.fill('#r6-leadUnitId', '市公安局');
    await page.click('button:has-text("重新检查")');
    await page.waitForSelector('.check-result .notice.good');
    expect(await page.locator('.check-row.has-errors').count()).toBe(0);
    expect(await stack.db.item.count()).toBe(0);
    await page.click('button:has-text("提交交办")');
    await page.waitForURL(/\/problem-lists\/L[0-9A-F]+$/);
    const items = await waitFor(async () => {
      const found = await stack.db.item.findMany({ orderBy: { id: 'asc' } });
      return found.length === 3 ? found : null;
    });
    expect(items.map((i) => [i.title, i.leadUnitId])).toEqual([
      ['清理小区消防通道', 'unit-zj'],
      ['整治背街小巷占道经营', 'unit-c'],
      ['修复损坏路灯', 'unit-a'],
    ]);
    expect(new Set(items.map((i) => i.problemListId)).size).toBe(1);

    // The list's page: its progress, refreshed until every item is recorded.
    await page.waitForSelector('[data-figure="问题总数"]');
    expect(await page.locator('h1').textContent()).toBe('十一月问题清单');
    for (let i = 0; i < 50 && (await page.locator('[data-figure="已立项"]').textContent()) !== '3'; i++) {
      await page.click('button:has-text("刷新")');
      await page.waitForTimeout(200);
    }
    expect(await page.locator('[data-figure="问题总数"]').textContent()).toBe('3');
    expect(await page.locator('[data-figure="已立项"]').textContent()).toBe('3');
    expect(await page.locator('[data-figure="已签收"]').textContent()).toBe('0');
    expect(await page.locator('[data-figure="已销号"]').textContent()).toBe('0');
    expect(await page.locator('label[for="list-closed"]').textContent()).toContain('0/3');
    await screenshot(page, 'bulk-assign-1440-list');

    // The list's items, exported from the items list as Excel under a Chinese name, read back.
    await page.click('text=查看清单中的事项');
    await page.waitForSelector('button:has-text("导出 Excel")');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('button:has-text("导出 Excel")')]);
    expect(download.suggestedFilename()).toMatch(/^督办事项清单-\d{8}\.xlsx$/);
    const exported = new ExcelJS.Workbook();
    await exported.xlsx.readFile((await download.path())!);
    const sheet = exported.worksheets[0]!;
    expect(sheet.getCell('A1').value).toBe('督办事项清单');
    const titles: unknown[] = [];
    sheet.eachRow((row, n) => void (n > 3 && titles.push(row.getCell(2).value)));
    expect(titles.sort()).toEqual(['修复损坏路灯', '整治背街小巷占道经营', '清理小区消防通道'].sort());
    await page.context().close();
  }, 180_000);

  it('fits a phone: the checked rows one under another, no sideways scroll, large targets', async () => {
    const page = await signedIn(PHONE);
    expect(await fitsWidth(page)).toBe(true);
    await upload(page);
    await page.waitForSelector('.check-row');
    expect(await fitsWidth(page)).toBe(true);
    // The list opened by the first test is listed with its progress.
    expect(await page.locator('.list-progress li').first().textContent()).toContain('已立项 3/3');
    const input = await page.locator('#r5-title').boundingBox();
    expect(input!.width).toBeGreaterThan(280);
    for (const name of ['重新检查', '提交交办']) {
      const box = await page.locator(`button:has-text("${name}")`).boundingBox();
      expect(box!.height, name).toBeGreaterThanOrEqual(44);
    }
    // Every control on the phone at least 44 × 44 px, and axe-core finds nothing, with the errors shown.
    await page.fill('#r6-leadUnitId', '');
    await page.click('button:has-text("重新检查")');
    await page.waitForSelector('.check-row.has-errors');
    expect(await smallTargets(page, 'main button, main input, main select, main a')).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'bulk-assign-390');
    await page.context().close();
  }, 120_000);
});
