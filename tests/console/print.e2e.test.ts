/**
 * The 督办单 and the 催办通知 in a real headless Chromium: the print route rendered to an A4 PDF
 * by Chromium and read back with pdfjs. The sheet's number, title, units, due date and signature
 * labels are in it; the navigation and the buttons are not. The item page links to it.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shanghaiDate, shiftWorkingDays } from '../../domain/calendar';
import { currentCalendar } from '../../lib/calendar-store';
import { itemWorkflowId } from '../../workflows/ids';
import { itemQuery } from '../../workflows/messages';
import { supervisor } from '../support/actors';
import { bearer, startConsoleStack, type ConsoleStack } from '../support/api';
import { DESKTOP, launchBrowser, screenshot, signedInPage } from '../support/browser';
import { DUE } from '../support/dates';
import { open as openOnWorkflow, spec } from '../support/items';
import { pdfText } from '../support/pdf';
import { uniqueTaskQueue } from '../support/stack';

let stack: ConsoleStack;
const taskQueue = uniqueTaskQueue('console-print');
let browser: Browser;
let itemId = '';
let number = '';
const errors: string[] = [];
const TITLE = '某小区消防通道长期被占用';

beforeAll(async () => {
  stack = await startConsoleStack(taskQueue);
  const r = await stack.app.inject({
    method: 'POST',
    url: '/api/items',
    headers: bearer(supervisor),
    payload: spec({
      title: TITLE,
      description: '专项督查发现：3号楼消防通道堆放杂物，影响应急疏散',
      priority: 'high',
      source: '2026年消防安全专项督查',
      coUnitIds: ['unit-c'],
    }),
  });
  expect(r.statusCode, r.body).toBe(201);
  itemId = r.json<{ item: { id: string } }>().item.id;
  const detail = await stack.app.inject({ method: 'GET', url: `/api/items/${itemId}`, headers: bearer(supervisor) });
  number = detail.json<{ item: { number: string } }>().item.number;
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const open = (at: string) => signedInPage(browser, stack.base + at, supervisor.userId, { viewport: DESKTOP, errors });

/** 2026-12-31 as the sheet writes it. */
const cnDate = (d: string) => `${d.slice(0, 4)}年${Number(d.slice(5, 7))}月${Number(d.slice(8, 10))}日`;

describe('the 督办单', () => {
  it('is linked from the item page, which shows the number', async () => {
    const page = await open(`/items/${itemId}`);
    await page.waitForSelector('[data-item-number]');
    expect(await page.locator('[data-item-number]').textContent()).toBe(number);
    await page.click('text=打印督办单');
    await page.waitForSelector('[data-print-number]');
    expect(new URL(page.url()).pathname).toBe(`/items/${itemId}/print`);
    await page.close();
  });

  it('prints to an A4 PDF with its number, title, units, due date and signature blocks, and no navigation or buttons', async () => {
    const page = await open(`/items/${itemId}/print`);
    await page.waitForSelector('[data-print-number]');
    await screenshot(page, 'print-item');
    const text = (await pdfText(await page.pdf({ format: 'A4' }))).replace(/\s+/g, '');
    expect(number).toMatch(/^督〔\d{4}〕\d+号$/);
    for (const expected of [
      '督查室',
      '督办单',
      number,
      TITLE,
      '市民政局',
      '市公安局',
      cnDate(DUE),
      '承办单位负责人签字',
      '督查室审核',
      '日期',
      '专项督查发现',
      '督办要求',
    ])
      expect(text, expected).toContain(expected);
    for (const absent of ['督查总览', '事项列表', '立项交办', '退出', '打印', '返回事项', '改为催办通知'])
      expect(text, absent).not.toContain(absent);
    // On a phone the sheet fits the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await page.close();
  });

  it('prints a 督办通知 to the lead unit (催办通知 once someone has urged)', async () => {
    const page = await open(`/items/${itemId}/print?kind=urge`);
    await page.waitForSelector('[data-print-number]');
    const text = (await pdfText(await page.pdf({ format: 'A4' }))).replace(/\s+/g, '');
    expect(text).toContain('督办通知');
    expect(text).toContain('市民政局：');
    expect(text).toContain(number);
    expect(text).toContain(TITLE);
    expect(text).not.toContain('改为督办单');
    await page.close();
    expect(errors).toEqual([]);
  });

  it('tells an overdue item it is overdue by how much, and addresses only the units the latest 催办 named', async () => {
    // Opened on its workflow 4 working days past its deadline (the API refuses past due dates).
    const cal = await currentCalendar(stack.db);
    const dueDate = shiftWorkingDays(cal, shanghaiDate(Date.now()), -4).date;
    const item = await openOnWorkflow(stack.t.client, taskQueue, {
      title: '河道垃圾清理',
      leadUnitId: 'unit-a',
      coUnitIds: ['unit-c'],
      dueDate,
    });
    const handle = stack.t.client.workflow.getHandle(itemWorkflowId(item.id));
    const end = Date.now() + 20_000;
    while ((await handle.query(itemQuery)).deadlines!.light !== 'red') {
      if (Date.now() > end) throw new Error('the item did not turn red');
      await new Promise((r) => setTimeout(r, 100));
    }
    await handle.executeUpdate('recorded', { args: [] });
    const urged = await stack.app.inject({
      method: 'POST',
      url: `/api/items/${item.id}/urge`,
      headers: bearer(supervisor),
      payload: { text: '请尽快签收办理', unitIds: ['unit-a'] },
    });
    expect(urged.statusCode, urged.body).toBe(200);
    const sla = await stack.app.inject({
      method: 'GET',
      url: `/api/items/${item.id}/deadline-timeline`,
      headers: bearer(supervisor),
    });
    const closure = sla
      .json<{ bars: Array<{ stage: string; deadline: string; overdueWorkingDays: number }> }>()
      .bars.find((b) => b.stage === 'closure')!;
    expect(closure.overdueWorkingDays).toBeGreaterThan(0);

    const page = await open(`/items/${item.id}/print?kind=urge`);
    await page.waitForSelector('[data-print-demand]');
    const text = (await pdfText(await page.pdf({ format: 'A4' }))).replace(/\s+/g, '');
    expect(text).toContain(
      `该事项已于${cnDate(closure.deadline)}到期，已逾期${closure.overdueWorkingDays}个工作日，请立即办结并报送整改情况`,
    );
    expect(text).not.toContain('前办结');
    // The urge named the lead unit alone: the co-unit is not asked to help.
    expect(text).not.toContain('请积极配合');
    expect(text).not.toContain('市公安局');
    await page.close();
  }, 90_000);

  it('offers no 催办通知 for an item that is over, only the 督办单', async () => {
    const r = await stack.app.inject({
      method: 'POST',
      url: '/api/items',
      headers: bearer(supervisor),
      payload: spec({ title: '已撤销的事项' }),
    });
    expect(r.statusCode, r.body).toBe(201);
    const id = r.json<{ item: { id: string } }>().item.id;
    const w = await stack.app.inject({
      method: 'POST',
      url: `/api/items/${id}/withdraw`,
      headers: bearer(supervisor),
      payload: { reason: '重复立项' },
    });
    expect(w.statusCode, w.body).toBe(200);
    const page = await open(`/items/${id}`);
    await page.waitForSelector('.item-page[data-status="withdrawn"]');
    expect(await page.locator('.print-links a', { hasText: '打印督办单' }).count()).toBe(1);
    expect(await page.locator('.print-links a', { hasText: '打印催办通知' }).count()).toBe(0);
    await page.close();
  });
});
