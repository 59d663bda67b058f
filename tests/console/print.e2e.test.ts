/**
 * The 督办单 and the 催办通知 in a real headless Chromium: the print route rendered to an A4 PDF
 * by Chromium and read back with pdfjs. The sheet's number, title, units, due date and signature
 * labels are in it; the navigation and the buttons are not. The item page links to it.
 */
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../lib/tokens';
import { supervisor } from '../support/actors';
import { bearer, startApiStack, TEST_SECRET, type ApiStack } from '../support/api';
import { launchBrowser, screenshot, watchErrors } from '../support/browser';
import { DUE } from '../support/dates';
import { pdfText } from '../support/pdf';
import { uniqueTaskQueue } from '../support/stack';

let stack: ApiStack;
let browser: Browser;
let base = '';
let itemId = '';
let number = '';
const errors: string[] = [];
const TITLE = '某小区消防通道长期被占用';

beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('console-print'));
  const r = await stack.app.inject({
    method: 'POST',
    url: '/api/items',
    headers: bearer(supervisor),
    payload: {
      title: TITLE,
      description: '专项督查发现：3号楼消防通道堆放杂物，影响应急疏散',
      category: 'inspection',
      priority: 'high',
      source: '2026年消防安全专项督查',
      leadUnitId: 'unit-a',
      coUnitIds: ['unit-c'],
      dueDate: DUE,
    },
  });
  expect(r.statusCode, r.body).toBe(201);
  itemId = r.json<{ item: { id: string } }>().item.id;
  const detail = await stack.app.inject({ method: 'GET', url: `/api/items/${itemId}`, headers: bearer(supervisor) });
  number = detail.json<{ item: { number: string } }>().item.number;
  await stack.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(stack.app.server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

async function open(at: string, width = 1440, height = 900): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width, height },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  const page = await context.newPage();
  const seen = watchErrors(page);
  page.on('close', () => errors.push(...seen));
  await page.goto(base + at);
  await page.fill('#token', signToken({ userId: supervisor.userId }, TEST_SECRET));
  await page.click('form.card button[type="submit"]');
  await page.waitForSelector('header.top');
  return page;
}

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
});
