/**
 * Evidence files in a real headless Chromium against the running product (issue 17): Chinese
 * names survive upload and download; a photo and a PDF open in the page (the photo in an overlay,
 * the PDF in the browser's viewer in a frame of a blob: URL fetched with ?disposition=inline); a
 * HEIC photo is refused in words before anything is sent (and by the API, should it be sent); a
 * large photo is made smaller in the browser before upload; everything fits a 390 px phone with
 * tap targets of at least 40 px. And at the API: ?disposition=inline only for pictures and PDFs,
 * every file answer with nosniff and a sandboxing CSP. Screenshots at 390 and 1440 px go to
 * test-artifacts/console.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../lib/tokens';
import { leadA, supervisor } from '../support/actors';
import { bearer, startApiStack, TEST_SECRET, type ApiStack } from '../support/api';
import { launchBrowser, screenshot, SCREENSHOTS, watchErrors } from '../support/browser';
import { DUE } from '../support/dates';
import { upload } from '../support/files';
import { uniqueTaskQueue } from '../support/stack';

const HEIC_REFUSAL = '暂不支持 HEIC 格式的照片，请在手机设置中将相机格式改为“兼容性最佳”或先转换为 JPG 后上传';
const PHOTO_NAME = '整改前后对比照片.jpg';
const PDF_NAME = '整改报告（终稿）.pdf';

let stack: ApiStack;
let browser: Browser;
let base = '';
let dir = '';
let itemId = '';
const errors: string[] = [];

interface Listed {
  sha256: string;
  name: string;
  mime: string;
  size: number;
}

/** A HEIC photo's first bytes (an ISO `ftyp` box, brand heic, as an iPhone writes it). */
function heic(brand = 'heic'): Buffer {
  return Buffer.concat([
    Buffer.from([0, 0, 0, 0x18]),
    Buffer.from(`ftyp${brand}`),
    Buffer.from([0, 0, 0, 0]),
    Buffer.from('mif1heic'),
    Buffer.alloc(256, 7),
  ]);
}

/** An MP3 (an ID3 tag, then an MPEG frame header): a type the API stores but never shows inline. */
function mp3(tag: string): Buffer {
  return Buffer.concat([
    Buffer.from('ID3'),
    Buffer.from([3, 0, 0, 0, 0, 0, 0]),
    Buffer.from([0xff, 0xfb, 0x90, 0x64]),
    Buffer.from(tag),
    Buffer.alloc(400, 0x55),
  ]);
}

/** A one-page PDF with a line of text, whole enough for the browser's viewer to draw it. */
function onePagePdf(text: string): Buffer {
  const stream = `BT /F1 28 Tf 72 720 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
  ];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) body += `${String(o).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

/** The screen as the person sees it (an overlay covers the viewport, not the whole page). */
const screen = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });

/** Width and height from a JPEG's start-of-frame marker. */
function jpegSize(b: Buffer): { width: number; height: number } {
  let i = 2;
  while (i < b.length) {
    if (b[i] !== 0xff) throw new Error('not a JPEG marker');
    const marker = b[i + 1]!;
    const length = b.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker))
      return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    i += 2 + length;
  }
  throw new Error('no SOF marker');
}

/**
 * Draws an image in the browser (a canvas: shapes, text, some grain) and answers its bytes. Browser
 * code is passed as text: the tests are type-checked without the DOM's types.
 */
async function drawImage(page: Page, width: number, height: number, type: 'image/jpeg' | 'image/png'): Promise<Buffer> {
  const base64 = (await page.evaluate(`(async () => {
    const width = ${width}, height = ${height};
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d');
    const g = ctx.createLinearGradient(0, 0, width, height);
    g.addColorStop(0, '#3a6ea5');
    g.addColorStop(1, '#f2c14e');
    ctx.fillStyle = g;
    ctx.fillRect(0, 0, width, height);
    let seed = 17;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let i = 0; i < 1500; i++) {
      ctx.fillStyle = 'hsl(' + Math.floor(rnd() * 360) + ', 60%, ' + (30 + Math.floor(rnd() * 50)) + '%)';
      ctx.fillRect(rnd() * width, rnd() * height, 10 + rnd() * width * 0.08, 10 + rnd() * height * 0.08);
    }
    // Some grain, as a camera's sensor gives: what makes a photo's PNG large.
    const grain = ctx.getImageData(0, 0, width, Math.floor(height / 3));
    for (let i = 0; i < grain.data.length; i += 4) grain.data[i] = (grain.data[i] + rnd() * 40) & 255;
    ctx.putImageData(grain, 0, 0);
    ctx.fillStyle = '#000';
    ctx.font = Math.floor(height / 10) + 'px sans-serif';
    ctx.fillText('整改前后', width / 10, height / 2);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, ${JSON.stringify(type)}, 0.9));
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  })()`)) as string;
  return Buffer.from(base64, 'base64');
}

async function listed(): Promise<Listed[]> {
  const r = await stack.app.inject({ method: 'GET', url: `/api/items/${itemId}/evidence`, headers: bearer(leadA) });
  expect(r.statusCode, r.body).toBe(200);
  return r.json().files;
}

async function open(width: number, height: number): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width, height },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    acceptDownloads: true,
  });
  const page = await context.newPage();
  const seen = watchErrors(page);
  page.on('close', () => errors.push(...seen));
  await page.goto(`${base}/items/${itemId}`);
  await page.fill('#token', signToken({ userId: leadA.userId }, TEST_SECRET));
  await page.click('form.card button[type="submit"]');
  await page.waitForSelector('.item-page');
  return page;
}

/** Reports progress with the files, through the form as a person does; waits for the new event. */
async function reportWith(page: Page, files: string[]): Promise<void> {
  const before = await page.locator('.timeline > li').count();
  const form = page.locator('form.action-form[data-action="reportProgress"]');
  if ((await form.count()) === 0) await page.click('button[data-open-action="reportProgress"]');
  await form.locator('textarea[name="text"]').fill('已完成现场整改，附照片和报告');
  await form.locator('input[type="file"]').setInputFiles(files);
  await form.locator('button[type="submit"]').click();
  await page.locator('.timeline > li').nth(before).waitFor({ timeout: 30_000 });
}

const evidenceEntry = (page: Page, name: string) => page.locator(`.evidence-files li[data-file="${name}"]`).last();

/** Nothing wider than the screen: no sideways scrolling on a phone. */
const fitsWidth = (page: Page) =>
  page.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1') as Promise<boolean>;

/** Every visible button and link in `selector` at least 40 px tall (and wide, for the buttons). */
function smallTargets(page: Page, selector: string): Promise<string[]> {
  return page.evaluate(`(() => {
    const small = [];
    for (const el of document.querySelectorAll(${JSON.stringify(`${selector} button, ${selector} a[href]`)})) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.height < 40 || (el.tagName === 'BUTTON' && r.width < 40))
        small.push(el.textContent.trim() + ' ' + Math.round(r.width) + '×' + Math.round(r.height));
    }
    return small;
  })()`) as Promise<string[]>;
}

/** The size of the picture shown in the overlay, once it has loaded (polled here: the page's CSP forbids eval). */
async function shownPicture(page: Page): Promise<[number, number]> {
  const size = () =>
    page.evaluate(
      `(i => (i ? [i.naturalWidth, i.naturalHeight] : [0, 0]))(document.querySelector('.file-viewer img'))`,
    ) as Promise<[number, number]>;
  await expect.poll(async () => (await size())[0]).toBeGreaterThan(0);
  return size();
}

beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('console-files'));
  await stack.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(stack.app.server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
  dir = await mkdtemp(path.join(os.tmpdir(), 'duban-files-'));
  const created = await stack.app.inject({
    method: 'POST',
    url: '/api/items',
    headers: bearer(supervisor),
    payload: { title: `小区违章搭建整改（佐证材料）${Date.now().toString(36)}`, leadUnitId: 'unit-a', dueDate: DUE },
  });
  expect(created.statusCode, created.body).toBe(201);
  itemId = created.json().item.id;
  for (const [action, payload] of [
    ['sign', {}],
    ['filePlan', { plan: '拆除违章搭建，恢复原状' }],
  ] as const) {
    const r = await stack.app.inject({
      method: 'POST',
      url: `/api/items/${itemId}/${action}`,
      headers: bearer(leadA),
      payload,
    });
    expect(r.statusCode, r.body).toBe(200);
  }
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('evidence files in the console', () => {
  it('keeps the Chinese names through upload and download', async () => {
    const page = await open(1440, 900);
    const photo = path.join(dir, PHOTO_NAME);
    await writeFile(photo, await drawImage(page, 800, 600, 'image/jpeg'));
    const report = path.join(dir, PDF_NAME);
    await writeFile(report, onePagePdf(`Rectification report ${itemId}`));
    await reportWith(page, [photo, report]);

    expect((await listed()).map((f) => [f.name, f.mime])).toEqual([
      [PHOTO_NAME, 'image/jpeg'],
      [PDF_NAME, 'application/pdf'],
    ]);
    await evidenceEntry(page, PDF_NAME).waitFor();
    for (const name of [PHOTO_NAME, PDF_NAME]) {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        evidenceEntry(page, name).locator('[data-file-download]').click(),
      ]);
      expect(download.suggestedFilename()).toBe(name);
      expect(await readFile((await download.path())!)).toEqual(await readFile(path.join(dir, name)));
    }
    // The timeline's copy of the file downloads under its name too.
    const [fromTimeline] = await Promise.all([
      page.waitForEvent('download'),
      page.locator(`.timeline li[data-file="${PDF_NAME}"] [data-file-download]`).click(),
    ]);
    expect(fromTimeline.suggestedFilename()).toBe(PDF_NAME);
    await screenshot(page, 'files-item-1440');
    await page.close();
  }, 120_000);

  it('shows a photo in an overlay and a PDF in the browser viewer, with a download kept', async () => {
    const page = await open(1440, 900);
    await evidenceEntry(page, PHOTO_NAME).waitFor();

    await evidenceEntry(page, PHOTO_NAME).locator('[data-file-preview]').click();
    const img = page.locator('.file-viewer[data-viewer="image"] img');
    await img.waitFor();
    expect(await shownPicture(page)).toEqual([800, 600]);
    expect(await img.getAttribute('src')).toMatch(/^blob:/);
    await screen(page, 'files-photo-1440');
    const [saved] = await Promise.all([page.waitForEvent('download'), page.click('[data-viewer-download]')]);
    expect(saved.suggestedFilename()).toBe(PHOTO_NAME);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('.file-viewer').count()).toBe(0);

    const { sha256 } = (await listed()).find((f) => f.name === PDF_NAME)!;
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().includes(`/evidence/${sha256}?disposition=inline`)),
      evidenceEntry(page, PDF_NAME).locator('[data-file-open]').click(),
    ]);
    const headers = response.headers();
    expect(headers['content-type']).toBe('application/pdf');
    expect(headers['content-disposition']).toMatch(/^inline;/);
    expect(headers['content-disposition']).toContain(`filename*=UTF-8''${encodeURIComponent(PDF_NAME)}`);
    expect(headers['x-content-type-options']).toBe('nosniff');
    const frame = page.locator('.file-viewer[data-viewer="pdf"] iframe');
    await frame.waitFor();
    expect(await frame.getAttribute('src')).toMatch(/^blob:/);
    // Only the picture on the screenshot waits for the viewer to draw; the checks above do not.
    await page.waitForTimeout(1500);
    await screen(page, 'files-pdf-1440');
    await page.click('[data-viewer-close]');
    await expect.poll(() => page.locator('.file-viewer').count()).toBe(0);
    await page.close();
  }, 120_000);

  it('refuses a HEIC photo in words before uploading it, and so does the API', async () => {
    const page = await open(1440, 900);
    const photo = path.join(dir, 'IMG_0001.HEIC');
    await writeFile(photo, heic());
    const uploads: string[] = [];
    page.on('request', (r) => r.method() === 'POST' && r.url().includes('/evidence') && uploads.push(r.url()));
    await page.click('button[data-open-action="reportProgress"]');
    const form = page.locator('form.action-form[data-action="reportProgress"]');
    await form.locator('textarea[name="text"]').fill('现场照片');
    await form.locator('input[type="file"]').setInputFiles(photo);
    await expect.poll(() => form.locator('[data-file-refusal]').textContent()).toBe(`IMG_0001.HEIC：${HEIC_REFUSAL}`);
    await form.locator('button[type="submit"]').click();
    await expect.poll(() => form.locator('.error').textContent()).toBe(`IMG_0001.HEIC：${HEIC_REFUSAL}`);
    expect(uploads).toEqual([]);
    // Renamed, it is still a HEIC photo.
    const renamed = path.join(dir, '现场照片.jpg');
    await writeFile(renamed, heic());
    await form.locator('input[type="file"]').setInputFiles(renamed);
    await expect.poll(() => form.locator('[data-file-refusal]').textContent()).toBe(`现场照片.jpg：${HEIC_REFUSAL}`);
    await page.close();

    // Sent anyway (an older console, a script): refused by the API in the same words, nothing kept.
    const before = (await listed()).length;
    for (const [name, content] of [
      ['IMG_0001.HEIC', heic()],
      ['IMG_0002.HEIF', heic('mif1')],
    ] as const) {
      const r = await upload(stack.app, itemId, leadA, [{ name, content, type: 'image/heic' }]);
      expect(r.statusCode, r.body).toBe(400);
      expect(r.json()).toMatchObject({ error: 'heic_not_supported', message: `${name}：${HEIC_REFUSAL}` });
    }
    expect((await listed()).length).toBe(before);
  }, 120_000);

  it('makes a large photo smaller in the browser before uploading it, saying so', async () => {
    const page = await open(1440, 900);
    const original = await drawImage(page, 4000, 3000, 'image/png');
    const file = path.join(dir, '现场全景照片.png');
    await writeFile(file, original);
    // Every state the upload shows, as it shows it.
    await page.evaluate(`(() => {
      const seen = (window.statuses = []);
      new MutationObserver(() => {
        for (const el of document.querySelectorAll('[data-upload-status], [data-shrunk]'))
          if (el.textContent && !seen.includes(el.textContent)) seen.push(el.textContent);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    })()`);
    await reportWith(page, [file]);
    const statuses = (await page.evaluate('window.statuses')) as string[];
    expect(
      statuses.some((s) => /^已压缩照片：现场全景照片\.png \S+ [KM]B → \S+ [KM]B$/.test(s)),
      statuses.join(' | '),
    ).toBe(true);
    expect(
      statuses.some((s) => /正在上传|已上传|上传完毕/.test(s)),
      statuses.join(' | '),
    ).toBe(true);

    const stored = (await listed()).find((f) => f.name === '现场全景照片.jpg')!;
    expect(stored).toMatchObject({ mime: 'image/jpeg' });
    expect(stored.size).toBeLessThan(original.length);
    const r = await stack.app.inject({
      method: 'GET',
      url: `/api/items/${itemId}/evidence/${stored.sha256}`,
      headers: bearer(leadA),
    });
    const bytes = r.rawPayload;
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(stored.sha256);
    expect(jpegSize(bytes)).toEqual({ width: 2560, height: 1920 });

    // A small photo goes as it is: same bytes, same name.
    const small = await drawImage(page, 640, 480, 'image/jpeg');
    const smallFile = path.join(dir, '门牌照片.jpg');
    await writeFile(smallFile, small);
    await reportWith(page, [smallFile]);
    const kept = (await listed()).find((f) => f.name === '门牌照片.jpg')!;
    expect(kept.sha256).toBe(createHash('sha256').update(small).digest('hex'));
    await page.close();
  }, 180_000);

  it('fits a 390 px phone: no sideways scrolling, tap targets of at least 40 px', async () => {
    const page = await open(390, 844);
    await evidenceEntry(page, PDF_NAME).waitFor();
    expect(await fitsWidth(page)).toBe(true);
    expect(await smallTargets(page, '.evidence-files')).toEqual([]);
    await screenshot(page, 'files-item-390');

    await evidenceEntry(page, PHOTO_NAME).locator('[data-file-open]').click();
    expect((await shownPicture(page))[0]).toBeGreaterThan(0);
    expect(await fitsWidth(page)).toBe(true);
    expect(await smallTargets(page, '.file-viewer')).toEqual([]);
    const box = (await page.locator('.file-viewer img').boundingBox())!;
    expect(box.width).toBeLessThanOrEqual(390);
    await screen(page, 'files-photo-390');
    await page.click('[data-viewer-close]');

    await evidenceEntry(page, PDF_NAME).locator('[data-file-preview]').click();
    await page.locator('.file-viewer[data-viewer="pdf"] iframe').waitFor();
    expect(await fitsWidth(page)).toBe(true);
    expect(await smallTargets(page, '.file-viewer')).toEqual([]);
    await page.waitForTimeout(1500);
    await screen(page, 'files-pdf-390');
    await page.click('[data-viewer-close]');

    await page.click('button[data-open-action="reportProgress"]');
    const form = page.locator('form.action-form[data-action="reportProgress"]');
    const heicFile = path.join(dir, 'IMG_0003.HEIC');
    await writeFile(heicFile, heic());
    await form.locator('input[type="file"]').setInputFiles(heicFile);
    await form.locator('[data-file-refusal]').waitFor();
    expect(await fitsWidth(page)).toBe(true);
    expect((await form.locator('input[type="file"]').boundingBox())!.height).toBeGreaterThanOrEqual(40);
    await screenshot(page, 'files-heic-390');
    await page.close();
  }, 120_000);

  it('had no script errors on any page', () => {
    expect(errors).toEqual([]);
  });
});

describe('evidence file responses (API)', () => {
  it('sends pictures and PDFs inline only when asked, everything else as an attachment, all with nosniff and a sandboxing CSP', async () => {
    const audio = mp3(`note-${itemId}`);
    const up = await upload(stack.app, itemId, leadA, [{ name: '现场录音.mp3', content: audio, type: 'audio/mpeg' }]);
    expect(up.statusCode, up.body).toBe(201);
    const files = await listed();
    const byName = (name: string) => files.find((f) => f.name === name)!;
    const get = (sha256: string, query = '') =>
      stack.app.inject({
        method: 'GET',
        url: `/api/items/${itemId}/evidence/${sha256}${query}`,
        headers: bearer(leadA),
      });

    for (const [name, query, disposition] of [
      [PHOTO_NAME, '?disposition=inline', 'inline'],
      [PDF_NAME, '?disposition=inline', 'inline'],
      [PHOTO_NAME, '', 'attachment'],
      [PDF_NAME, '?disposition=attachment', 'attachment'],
      // Never inline for other types: asked or not, it is a download.
      ['现场录音.mp3', '?disposition=inline', 'attachment'],
      ['现场录音.mp3', '', 'attachment'],
    ] as const) {
      const f = byName(name);
      const r = await get(f.sha256, query);
      expect(r.statusCode, `${name}${query}`).toBe(200);
      expect(r.headers['content-type']).toBe(f.mime);
      expect(r.headers['content-disposition'], `${name}${query}`).toBe(
        `${disposition}; filename="${name.replace(/[^\x20-\x7e]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`,
      );
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      const csp = String(r.headers['content-security-policy']);
      expect(csp).toMatch(/(^|;\s*)sandbox(;|$)/);
      expect(csp).toMatch(/default-src 'none'/);
      expect(csp).toMatch(/frame-ancestors 'none'/);
    }
    expect((await get(byName(PDF_NAME).sha256, '?disposition=script')).statusCode).toBe(400);
  });
});
