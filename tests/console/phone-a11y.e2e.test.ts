/**
 * The console on a phone (390×844) and on a desktop (1440×900), in a real headless Chromium
 * against the running product, for every role a page is for: nothing scrolls sideways, axe-core
 * finds no serious or critical violation, and on the phone every button, field and menu entry is
 * at least 44 px tall. Then a unit's whole loop clicked through at 390×844 (sign, plan, progress,
 * submit, a return, resubmit), with a screenshot at each step; an empty 立项交办 form naming its
 * fields next to them, each error gone once its field is filled; two people acting at once (the
 * second is told who was first, and keeps what they typed); a malformed and an expired token told
 * apart. axe-core's findings, page by page, are printed and saved to
 * test-artifacts/console/axe-report.json.
 */
import type { AxeResults } from 'axe-core';
import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIST } from '../../api/console';
import { signToken } from '../../lib/tokens';
import { admin, coC, leadA, leader, leaderA, supervisor } from '../support/actors';
import { bearer, startApiStack, TEST_SECRET, type ApiStack } from '../support/api';
import { launchBrowser, screenshot, SCREENSHOTS, watchErrors } from '../support/browser';
import { DUE } from '../support/dates';
import { attach, jpeg, pdf } from '../support/files';
import { uniqueTaskQueue } from '../support/stack';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const PHONE = { width: 390, height: 844 };
const SMALL_PHONE = { width: 360, height: 740 };
const DESKTOP = { width: 1440, height: 900 };
type Size = typeof PHONE;
const sizeName = (s: Size) => `${s.width}×${s.height}`;

let stack: ApiStack;
let browser: Browser;
let base = '';
const errors: string[] = [];
const contexts: BrowserContext[] = [];

/** What axe-core and the layout checks found on one page at one size. */
interface Finding {
  page: string;
  size: string;
  scrollWidth: number;
  width: number;
  /** Every violation: rule id → impact and number of elements. */
  violations: Record<string, { impact: string; nodes: number; targets: string[] }>;
  /** On a phone: controls smaller than 44 px. */
  smallTargets: string[];
}
const findings: Finding[] = [];
const serious = (f: Finding) =>
  Object.entries(f.violations)
    .filter(([, v]) => v.impact === 'serious' || v.impact === 'critical')
    .map(([id, v]) => `${id}×${v.nodes} (${v.impact}: ${v.targets.join(' | ')})`);

const ids = { assigned: '', signed: '', rectifying: '', verifying: '', closed: '' };

async function api(actor: { userId: string }, method: 'GET' | 'POST', url: string, payload?: object) {
  const r = await stack.app.inject({ method, url, headers: bearer(actor), ...(payload ? { payload } : {}) });
  if (r.statusCode >= 300) throw new Error(`${method} ${url}: ${r.statusCode} ${r.body}`);
  return r.json<{ item: { id: string } }>();
}
async function openItem(title: string, extra: object = {}): Promise<string> {
  return (await api(supervisor, 'POST', '/api/items', { title, leadUnitId: 'unit-a', dueDate: DUE, ...extra })).item.id;
}
const act = (actor: { userId: string }, id: string, action: string, payload: object = {}) =>
  api(actor, 'POST', `/api/items/${id}/${action}`, payload);

beforeAll(async () => {
  browser = await launchBrowser();
  // The console as built now, served from a copy: a rebuild while these minutes run does not
  // take its files away from under the pages.
  const dist = await mkdtemp(path.join(os.tmpdir(), 'duban-console-'));
  await cp(CONSOLE_DIST, dist, { recursive: true });
  stack = await startApiStack(uniqueTaskQueue('console-phone'), {
    demoSignIn: { users: [supervisor, leadA, leader, admin], secret: TEST_SECRET },
    consoleDist: dist,
  });
  await stack.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(stack.app.server.address() as AddressInfo).port}`;

  // One item in each state the pages show, with long titles and texts, as real ones are.
  const long = '关于推进城镇老旧小区改造中加装电梯、消防通道清理和停车设施建设的专项督查事项';
  ids.assigned = await openItem(`${long}（待签收）`, {
    description: '请于规定时限内完成排查并报送整改方案。'.repeat(4),
    coUnitIds: ['unit-c'],
    source: '市委常委会会议纪要〔2026〕12号',
  });
  ids.signed = await openItem(`${long}（已签收）`);
  await act(leadA, ids.signed, 'sign', { note: '已签收' });
  ids.rectifying = await openItem(`${long}（整改中）`);
  await act(leadA, ids.rectifying, 'sign');
  await act(leadA, ids.rectifying, 'filePlan', { plan: '一、全面排查；二、清理占用；三、建立巡查制度。' });
  // With evidence: a photo and a PDF, listed in the timeline and under 佐证材料.
  await act(leadA, ids.rectifying, 'reportProgress', {
    text: '已完成排查 60%',
    percent: 60,
    attachments: await attach(stack.app, ids.rectifying, leadA, [
      { name: '现场照片（整改后）.jpg', content: jpeg('phone-a11y'), type: 'image/jpeg' },
      { name: '整改台账.pdf', content: pdf('phone-a11y'), type: 'application/pdf' },
    ]),
  });
  ids.verifying = await openItem(`${long}（待核查）`);
  await act(leadA, ids.verifying, 'sign');
  await act(leadA, ids.verifying, 'filePlan', { plan: '整改方案' });
  await act(leadA, ids.verifying, 'submit', { summary: '已全部整改到位。' });
  ids.closed = await openItem(`${long}（已销号）`);
  await act(leadA, ids.closed, 'sign');
  await act(leadA, ids.closed, 'filePlan', { plan: '整改方案' });
  await act(leadA, ids.closed, 'submit', { summary: '第一次申请销号' });
  await act(supervisor, ids.closed, 'verifyReturn', { reasons: '3 号楼通道仍有电动车停放，请补充整改照片。' });
  await act(leadA, ids.closed, 'submit', { summary: '第二次申请销号' });
  await act(supervisor, ids.closed, 'verifyPass', { opinion: '同意销号' });
}, 180_000);

afterAll(async () => {
  // The report: every page and size, each rule with its impact and how many elements it found.
  if (findings.length > 0) {
    await writeFile(path.join(SCREENSHOTS, 'axe-report.json'), JSON.stringify(findings, null, 2));
    const lines = findings.map((f) => {
      const rules = Object.entries(f.violations).map(([id, v]) => `${id}(${v.impact})×${v.nodes}`);
      return `${f.size.padEnd(9)} ${f.page.padEnd(42)} width ${String(f.scrollWidth).padStart(4)}/${f.width}  ${rules.join(', ') || '—'}${f.smallTargets.length ? `  small targets: ${f.smallTargets.length}` : ''}`;
    });
    console.log(`axe-core findings (${findings.length} pages × sizes):\n${lines.join('\n')}`);
  }
  await browser?.close();
  await stack?.close();
});

async function session(userId: string | null, size: Size, at = '/'): Promise<Page> {
  const context = await browser.newContext({
    viewport: size,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    // axe-core is injected as an inline script, which the console's CSP (script-src 'self') would refuse.
    bypassCSP: true,
  });
  contexts.push(context);
  const page = await context.newPage();
  const seen = watchErrors(page);
  page.on('close', () => errors.push(...seen));
  await page.goto(base + at);
  if (userId) {
    await page.fill('#token', signToken({ userId }, TEST_SECRET));
    await page.click('form.card button[type="submit"]');
    await page.waitForSelector('header.top');
  }
  return page;
}

/** Waits until the page has drawn what it loads: no request running, no 正在加载. */
async function settled(page: Page): Promise<void> {
  await page.waitForLoadState('networkidle');
  await page.waitForFunction("!document.body.textContent.includes('正在加载…')");
}

/**
 * Run in the page (as text: this file is compiled without the DOM's types): the page's width, and
 * on a phone every control, menu entry and option smaller than 44 × 44 px.
 */
const LAYOUT_CHECK = `(() => {
  const phone = window.innerWidth < 600;
  const small = [];
  const controls = phone
    ? document.querySelectorAll('button, select, textarea, input:not([type="checkbox"]):not([type="radio"]):not([type="hidden"]), header a, label.check, [role="option"]')
    : [];
  for (const el of controls) {
    const r = el.getBoundingClientRect();
    if ((r.width === 0 && r.height === 0) || getComputedStyle(el).visibility === 'hidden') continue;
    if (r.height < 44 || r.width < 44)
      small.push(el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).trim().replace(/\\s+/g, '.') : '') +
        ' "' + (el.textContent || '').trim().slice(0, 12) + '" ' + Math.round(r.width) + '×' + Math.round(r.height));
  }
  return { scrollWidth: document.documentElement.scrollWidth, smallTargets: small };
})()`;

/** The layout checks and axe-core on the page as it is now; recorded, and each failure reported softly. */
async function audit(page: Page, name: string): Promise<Finding> {
  await settled(page);
  const size = page.viewportSize()!;
  const { scrollWidth, smallTargets } = (await page.evaluate(LAYOUT_CHECK)) as {
    scrollWidth: number;
    smallTargets: string[];
  };
  await page.addScriptTag({ path: AXE });
  const result = (await page.evaluate('axe.run()')) as AxeResults;
  const violations = result.violations.map((v) => ({
    id: v.id,
    impact: v.impact ?? 'unknown',
    nodes: v.nodes.length,
    targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
  }));
  const finding: Finding = {
    page: name,
    size: sizeName(size),
    scrollWidth,
    width: size.width,
    violations: Object.fromEntries(
      violations.map((v) => [v.id, { impact: v.impact, nodes: v.nodes, targets: v.targets }]),
    ),
    smallTargets,
  };
  findings.push(finding);
  // Each page (not each of its forms) as it looked, for a person to look at.
  if (!name.includes('·'))
    await screenshot(page, `a11y-${size.width}-${name.replace(/[\s:：（）]+/g, '-').replace(/-+$/, '')}`);
  expect.soft(scrollWidth, `${name} at ${finding.size}: page wider than the screen`).toBeLessThanOrEqual(size.width);
  expect.soft(serious(finding), `${name} at ${finding.size}: serious or critical axe-core violations`).toEqual([]);
  expect.soft(smallTargets, `${name} at ${finding.size}: tap targets under 44 px`).toEqual([]);
  return finding;
}

/** The item page, then each action form it offers opened in turn. */
async function auditItem(page: Page, who: string, id: string, state: string): Promise<void> {
  await page.goto(`${base}/items/${id}`);
  await page.waitForSelector('.item-page');
  await audit(page, `${who}: 事项页（${state}）`);
  const actions = await page
    .locator('button[data-open-action]')
    .evaluateAll((bs) => bs.map((b) => b.getAttribute('data-open-action')!));
  for (const action of actions) {
    await page.click(`button[data-open-action="${action}"]`);
    await page.waitForSelector(`form.action-form[data-action="${action}"]`);
    await audit(page, `${who}: 事项页（${state}）· ${action} 表单`);
  }
}

describe.each([PHONE, DESKTOP])('every page at %o', (size) => {
  it('the sign-in page', async () => {
    const page = await session(null, size);
    await page.waitForSelector('.demo-users button');
    await audit(page, '登录页');
    await page.close();
  });

  it("a unit's handler: 待办, the item page in each state, each action form", async () => {
    const page = await session(leadA.userId, size, '/inbox');
    await page.waitForSelector('table.inbox');
    await audit(page, '经办人: 本单位待办');
    const toggle = page.locator('header.top button[aria-expanded]');
    if (size.width < 600 && (await toggle.count()) > 0) {
      await toggle.click();
      await audit(page, '经办人: 本单位待办（菜单展开）');
      await toggle.click();
    }
    for (const state of ['assigned', 'signed', 'rectifying', 'closed'] as const)
      await auditItem(page, '经办人', ids[state], state);
    await page.goto(`${base}/messages`);
    await page.waitForSelector('main h1');
    await audit(page, '经办人: 消息');
    await page.close();
  }, 180_000);

  it('a supervisor: 督查总览, 事项列表, 立项交办, the item page', async () => {
    const page = await session(supervisor.userId, size, '/dashboard');
    await page.waitForSelector('.dashboard canvas');
    await audit(page, '督查: 督查总览');
    await page.goto(`${base}/items`);
    await page.waitForSelector('table.items');
    await audit(page, '督查: 事项列表');
    await page.goto(`${base}/items/new`);
    await page.waitForSelector('form.new-item');
    await audit(page, '督查: 立项交办');
    await page.click('form.new-item button[type="submit"]');
    await page.waitForSelector('form.new-item .field-error');
    await audit(page, '督查: 立项交办（空表提交后）');
    for (const state of ['verifying', 'assigned'] as const) await auditItem(page, '督查', ids[state], state);
    await page.close();
  }, 180_000);

  it('a leader: 待我处理 and 督查总览', async () => {
    const page = await session(leader.userId, size, '/inbox');
    await page.waitForSelector('main h1');
    await audit(page, '领导: 待我处理');
    await page.goto(`${base}/dashboard`);
    await page.waitForSelector('.dashboard canvas');
    await audit(page, '领导: 督查总览');
    await page.goto(`${base}/messages`);
    await page.waitForSelector('main h1');
    await audit(page, '领导: 消息');
    await auditItem(page, '领导', ids.rectifying, 'rectifying');
    await page.close();
  }, 120_000);

  it('the system administrator: 通讯录 and 工作日历', async () => {
    const page = await session(admin.userId, size, '/contacts');
    await page.waitForSelector('.contacts');
    await audit(page, '管理员: 通讯录');
    await page.goto(`${base}/calendar`);
    await page.waitForSelector('.calendar-page');
    await audit(page, '管理员: 工作日历');
    await page.close();
  }, 120_000);
});

describe('on a 360 px phone', () => {
  it('nothing scrolls sideways on the pages a unit uses', async () => {
    const page = await session(leadA.userId, SMALL_PHONE, '/inbox');
    await page.waitForSelector('table.inbox');
    await audit(page, '经办人: 本单位待办');
    await auditItem(page, '经办人', ids.rectifying, 'rectifying');
    const sup = await session(supervisor.userId, SMALL_PHONE, '/items');
    await sup.waitForSelector('table.items');
    await audit(sup, '督查: 事项列表');
    await sup.goto(`${base}/items/new`);
    await audit(sup, '督查: 立项交办');
  }, 120_000);
});

describe("a unit's whole loop on a phone (390×844)", () => {
  let itemId = '';
  const title = `整治老旧小区消防通道占用问题 ${Date.now().toString(36)}`;
  const shot = (page: Page, step: string) => screenshot(page, `phone-${step}`);
  const status = (page: Page) => page.locator('.item-page').getAttribute('data-status');
  const fieldOf = (page: Page, input: string) => page.locator(`.field:has(${input})`);

  async function doAction(page: Page, action: string, fill: (form: ReturnType<Page['locator']>) => Promise<void>) {
    const before = await page.locator('.timeline > li').count();
    await page.click(`button[data-open-action="${action}"]`);
    const form = page.locator(`form.action-form[data-action="${action}"]`);
    await fill(form);
    await form.locator('button[type="submit"]').click();
    await page.locator('.timeline > li').nth(before).waitFor();
  }

  it('an empty 立项交办 form names its fields next to them; each error goes once its field is filled', async () => {
    const page = await session(supervisor.userId, PHONE, '/items/new');
    await page.waitForSelector('form.new-item');
    await page.click('form.new-item button[type="submit"]');
    await page.waitForSelector('form.new-item .field-error');
    await shot(page, '00-new-item-empty');
    expect(await fieldOf(page, '#title').locator('.field-error').textContent()).toContain('事项标题');
    expect(await fieldOf(page, '#leadUnitId').locator('.field-error').textContent()).toContain('牵头单位');
    expect(await fieldOf(page, '#dueDate').locator('.field-error').textContent()).toContain('办结时限');
    const summary = (await page.textContent('form.new-item .error[role="alert"]')) ?? '';
    expect(summary).not.toContain('请求参数有误');
    for (const name of ['事项标题', '牵头单位', '办结时限']) expect(summary).toContain(name);

    await page.fill('#title', title);
    expect(await fieldOf(page, '#title').locator('.field-error').count()).toBe(0);
    expect(await fieldOf(page, '#leadUnitId').locator('.field-error').count()).toBe(1);
    await page.selectOption('#leadUnitId', 'unit-a');
    expect(await fieldOf(page, '#leadUnitId').locator('.field-error').count()).toBe(0);
    await page.fill('#dueDate', DUE);
    expect(await page.locator('form.new-item .field-error').count()).toBe(0);
    expect(await page.locator('form.new-item .error').count()).toBe(0);

    // 配合单位: typed to filter, chosen with the keyboard or a tap, shown as chips, one taken back.
    const picker = page.locator('#coUnitIds');
    await picker.fill('公安');
    expect(await page.locator('#coUnitIds-list [role="option"]').allTextContents()).toEqual(['市公安局']);
    await picker.press('ArrowDown');
    await picker.press('Enter');
    await picker.fill('财政');
    await page.locator('#coUnitIds-list [role="option"]', { hasText: '市财政局' }).click();
    expect(await page.locator('.unit-picker .chip').allTextContents()).toEqual([
      expect.stringContaining('市公安局'),
      expect.stringContaining('市财政局'),
    ]);
    // The lead unit is never offered as a co-unit.
    await picker.fill('市民政');
    expect(await page.locator('#coUnitIds-list [role="option"]').count()).toBe(0);
    await picker.fill('');
    await page.click('.unit-picker .chip button[aria-label="移除 市财政局"]');
    expect(await page.locator('.unit-picker .chip').count()).toBe(1);
    await shot(page, '01-new-item-filled');
    await page.click('form.new-item button[type="submit"]');
    await page.waitForSelector('.item-page');
    itemId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    const { item } = (await api(supervisor, 'GET', `/api/items/${itemId}`)) as unknown as {
      item: { leadUnitId: string; coParts: Array<{ unitId: string }> };
    };
    expect(item.leadUnitId).toBe('unit-a');
    expect(item.coParts.map((p) => p.unitId)).toEqual(['unit-c']);
    await page.close();
  }, 120_000);

  it('the unit signs, plans, reports, submits, sees the return and resubmits, by tapping', async () => {
    const page = await session(leadA.userId, PHONE, '/inbox');
    const card = page.locator(`table.inbox tr[data-item="${itemId}"]`);
    await card.waitFor();
    expect(await card.textContent()).toContain(title);
    await shot(page, '02-inbox');

    // The menu: a button that says whether it is open, the nav hidden until it is.
    const toggle = page.locator('header.top button[aria-expanded]');
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    expect(await page.locator('header.top nav a[href="/items"]').isVisible()).toBe(false);
    await toggle.click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    expect(await page.locator('header.top nav a[href="/items"]').isVisible()).toBe(true);
    await shot(page, '03-menu');
    await page.click('header.top nav a[href="/inbox"]');
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');

    await card.locator('a').click();
    await page.waitForSelector('.item-page[data-status="assigned"]');
    // What the unit owes comes first, before the facts' end and the whole timeline.
    const actionsTop = (await page.locator('button[data-open-action="sign"]').boundingBox())!.y;
    expect(actionsTop).toBeLessThan((await page.locator('.timeline').boundingBox())!.y);
    expect(actionsTop).toBeLessThan(PHONE.height);
    await shot(page, '04-item-assigned');

    await doAction(page, 'sign', (f) => f.locator('textarea[name="note"]').fill('已签收，由社区科牵头办理'));
    expect(await status(page)).toBe('signed');
    await shot(page, '05-signed');

    const planFile = path.join(os.tmpdir(), '整改方案.pdf');
    await writeFile(planFile, pdf(`phone-plan-${itemId}`));
    await page.click('button[data-open-action="filePlan"]');
    await page
      .locator('form.action-form[data-action="filePlan"] textarea[name="plan"]')
      .fill('一、全面排查；二、清理占用。');
    await page.locator('form.action-form[data-action="filePlan"] input[type="file"]').setInputFiles(planFile);
    await shot(page, '06-plan-form');
    const before = await page.locator('.timeline > li').count();
    await page.click('form.action-form[data-action="filePlan"] button[type="submit"]');
    await page.locator('.timeline > li').nth(before).waitFor();
    expect(await status(page)).toBe('rectifying');
    await shot(page, '07-rectifying');

    await doAction(page, 'reportProgress', async (f) => {
      await f.locator('textarea[name="text"]').fill('已清理占用通道 8 处。');
      await f.locator('input[name="percent"]').fill('60');
    });
    await shot(page, '08-progress-reported');

    // The co-unit finishes its part (by the API: its own page is not this test's subject).
    await act(coC, itemId, 'coSign');
    await act(coC, itemId, 'coComplete', { text: '配合完成' });
    await page.reload();
    await page.waitForSelector('.item-page[data-status="rectifying"]');

    const evidence = path.join(os.tmpdir(), '整改前后对比.pdf');
    await writeFile(evidence, pdf(`phone-evidence-${itemId}`));
    await doAction(page, 'submit', async (f) => {
      await f.locator('textarea[name="summary"]').fill('已清理占用通道 12 处，设置警示标识 30 块。');
      await f.locator('input[type="file"]').setInputFiles(evidence);
    });
    expect(await status(page)).toBe('verifying');
    await shot(page, '09-submitted');

    await act(supervisor, itemId, 'verifyReturn', { reasons: '3 号楼通道仍有电动车停放，请补充整改照片。' });
    await page.goto(`${base}/inbox`);
    await card.waitFor();
    expect(await card.locator('.returned').textContent()).toContain('3 号楼通道仍有电动车停放');
    await shot(page, '10-inbox-returned');
    await card.locator('a').click();
    await page.waitForSelector('.item-page[data-status="rectifying"]');
    const reason = page.locator('[data-last-return]');
    expect(await reason.textContent()).toContain('3 号楼通道仍有电动车停放');
    expect((await reason.boundingBox())!.y).toBeLessThan(PHONE.height);
    await shot(page, '11-item-returned');

    await doAction(page, 'submit', async (f) => {
      await f.locator('textarea[name="summary"]').fill('3 号楼电动车已全部清理，增设充电车棚。');
    });
    expect(await status(page)).toBe('verifying');
    await shot(page, '12-resubmitted');
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    await page.close();
  }, 180_000);

  it('when two people act at once, the second is told it was done and keeps what they typed', async () => {
    const id = await openItem('两人同时签收的事项');
    const [first, second] = await Promise.all([
      session(leaderA.userId, PHONE, `/items/${id}`),
      session(leadA.userId, PHONE, `/items/${id}`),
    ]);
    for (const page of [first, second]) {
      await page.waitForSelector('.item-page[data-status="assigned"]');
      await page.click('button[data-open-action="sign"]');
    }
    await second.fill('form.action-form[data-action="sign"] textarea[name="note"]', '由经办人签收');
    await first.fill('form.action-form[data-action="sign"] textarea[name="note"]', '由局长签收');
    await first.click('form.action-form[data-action="sign"] button[type="submit"]');
    await first.waitForSelector('.item-page[data-status="signed"]');
    await second.click('form.action-form[data-action="sign"] button[type="submit"]');
    await second.waitForSelector('.item-page[data-status="signed"]');
    const form = second.locator('form.action-form[data-action="sign"]');
    expect(await form.locator('.error').textContent()).toContain('已被他人处理（当前状态：已签收）');
    expect(await form.locator('textarea[name="note"]').inputValue()).toBe('由经办人签收');
    await shot(second, '13-conflict');
  }, 120_000);

  it('a malformed token and an expired one are told apart', async () => {
    const page = await session(null, PHONE);
    await page.fill('#token', 'not-a-token');
    await page.click('form.card button[type="submit"]');
    await page.waitForSelector('.error');
    expect(await page.textContent('.error')).toContain('登录凭据无效，请重新登录');
    const expired = signToken({ userId: leadA.userId }, TEST_SECRET, 3600, Date.now() - 3 * 3600_000);
    await page.fill('#token', expired);
    await page.click('form.card button[type="submit"]');
    await page.waitForSelector('.error:has-text("已过期")');
    expect(await page.textContent('.error')).toContain('登录已过期，请重新登录');
    await shot(page, '14-expired-token');
  });

  it('no script error happened on any page', async () => {
    for (const c of contexts) for (const p of c.pages()) await p.close();
    expect(errors).toEqual([]);
  });
});
