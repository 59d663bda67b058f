/**
 * How the console words a refused request: the API's 400 carries a Chinese `message` and the
 * fields at fault with their `reason`s; the message is shown once, and a field's reason only when
 * it adds something the message does not already say. `errorText` (console/src/error-text.ts, used by api.ts) as a
 * function, then once in a real headless Chromium: a due date before the earliest allowed one,
 * refused on the 立项交办 page, shows its reason once in the error box.
 */
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorText } from '../../console/src/error-text';
import { shanghaiDate } from '../../domain/calendar';
import { signToken } from '../../lib/tokens';
import { supervisor } from '../support/actors';
import { startApiStack, TEST_SECRET, type ApiStack } from '../support/api';
import { launchBrowser, screenshot, watchErrors } from '../support/browser';
import { uniqueTaskQueue } from '../support/stack';

const occurrences = (text: string, part: string) => text.split(part).length - 1;

describe('errorText', () => {
  it('does not repeat a reason the message already says', () => {
    const reason = '截止日期不能早于下一个工作日 2026-11-25';
    expect(errorText(`截止日期有误：${reason}`, [reason])).toBe(`截止日期有误：${reason}`);
    // The message is the reason itself (Fastify's client errors, the workflow's refusals).
    expect(errorText('请求体为空', ['请求体为空'])).toBe('请求体为空');
    expect(errorText(reason, [reason])).toBe(reason);
    // Spacing and a closing full stop do not make it new.
    expect(errorText('标题不能为空。', [' 标题不能为空 '])).toBe('标题不能为空。');
  });

  it('adds the reasons that say something new, each once, in order', () => {
    expect(errorText('请求参数有误', ['标题不能为空', '请选择牵头单位'])).toBe(
      '请求参数有误：标题不能为空；请选择牵头单位',
    );
    expect(errorText('请求参数有误', ['标题不能为空', '标题不能为空'])).toBe('请求参数有误：标题不能为空');
    expect(
      errorText('截止日期有误：截止日期不能早于下一个工作日 2026-11-25', [
        '截止日期不能早于下一个工作日 2026-11-25',
        '未知字段“x”',
      ]),
    ).toBe('截止日期有误：截止日期不能早于下一个工作日 2026-11-25：未知字段“x”');
    expect(errorText('请求参数有误', [])).toBe('请求参数有误');
    expect(errorText('请求参数有误', ['', '  '])).toBe('请求参数有误');
  });
});

describe('the console in Chromium', () => {
  let stack: ApiStack;
  let browser: Browser;
  let base = '';

  beforeAll(async () => {
    stack = await startApiStack(uniqueTaskQueue('console-error-text'));
    await stack.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(stack.app.server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('shows a refused due date once: the message, not the same reason again after it', async () => {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
    });
    const page: Page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${base}/items/new`);
    await page.fill('#token', signToken({ userId: supervisor.userId }, TEST_SECRET));
    await page.click('form.card button[type="submit"]');
    await page.waitForSelector('form.new-item');
    await page.fill('#title', '截止日期早于最早可选日期的事项');
    await page.selectOption('#leadUnitId', 'unit-a');
    // Today: the earliest due date is the next working day.
    await page.fill('#dueDate', shanghaiDate(Date.now()));
    await page.click('form.new-item button[type="submit"]');
    await page.waitForSelector('form.new-item .error[role="alert"]');
    const shown = (await page.textContent('form.new-item .error[role="alert"]')) ?? '';
    expect(shown).toMatch(/^截止日期有误：截止日期不能早于下一个工作日 \d{4}-\d{2}-\d{2}$/);
    expect(occurrences(shown, '截止日期不能早于')).toBe(1);
    // At its field, the reason is still given.
    expect(await page.textContent('form.new-item .field-error')).toContain('截止日期不能早于下一个工作日');
    await screenshot(page, 'error-text-due-date');
    await context.close();
    expect(errors).toEqual([]);
  }, 120_000);
});
