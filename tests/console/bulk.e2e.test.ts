/**
 * Bulk actions on the item list in a real headless Chromium, on a phone (390×844) and on a
 * desktop (1440×900): the supervisor ticks items (one of them withdrawn), opens 批量催办, writes
 * the text, previews (将执行 2, 跳过 1 with its reason), runs it and sees each item's result; then,
 * on a filtered list, 对筛选结果操作 批量撤销: an empty reason is shown on its field, the preview
 * skips the closed item, the run withdraws the others. Every tick is at least 44×44 px, nothing
 * scrolls sideways, axe-core finds nothing serious on the preview and the results. A screenshot at
 * each step (test-artifacts/console/bulk-<width>-*.png).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../domain/actors';
import { coC, leadB, supervisor, verifier } from '../support/actors';
import { bearer, startConsoleStack, type ConsoleStack } from '../support/api';
import { axeViolations, DESKTOP, launchBrowser, PHONE, shot, signedInPage, type Viewport } from '../support/browser';
import { DUE } from '../support/dates';
import { uniqueTaskQueue } from '../support/stack';

let stack: ConsoleStack;
let browser: Browser;
const errors: string[] = [];

/** Per screen width: items to urge (the last one withdrawn), and a unit whose items are withdrawn by filter (the first one closed). */
const items: Record<number, { urge: string[]; unit: string; byFilter: string[] }> = {};
const long = '关于推进城镇老旧小区改造中加装电梯和消防通道清理的专项督查事项';

async function api(actor: Actor, url: string, payload: object = {}) {
  const r = await stack.app.inject({ method: 'POST', url, headers: bearer(actor), payload });
  if (r.statusCode >= 300) throw new Error(`POST ${url}: ${r.statusCode} ${r.body}`);
  return r.json<{ item: { id: string } }>();
}
const openItem = async (title: string, leadUnitId: string) =>
  (await api(supervisor, '/api/items', { title, leadUnitId, dueDate: DUE })).item.id;

async function close(id: string, lead: Actor) {
  await api(lead, `/api/items/${id}/sign`);
  await api(lead, `/api/items/${id}/filePlan`, { plan: '整改方案' });
  await api(lead, `/api/items/${id}/submit`, { summary: '已整改完毕' });
  await api(verifier, `/api/items/${id}/verifyPass`);
}

beforeAll(async () => {
  browser = await launchBrowser();
  stack = await startConsoleStack(uniqueTaskQueue('console-bulk'));

  for (const [size, unit, lead] of [
    [PHONE, 'unit-b', leadB],
    [DESKTOP, 'unit-c', coC],
  ] as const) {
    const w = size.width;
    const urge = await Promise.all([1, 2, 3].map((n) => openItem(`${long}（催办 ${n}，${w}）`, 'unit-a')));
    await api(supervisor, `/api/items/${urge[2]}/withdraw`, { reason: '重复立项' });
    const byFilter = await Promise.all([1, 2, 3].map((n) => openItem(`撤销事项 ${n}（${w}）`, unit)));
    await close(byFilter[0]!, lead);
    items[w] = { urge, unit, byFilter };
  }
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const session = (size: Viewport, at: string) =>
  signedInPage(browser, stack.base + at, supervisor.userId, { viewport: size, errors, axe: true });

const urges = (ids: string[]) => stack.db.itemEvent.count({ where: { itemId: { in: ids }, action: 'urge' } });

describe.each([PHONE, DESKTOP])('bulk actions at %o', (size) => {
  const w = size.width;
  let page: Page;

  it('批量催办 on ticked items: preview, run, per-item results', async () => {
    const { urge } = items[w]!;
    page = await session(size, '/items');
    await page.waitForSelector(`[data-pick="${urge[0]}"]`);
    for (const id of urge) {
      const box = (await page.locator(`tr[data-item="${id}"] label.pick-hit`).boundingBox())!;
      expect(box.width, 'tick hit area').toBeGreaterThanOrEqual(44);
      expect(box.height, 'tick hit area').toBeGreaterThanOrEqual(44);
      // A tap on the tick's box, not only on the little square, ticks it.
      await page.locator(`tr[data-item="${id}"] label.pick-hit`).click({ position: { x: 4, y: 4 } });
    }
    expect(await page.textContent('[data-selected-count]')).toBe('3');
    // The 编号 column cites the 督办编号, the system id only small beside it; the search says what it covers.
    const numberCell = (await page.textContent(`tr[data-item="${urge[0]}"] [data-item-number]`))!;
    expect(numberCell).toMatch(/^督〔\d{4}〕\d+号/);
    expect(await page.textContent(`tr[data-item="${urge[0]}"] [data-item-number] .item-id`)).toBe(urge[0]);
    expect(await page.getAttribute('input[name="q"]', 'placeholder')).toBe('搜索编号、标题、内容、单位或人员');
    await shot(page, 'bulk', 'selected');

    await page.click('button[data-bulk-open="urge"]');
    await page.fill('#bulk-urge-text', '请于本周五前反馈整改进展');
    await page.click('button[data-bulk-preview]');
    await page.waitForSelector('[data-bulk-previewed]');
    expect(await page.textContent('[data-will-apply]')).toBe('2');
    expect(await page.textContent('[data-skipped]')).toBe('1');
    const skipped = page.locator(`.bulk-outcomes tr[data-item="${urge[2]}"]`);
    expect(await skipped.getAttribute('data-outcome')).toBe('skipped');
    expect(await skipped.textContent()).toContain('当前状态“已撤销”不能催办');
    expect(await urges(urge)).toBe(0);
    await shot(page, 'bulk', 'urge-preview');
    expect(await axeViolations(page, { seriousOnly: true })).toEqual([]);

    await page.click('button[data-bulk-run]');
    await page.waitForSelector('[data-bulk-result]');
    expect(await page.textContent('[data-applied]')).toBe('2');
    // Every previewed item is in the result: the one the preview skipped too, with its reason.
    expect(await page.textContent('[data-result-skipped]')).toBe('1');
    expect(await page.locator('[data-bulk-result] .bulk-outcomes tbody tr').count()).toBe(3);
    for (const id of urge.slice(0, 2))
      expect(await page.locator(`.bulk-outcomes tr[data-item="${id}"]`).getAttribute('data-outcome')).toBe('applied');
    const skippedAfter = page.locator(`[data-bulk-result] .bulk-outcomes tr[data-item="${urge[2]}"]`);
    expect(await skippedAfter.getAttribute('data-outcome')).toBe('skipped');
    expect(await skippedAfter.textContent()).toContain('预览时已跳过：当前状态“已撤销”不能催办');
    expect(await urges(urge)).toBe(2);
    await shot(page, 'bulk', 'urge-result');
    expect(await axeViolations(page, { seriousOnly: true })).toEqual([]);

    await page.click('[data-bulk-result] button.primary');
    await page.waitForFunction("document.querySelector('[data-selected-count]')?.textContent === '0'");
    expect(await page.locator('[data-bulk-result]').count()).toBe(0);
  });

  it('对筛选结果操作 批量撤销: the field’s error, then a preview that skips the closed item, then the run', async () => {
    const { unit, byFilter } = items[w]!;
    await page.goto(`${stack.base}/items?unit=${unit}`);
    await page.waitForSelector(`[data-pick="${byFilter[2]}"]`);
    await page.check('input[name="bulk-scope"][value="filter"]');
    await page.click('button[data-bulk-open="withdraw"]');
    await page.click('button[data-bulk-preview]');
    expect(await page.textContent('[data-bulk-action="withdraw"] .field-error')).toContain('撤销原因');
    await page.fill('#bulk-withdraw-reason', '任务调整，统一撤销');
    await page.click('button[data-bulk-preview]');
    await page.waitForSelector('[data-bulk-previewed]');
    expect(await page.textContent('[data-will-apply]')).toBe('2');
    expect(await page.locator(`.bulk-outcomes tr[data-item="${byFilter[0]}"]`).textContent()).toContain(
      '当前状态“已销号”不能撤销',
    );
    await shot(page, 'bulk', 'withdraw-preview');

    await page.click('button[data-bulk-run]');
    await page.waitForSelector('[data-bulk-result]');
    expect(await page.textContent('[data-applied]')).toBe('2');
    expect(await page.locator(`.bulk-outcomes tr[data-item="${byFilter[1]}"]`).textContent()).toContain('已撤销');
    // The list below shows them as they are now.
    await page.locator(`table.items tr[data-item="${byFilter[1]}"] .status-withdrawn`).waitFor();
    await shot(page, 'bulk', 'withdraw-result');
    const rows = await stack.db.item.findMany({ where: { id: { in: byFilter } }, select: { id: true, status: true } });
    const status = Object.fromEntries(rows.map((r) => [r.id, r.status]));
    expect(byFilter.map((id) => status[id])).toEqual(['closed', 'withdrawn', 'withdrawn']);
  });
});

afterAll(() => {
  expect(errors, 'script errors in the console').toEqual([]);
});
