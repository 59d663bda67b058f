import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../api/app';
import { DEFAULT_TEMPORAL_TIMEOUT_MS } from '../../lib/config';
import { verifyItemChain } from '../../lib/chain';
import { ALLOWED_TYPES, safeFileName } from '../../lib/evidence-store';
import * as p from '../support/actors';
import { bearer, startApiStack, testApp, testEvidenceStore, type ApiStack } from '../support/api';
import { DUE } from '../support/dates';
import { attach, jpeg, pdf, upload, type Part } from '../support/files';
import { uniqueTaskQueue } from '../support/stack';
import type { Actor } from '../../domain/actors';

let stack: ApiStack;
let app: App;
let store: Awaited<ReturnType<typeof testEvidenceStore>>;
beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('evidence'));
  store = await testEvidenceStore();
  // A small limit so "oversize" is quick to show.
  app = await testApp(stack.db, stack.t.client, 'unused', DEFAULT_TEMPORAL_TIMEOUT_MS, {
    evidence: store,
    limits: { evidenceBytes: 4096 },
  });
}, 60_000);
afterAll(async () => {
  await app?.close();
  await stack?.close();
});

async function open(leadUnitId = 'unit-a', coUnitIds: string[] = []): Promise<string> {
  const res = await stack.app.inject({
    method: 'POST',
    url: '/api/items',
    headers: bearer(p.supervisor),
    payload: { title: '违规搭建整改', leadUnitId, coUnitIds, dueDate: DUE },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().item.id;
}
async function act(id: string, action: string, actor: Actor, payload: unknown = {}) {
  return stack.app.inject({
    method: 'POST',
    url: `/api/items/${id}/${action}`,
    headers: bearer(actor),
    payload: payload as Record<string, unknown>,
  });
}
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name));
}

describe('evidence files', () => {
  it('stores an upload by its SHA-256 with the type read from its content, and records the hash in the event', async () => {
    const id = await open();
    const photo = jpeg('site-after');
    const res = await upload(app, id, p.leadA, [{ name: '整改后照片.jpg', content: photo, type: 'image/jpeg' }]);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().files).toEqual([
      {
        sha256: sha(photo),
        name: '整改后照片.jpg',
        size: photo.length,
        mime: 'image/jpeg',
        ref: `evidence:${sha(photo)}`,
      },
    ]);
    expect(existsSync(store.pathOf(sha(photo)))).toBe(true);

    for (const [a, body] of [
      ['sign', {}],
      ['filePlan', { plan: '清理' }],
    ] as const)
      expect((await act(id, a, p.leadA, body)).statusCode).toBe(200);
    const submitted = await act(id, 'submit', p.leadA, { summary: '已整改', attachments: [{ sha256: sha(photo) }] });
    expect(submitted.statusCode, submitted.body).toBe(200);
    const event = await stack.db.itemEvent.findFirst({ where: { itemId: id, action: 'submit' } });
    expect(event?.attachments).toEqual([
      {
        name: '整改后照片.jpg',
        ref: `evidence:${sha(photo)}`,
        sha256: sha(photo),
        mime: 'image/jpeg',
        size: photo.length,
      },
    ]);
    expect((await verifyItemChain(stack.db, id))?.intact).toBe(true);
  });

  it('refuses an oversize file with 413 and keeps nothing of it', async () => {
    const id = await open();
    const before = filesUnder(store.dir).length;
    const big = Buffer.concat([jpeg('big'), Buffer.alloc(10_000, 1)]);
    const res = await upload(app, id, p.leadA, [{ name: '大照片.jpg', content: big }]);
    expect(res.statusCode, res.body).toBe(413);
    expect(res.json().message).toContain('上限');
    expect(filesUnder(store.dir).length).toBe(before);
    expect(await stack.db.evidence.count({ where: { subjectKind: 'item', subjectId: id } })).toBe(0);
  });

  it('decides the type from the content, not the name: a disguised file is refused with 415', async () => {
    const id = await open();
    const fakes = [
      { name: '现场照片.jpg', content: Buffer.from('这其实是一段文字，不是照片') },
      {
        name: '整改报告.pdf',
        content: Buffer.concat([
          Buffer.from('MZ'),
          Buffer.alloc(64, 0),
          Buffer.from('This program cannot be run in DOS mode'),
        ]),
      },
      { name: 'photo.png', content: Buffer.from('<html><script>alert(1)</script></html>') },
    ];
    for (const fake of fakes) {
      const res = await upload(app, id, p.leadA, [fake]);
      expect(res.statusCode, `${fake.name}: ${res.body}`).toBe(415);
      expect(res.json().message).toContain('不支持的文件类型');
    }
    expect(await stack.db.evidence.count({ where: { subjectKind: 'item', subjectId: id } })).toBe(0);
  });

  it('keeps a path-like name as a plain name and writes nothing outside the store', async () => {
    const id = await open();
    const content = pdf('path-like');
    const res = await upload(app, id, p.leadA, [{ name: '../../../../tmp/evil/整改方案.pdf', content }]);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().files[0].name).toBe('整改方案.pdf');
    const stored = filesUnder(store.dir);
    expect(stored.every((f) => f.startsWith(store.dir + path.sep))).toBe(true);
    expect(stored).toContain(store.pathOf(sha(content)));
    expect(existsSync('/tmp/evil/整改方案.pdf')).toBe(false);
    // The name is safe to put in a header on the way out, too.
    const down = await app.inject({
      method: 'GET',
      url: `/api/items/${id}/evidence/${sha(content)}`,
      headers: bearer(p.leadA),
    });
    expect(down.statusCode).toBe(200);
    expect(down.headers['content-disposition']).toBe(
      `attachment; filename="____.pdf"; filename*=UTF-8''${encodeURIComponent('整改方案.pdf')}`,
    );
    expect(down.rawPayload.equals(content)).toBe(true);
  });

  it('flags a reused photo to the verifier, not to the unit', async () => {
    const first = await open('unit-a');
    const second = await open('unit-b');
    const photo = jpeg('the-same-photo');
    await attach(app, first, p.leadA, [{ name: 'a.jpg', content: photo }]);
    await attach(app, second, p.leadB, [{ name: 'b.jpg', content: photo }]);
    const fresh = jpeg('an-honest-photo');
    await attach(app, second, p.leadB, [{ name: 'c.jpg', content: fresh }]);

    const forVerifier = (
      await app.inject({ method: 'GET', url: `/api/items/${second}/evidence`, headers: bearer(p.verifier) })
    ).json().files;
    expect(forVerifier.find((f: { sha256: string }) => f.sha256 === sha(photo))).toMatchObject({
      reused: true,
      reusedIn: [{ itemId: first, unitId: 'unit-a' }],
    });
    expect(forVerifier.find((f: { sha256: string }) => f.sha256 === sha(fresh))).toMatchObject({
      reused: false,
      reusedIn: [],
    });
    const forUnit = (
      await app.inject({ method: 'GET', url: `/api/items/${second}/evidence`, headers: bearer(p.leadB) })
    ).json().files;
    expect(forUnit.every((f: Record<string, unknown>) => !('reused' in f) && !('reusedIn' in f))).toBe(true);
    // Stored once.
    expect(filesUnder(store.dir).filter((f) => f.endsWith(sha(photo)))).toHaveLength(1);
  });

  it('lets only those who may see the item download, and audits every download', async () => {
    const id = await open('unit-a', ['unit-c']);
    const content = pdf('minutes');
    await attach(app, id, p.leadA, [{ name: '会议纪要.pdf', content }]);
    const url = `/api/items/${id}/evidence/${sha(content)}`;
    expect((await app.inject({ method: 'GET', url, headers: bearer(p.outsider) })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url, headers: bearer(p.districtSupervisor) })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url, headers: bearer(p.admin) })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url, headers: bearer(p.coC) })).statusCode).toBe(200);
    const ok = await app.inject({
      method: 'GET',
      url,
      headers: { ...bearer(p.verifier), 'x-request-id': 'req-download-1' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['content-type']).toBe('application/pdf');
    expect(ok.headers['x-content-type-options']).toBe('nosniff');
    const audit = await stack.db.auditLog.findMany({
      where: { target: `${id}/${sha(content)}` },
      orderBy: { id: 'asc' },
    });
    expect(audit.map((a) => [a.userId, a.outcome, a.status])).toEqual([
      [p.outsider.userId, 'denied', 404],
      [p.districtSupervisor.userId, 'denied', 404],
      [p.admin.userId, 'denied', 403],
      [p.coC.userId, 'ok', 200],
      [p.verifier.userId, 'ok', 200],
    ]);
    expect(audit[4]).toMatchObject({
      action: 'GET /api/items/:id/evidence/:sha256',
      requestId: 'req-download-1',
      ip: '127.0.0.1',
    });
    // A file of another item cannot be fetched through this one.
    const other = await open('unit-a');
    expect(
      (
        await app.inject({
          method: 'GET',
          url: `/api/items/${other}/evidence/${sha(content)}`,
          headers: bearer(p.leadA),
        })
      ).statusCode,
    ).toBe(404);
  });

  it('refuses an attachment that was not uploaded to this item, naming the field', async () => {
    const id = await open();
    const elsewhere = await open();
    const [stray] = await attach(app, elsewhere, p.leadA, [{ name: 'x.jpg', content: jpeg('stray') }]);
    for (const [a, body] of [
      ['sign', {}],
      ['filePlan', { plan: '清理' }],
    ] as const)
      await act(id, a, p.leadA, body);
    const res = await act(id, 'submit', p.leadA, {
      summary: '已整改',
      attachments: [{ sha256: stray!.sha256 }, { sha256: 'f'.repeat(64) }],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().fields.map((f: { field: string }) => f.field)).toEqual([
      'body.attachments.0.sha256',
      'body.attachments.1.sha256',
    ]);
    expect((await stack.db.item.findUnique({ where: { id } }))?.status).toBe('rectifying');
  });
});

/** A small PNG (signature, IHDR, a text chunk carrying `tag`, IEND); file-type reads it as image/png. */
function png(tag: string): Buffer {
  const chunk = (type: string, data: Buffer) =>
    Buffer.concat([Buffer.from([0, 0, 0, data.length]), Buffer.from(type), data, Buffer.alloc(4)]);
  const ihdr = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('tEXt', Buffer.from(`Comment\0${tag}`)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('the names of uploaded files', () => {
  it('safeFileName: cut at NUL, no control or bidirectional characters, the extension of the detected type', () => {
    expect(safeFileName('evil.png\0.html', 'image/png')).toBe('evil.png');
    expect(safeFileName('evil.html\0.png', 'image/png')).toBe('evil.png');
    expect(safeFileName('x.html', 'image/png')).toBe('x.png');
    expect(safeFileName('photo.JPG', 'image/jpeg')).toBe('photo.JPG');
    expect(safeFileName('整改报告', 'application/pdf')).toBe('整改报告.pdf');
    expect(safeFileName('纪要 v1.2', 'application/pdf')).toBe('纪要 v1.2.pdf');
    expect(safeFileName('invoice\u202Egnp.exe', 'image/png')).toBe('invoicegnp.png');
    expect(
      safeFileName(
        'a\u2066b\u2067c\u2068d\u2069e\u200ef\u200fg\u061ch\u202ai\u202bj\u202ck\u202dl.pdf',
        'application/pdf',
      ),
    ).toBe('abcdefghijkl.pdf');
    expect(safeFileName('a\u0001b\u001fc\u007fd\u0085e\tf.pdf', 'application/pdf')).toBe('abcdef.pdf');
    expect(safeFileName('\0.html', 'image/png')).toBe('附件.png');
    expect(safeFileName('x.pdf.', 'application/pdf')).toBe('x.pdf');
    // Without a type (an error message) only the cleaning applies.
    expect(safeFileName('evil.png\0.html')).toBe('evil.png');
    // Every allowed type has an extension; a long name is cut without splitting a character.
    for (const mime of Object.keys(ALLOWED_TYPES)) expect(safeFileName('x', mime), mime).toMatch(/^x\.[a-z0-9]+$/);
    const long = safeFileName('😀'.repeat(300) + '.html', 'image/png');
    expect(long).toBe('😀'.repeat(196) + '.png');
    expect(() => encodeURIComponent(long)).not.toThrow();
  });

  it('stores and offers for download a name cleaned of NUL tails and bidirectional tricks, with the extension of the detected type', async () => {
    const id = await open();
    const cases: Array<Part & { expected: string; ascii: string }> = [
      { name: 'evil.png\0.html', content: png('nul-tail'), expected: 'evil.png', ascii: 'evil.png' },
      { name: 'x.html', content: png('named-html'), expected: 'x.png', ascii: 'x.png' },
      { name: 'photo.JPG', content: jpeg('upper-case-ext'), expected: 'photo.JPG', ascii: 'photo.JPG' },
      { name: '整改报告', content: pdf('no-extension'), expected: '整改报告.pdf', ascii: '____.pdf' },
      { name: '发票\u202Egnp.exe', content: png('rlo'), expected: '发票gnp.png', ascii: '__gnp.png' },
      {
        name: 'a\u2066b\u2069c\u200e\u200f\u061c.pdf',
        content: pdf('isolates'),
        expected: 'abc.pdf',
        ascii: 'abc.pdf',
      },
    ];
    const res = await upload(app, id, p.leadA, cases);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().files.map((f: { name: string }) => f.name)).toEqual(cases.map((c) => c.expected));
    const listed = (
      await app.inject({ method: 'GET', url: `/api/items/${id}/evidence`, headers: bearer(p.leadA) })
    ).json().files;
    expect(listed.map((f: { name: string }) => f.name)).toEqual(cases.map((c) => c.expected));
    for (const c of cases) {
      const down = await app.inject({
        method: 'GET',
        url: `/api/items/${id}/evidence/${sha(c.content)}`,
        headers: bearer(p.leadA),
      });
      expect(down.statusCode).toBe(200);
      expect(down.headers['content-disposition']).toBe(
        `attachment; filename="${c.ascii}"; filename*=UTF-8''${encodeURIComponent(c.expected)}`,
      );
      expect(down.rawPayload.equals(c.content)).toBe(true);
    }
  });

  it('names a download by its detected type even when its row predates the rule', async () => {
    const id = await open();
    const content = png('legacy-row');
    await attach(app, await open(), p.leadA, [{ name: 'fine.png', content }]);
    await stack.db.evidence.create({
      data: {
        sha256: sha(content),
        subjectKind: 'item',
        subjectId: id,
        unitId: 'unit-a',
        uploadedBy: p.leadA.userId,
        name: 'old\u202Elmth.html',
        mime: 'image/png',
        size: content.length,
      },
    });
    const down = await app.inject({
      method: 'GET',
      url: `/api/items/${id}/evidence/${sha(content)}`,
      headers: bearer(p.leadA),
    });
    expect(down.statusCode).toBe(200);
    expect(down.headers['content-disposition']).toBe(
      `attachment; filename="oldlmth.png"; filename*=UTF-8''oldlmth.png`,
    );
  });
});

describe('a refused upload stores nothing', () => {
  async function snapshot() {
    return { files: filesUnder(store.dir).sort(), rows: await stack.db.evidence.count() };
  }

  it('refuses 11 files (the limit is 10) with 413, and neither the evidence table nor the store changes', async () => {
    const id = await open();
    const before = await snapshot();
    const files = Array.from({ length: 11 }, (_, i) => ({ name: `现场${i}.jpg`, content: jpeg(`eleven-${i}`) }));
    const res = await upload(app, id, p.leadA, files);
    expect(res.statusCode, res.body).toBe(413);
    expect(res.json().message).toContain('数量');
    expect(await snapshot()).toEqual(before);
    for (const f of files) expect(existsSync(store.pathOf(sha(f.content)))).toBe(false);
  });

  it('refuses five files with a disguised one in the middle, and keeps none of the five', async () => {
    const id = await open();
    const before = await snapshot();
    const files = [
      jpeg('five-1'),
      pdf('five-2'),
      Buffer.from('<html><script>alert(1)</script></html>'),
      jpeg('five-4'),
      png('five-5'),
    ].map((content, i) => ({ name: `f${i}.jpg`, content }));
    const res = await upload(app, id, p.leadA, files);
    expect(res.statusCode, res.body).toBe(415);
    expect(res.json().fields).toEqual([{ field: 'files.2', reason: expect.stringContaining('不支持的文件类型') }]);
    expect(await snapshot()).toEqual(before);
    for (const f of files) expect(existsSync(store.pathOf(sha(f.content)))).toBe(false);
  });

  it('refuses five files with one too large in the middle, and keeps none of the five', async () => {
    const id = await open();
    const before = await snapshot();
    const big = Buffer.concat([jpeg('big-middle'), Buffer.alloc(10_000, 1)]);
    const files = [jpeg('large-1'), jpeg('large-2'), jpeg('large-3'), big, jpeg('large-5')].map((content, i) => ({
      name: `g${i}.jpg`,
      content,
    }));
    const res = await upload(app, id, p.leadA, files);
    expect(res.statusCode, res.body).toBe(413);
    expect(await snapshot()).toEqual(before);
    for (const f of files) expect(existsSync(store.pathOf(sha(f.content)))).toBe(false);
  });

  it('keeps a file an earlier request stored when a later request with the same content is refused', async () => {
    const id = await open();
    const kept = pdf('stored-earlier');
    await attach(app, id, p.leadA, [{ name: '早先.pdf', content: kept }]);
    const before = await snapshot();
    const fresh = jpeg('only-in-refused');
    const res = await upload(app, id, p.leadA, [
      { name: 'new.jpg', content: fresh },
      { name: 'again.pdf', content: kept },
      { name: 'bad.png', content: Buffer.from('not an image at all') },
    ]);
    expect(res.statusCode, res.body).toBe(415);
    expect(await snapshot()).toEqual(before);
    expect(existsSync(store.pathOf(sha(kept)))).toBe(true);
    expect(existsSync(store.pathOf(sha(fresh)))).toBe(false);
    const down = await app.inject({
      method: 'GET',
      url: `/api/items/${id}/evidence/${sha(kept)}`,
      headers: bearer(p.leadA),
    });
    expect(down.rawPayload.equals(kept)).toBe(true);
  });

  it('still takes a normal upload of three files: three rows in one request, three files in the store, nothing left staged', async () => {
    const id = await open();
    const files = [
      { name: '照片.jpg', content: jpeg('three-1') },
      { name: '方案.pdf', content: pdf('three-2') },
      { name: '截图.png', content: png('three-3') },
    ];
    const res = await upload(app, id, p.leadA, files);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().files.map((f: { sha256: string; name: string }) => [f.sha256, f.name])).toEqual(
      files.map((f) => [sha(f.content), f.name]),
    );
    const rows = await stack.db.evidence.findMany({
      where: { subjectKind: 'item', subjectId: id },
      orderBy: { id: 'asc' },
    });
    expect(rows.map((r) => [r.sha256, r.name, r.mime, r.unitId, r.uploadedBy])).toEqual([
      [sha(files[0]!.content), '照片.jpg', 'image/jpeg', 'unit-a', p.leadA.userId],
      [sha(files[1]!.content), '方案.pdf', 'application/pdf', 'unit-a', p.leadA.userId],
      [sha(files[2]!.content), '截图.png', 'image/png', 'unit-a', p.leadA.userId],
    ]);
    for (const f of files) expect(existsSync(store.pathOf(sha(f.content)))).toBe(true);
    expect(filesUnder(path.join(store.dir, 'tmp'))).toEqual([]);
  });
});
