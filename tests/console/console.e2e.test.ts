/**
 * The console in a real headless Chromium against the running product (API, worker, Temporal,
 * PostgreSQL): the closed loop of one item done by clicking, as a supervisor and a unit would,
 * with a return and a resubmission; a foreign unit sees nothing of it. Screenshots of the
 * dashboard, the item page and the unit inbox are saved under test-artifacts/console.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, shanghaiDate } from '../../domain/calendar';
import { signToken } from '../../lib/tokens';
import { leadA, outsider, supervisor, coC } from '../support/actors';
import { bearer, startApiStack, TEST_SECRET, type ApiStack } from '../support/api';
import { launchBrowser, screenshot, watchErrors } from '../support/browser';
import { pdf } from '../support/files';
import { uniqueTaskQueue } from '../support/stack';

let stack: ApiStack;
let browser: Browser;
let base = '';
const errors: string[] = [];
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('console'), {
    demoSignIn: { users: [supervisor, leadA, coC], secret: TEST_SECRET },
  });
  await stack.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(stack.app.server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
  // Two more items for the unit, one already signed (its next deadline is the plan's), so the inbox has an order to show.
  for (const [i, due] of [
    [1, 20],
    [2, 90],
  ] as const) {
    const r = await stack.app.inject({
      method: 'POST',
      url: '/api/items',
      headers: bearer(supervisor),
      payload: {
        title: `背景事项${i}：社区养老服务设施补短板`,
        leadUnitId: 'unit-a',
        dueDate: addDays(shanghaiDate(Date.now()), due),
      },
    });
    if (i === 2)
      await stack.app.inject({
        method: 'POST',
        url: `/api/items/${r.json().item.id}/sign`,
        headers: bearer(leadA),
        payload: {},
      });
  }
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: 1400, height: 900 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  contexts.push(context);
  const page = await context.newPage();
  const seen = watchErrors(page);
  page.on('close', () => errors.push(...seen));
  return page;
}

/** Signs in by picking a demo user from the list on the sign-in page. */
async function signInAsDemo(page: Page, userId: string, at = '/'): Promise<void> {
  await page.goto(base + at);
  await page.click(`.demo-users button[data-user="${userId}"]`);
  await page.waitForSelector('header.top');
}

/** Signs in by pasting a token, as with a token from the SSO or `npm run user -- token`. */
async function signInWithToken(page: Page, userId: string, at = '/'): Promise<void> {
  await page.goto(base + at);
  await page.fill('#token', signToken({ userId }, TEST_SECRET));
  await page.click('form.card button[type="submit"]');
  await page.waitForSelector('header.top');
}

async function doAction(
  page: Page,
  action: string,
  fill: (form: ReturnType<Page['locator']>) => Promise<void> = async () => {},
): Promise<void> {
  const before = await page.locator('.timeline > li').count();
  const form = page.locator(`form.action-form[data-action="${action}"]`);
  if ((await form.count()) === 0) await page.click(`button[data-open-action="${action}"]`);
  await fill(form);
  await form.locator('button[type="submit"]').click();
  // Done when the timeline has grown by the new event.
  await page.locator('.timeline > li').nth(before).waitFor();
}

const status = (page: Page) => page.locator('.item-page').getAttribute('data-status');

describe('the console, clicked through in Chromium', () => {
  let itemId = '';
  let supervisorPage: Page;
  let unitPage: Page;
  const title = `整治老旧小区消防通道占用问题 ${Date.now().toString(36)}`;

  it('a supervisor signs in from the demo list, sees the dashboard, and opens and assigns an item', async () => {
    supervisorPage = await newPage();
    await signInAsDemo(supervisorPage, supervisor.userId);
    await supervisorPage.waitForSelector('.dashboard canvas');
    expect(await supervisorPage.textContent('header.top .who')).toContain(supervisor.name);

    await supervisorPage.click('header.top nav a[href="/items/new"]');
    await supervisorPage.selectOption('#leadUnitId', 'unit-a');
    const due = addDays(shanghaiDate(Date.now()), 60);
    await supervisorPage.fill('#dueDate', due);
    // Sent without a title: the refusal names the field, at the field and above the form, and what was typed stays.
    await supervisorPage.click('form.new-item button[type="submit"]');
    await supervisorPage.waitForSelector('.field-error');
    expect(await supervisorPage.textContent('.error')).toContain('事项标题');
    expect(await supervisorPage.textContent('.field-error')).toContain('事项标题：不能为空');
    expect(await supervisorPage.inputValue('#leadUnitId')).toBe('unit-a');
    expect(await supervisorPage.inputValue('#dueDate')).toBe(due);

    await supervisorPage.fill('#title', title);
    await supervisorPage.fill('#description', '对辖区老旧小区消防通道占用问题开展专项整治，建立长效管理机制。');
    await supervisorPage.click('form.new-item button[type="submit"]');
    await supervisorPage.waitForSelector('.item-page');
    itemId = decodeURIComponent(new URL(supervisorPage.url()).pathname.split('/').pop()!);
    expect(itemId).toMatch(/^I[0-9A-F]{11}$/);
    expect(await status(supervisorPage)).toBe('assigned');
    expect(await supervisorPage.textContent('h1')).toContain(title);
  });

  it('the unit finds it in its inbox, signs, files a plan with a file and submits evidence', async () => {
    unitPage = await newPage();
    await signInWithToken(unitPage, leadA.userId);
    expect(new URL(unitPage.url()).pathname).toBe('/inbox');
    const row = unitPage.locator(`table.inbox tr[data-item="${itemId}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('签收');
    expect(await row.textContent()).toMatch(/剩 \d+ 个工作日|今天到期/);
    // Most urgent first: the working days left never decrease down the list.
    const days = await unitPage.locator('table.inbox td.days').allTextContents();
    const left = days.map((d) =>
      d.startsWith('已超期') ? -Number(d.match(/\d+/)![0]) : d === '今天到期' ? 0 : Number(d.match(/\d+/)![0]),
    );
    expect(left.length).toBeGreaterThanOrEqual(3);
    expect([...left].sort((a, b) => a - b)).toEqual(left);
    await screenshot(unitPage, 'unit-inbox');

    await row.locator('a').click();
    await unitPage.waitForSelector('.item-page');
    await doAction(unitPage, 'sign', (f) => f.locator('textarea[name="note"]').fill('已签收，由社区科牵头办理'));
    expect(await status(unitPage)).toBe('signed');

    const dir = os.tmpdir();
    const planFile = path.join(dir, '整改方案.pdf');
    await writeFile(planFile, pdf(`plan-${itemId}`));
    await doAction(unitPage, 'filePlan', async (f) => {
      await f.locator('textarea[name="plan"]').fill('一、全面排查；二、清理占用；三、建立巡查制度。');
      await f.locator('input[type="file"]').setInputFiles(planFile);
    });
    expect(await status(unitPage)).toBe('rectifying');

    const evidenceFile = path.join(dir, '整改前后对比.pdf');
    await writeFile(evidenceFile, pdf(`evidence-1-${itemId}`));
    await doAction(unitPage, 'submit', async (f) => {
      await f.locator('textarea[name="summary"]').fill('已清理占用通道 12 处，设置警示标识 30 块。');
      await f.locator('input[type="file"]').setInputFiles(evidenceFile);
    });
    expect(await status(unitPage)).toBe('verifying');
    expect(await unitPage.locator('.timeline li[data-action="submit"]').textContent()).toContain('整改前后对比.pdf');
  });

  it('the supervisor returns it with a reason (an empty reason is refused in words)', async () => {
    await supervisorPage.goto(`${base}/items/${itemId}`);
    await supervisorPage.waitForSelector('.item-page[data-status="verifying"]');
    expect(await supervisorPage.textContent('.timeline li[data-action="submit"]')).toContain('整改前后对比.pdf');
    await supervisorPage.click('button[data-open-action="verifyReturn"]');
    const form = supervisorPage.locator('form.action-form[data-action="verifyReturn"]');
    await form.locator('button[type="submit"]').click();
    await form.locator('.field-error').waitFor();
    expect(await form.locator('.field-error').textContent()).toContain('不能为空');
    expect(await status(supervisorPage)).toBe('verifying');

    await doAction(supervisorPage, 'verifyReturn', (f) =>
      f.locator('textarea[name="reasons"]').fill('3 号楼通道仍有电动车停放，请补充整改照片。'),
    );
    expect(await status(supervisorPage)).toBe('rectifying');
  });

  it('the unit sees the return and its reason, and resubmits', async () => {
    await unitPage.goto(`${base}/inbox`);
    const row = unitPage.locator(`table.inbox tr[data-item="${itemId}"]`);
    await row.waitFor();
    expect(await row.locator('.returned').textContent()).toContain('3 号楼通道仍有电动车停放');
    await row.locator('a').click();
    await unitPage.waitForSelector('.item-page[data-status="rectifying"]');
    expect(await unitPage.textContent('[data-last-return]')).toContain('3 号楼通道仍有电动车停放');

    const evidenceFile = path.join(os.tmpdir(), '补充整改照片.pdf');
    await writeFile(evidenceFile, pdf(`evidence-2-${itemId}`));
    await doAction(unitPage, 'submit', async (f) => {
      await f.locator('textarea[name="summary"]').fill('3 号楼电动车已全部清理，增设充电车棚。');
      await f.locator('input[type="file"]').setInputFiles(evidenceFile);
    });
    expect(await status(unitPage)).toBe('verifying');
  });

  it('the supervisor closes it; the timeline shows every step, with who and what', async () => {
    await supervisorPage.goto(`${base}/items/${itemId}`);
    await supervisorPage.waitForSelector('.item-page[data-status="verifying"]');
    await doAction(supervisorPage, 'verifyPass', (f) =>
      f.locator('textarea[name="opinion"]').fill('经现场核查，整改到位，同意销号。'),
    );
    expect(await status(supervisorPage)).toBe('closed');

    const steps = await supervisorPage
      .locator('.timeline > li')
      .evaluateAll((lis) => lis.map((li) => li.getAttribute('data-action')).filter((a) => a !== 'escalate'));
    expect(steps).toEqual(['create', 'sign', 'filePlan', 'submit', 'verifyReturn', 'submit', 'verifyPass']);
    const text = (await supervisorPage.textContent('.timeline')) ?? '';
    for (const words of [
      '立项交办',
      '签收',
      '提交整改方案',
      '申请销号',
      '核查退回',
      '核查通过（销号）',
      '整改方案.pdf',
      '补充整改照片.pdf',
      '3 号楼通道仍有电动车停放',
      '同意销号',
      leadA.name,
      supervisor.name,
    ]) {
      expect(text).toContain(words);
    }
    // The page agrees with the record: the same events, in order, as PostgreSQL holds them.
    const recorded = await stack.db.itemEvent.findMany({
      where: { itemId, action: { not: 'escalate' } },
      orderBy: { seq: 'asc' },
    });
    expect(recorded.map((e) => e.action)).toEqual(steps);
    await screenshot(supervisorPage, 'item-page');
  });

  it('the list finds it by search and exports the filtered list as CSV', async () => {
    await supervisorPage.goto(`${base}/items`);
    await supervisorPage.fill('input[name="q"]', title.slice(-8));
    await supervisorPage.click('form.filters button[type="submit"]');
    await supervisorPage.waitForSelector(`table.items tr[data-item="${itemId}"]`);
    expect(await supervisorPage.locator('table.items tbody tr').count()).toBe(1);
    expect(new URL(supervisorPage.url()).searchParams.get('q')).toBe(title.slice(-8));

    const [download] = await Promise.all([
      supervisorPage.waitForEvent('download'),
      supervisorPage.click('text=导出 CSV'),
    ]);
    const csv = await readFile((await download.path())!, 'utf8');
    const lines = csv
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(lines[0]).toContain('编号,标题,状态');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(itemId);
    expect(lines[1]).toContain('已销号');

    await supervisorPage.goto(`${base}/dashboard`);
    await supervisorPage.waitForSelector('.dashboard canvas');
    await supervisorPage.waitForTimeout(500);
    expect(Number(await supervisorPage.textContent('[data-kpi="total"]'))).toBe(await stack.db.item.count());
    await screenshot(supervisorPage, 'dashboard');
  });

  it("a foreign unit's user sees nothing of the item", async () => {
    const page = await newPage();
    await signInWithToken(page, outsider.userId, `/items/${itemId}`);
    await page.waitForSelector('.error');
    expect(await page.textContent('.error')).toContain('找不到该事项，或您无权查看');
    expect(await page.locator('.item-page').count()).toBe(0);
    await page.goto(`${base}/items`);
    await page.waitForSelector('main h1');
    await page.waitForTimeout(300);
    expect(await page.locator(`tr[data-item="${itemId}"]`).count()).toBe(0);
    expect(await page.content()).not.toContain(title);
    await page.goto(`${base}/inbox`);
    await page.waitForSelector('main h1');
    expect(await page.content()).not.toContain(title);
  });

  it('no script error happened on any page', async () => {
    for (const c of contexts) for (const p of c.pages()) await p.close();
    expect(errors).toEqual([]);
  });
});
