import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../api/app';
import { verifyItemChain } from '../../lib/chain';
import * as p from '../support/actors';
import { bearer, startApiStack, testEvidenceStore, TEST_SECRET, type ApiStack } from '../support/api';
import { attach, jpeg, pdf, upload } from '../support/files';
import { uniqueTaskQueue } from '../support/stack';
import type { Actor } from '../../domain/actors';

let stack: ApiStack;
let app: App;
let store: Awaited<ReturnType<typeof testEvidenceStore>>;
beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('evidence'));
  store = await testEvidenceStore();
  // A small limit so "oversize" is quick to show.
  app = await buildApp({ services: { db: stack.db, temporal: stack.t.client, taskQueue: 'unused', maxDeclines: 2, temporalTimeoutMs: 15_000 }, auth: { secret: TEST_SECRET, userCacheMs: 0 }, evidence: store, limits: { evidenceBytes: 4096 } });
}, 60_000);
afterAll(async () => {
  await app?.close();
  await stack?.close();
});

async function open(leadUnitId = 'unit-a', coUnitIds: string[] = []): Promise<string> {
  const res = await stack.app.inject({ method: 'POST', url: '/api/items', headers: bearer(p.supervisor), payload: { title: '违规搭建整改', leadUnitId, coUnitIds, dueDate: '2026-12-31' } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().item.id;
}
async function act(id: string, action: string, actor: Actor, payload: unknown = {}) {
  return stack.app.inject({ method: 'POST', url: `/api/items/${id}/${action}`, headers: bearer(actor), payload: payload as Record<string, unknown> });
}
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => path.join(d.parentPath, d.name));
}

describe('evidence files', () => {
  it('stores an upload by its SHA-256 with the type read from its content, and records the hash in the event', async () => {
    const id = await open();
    const photo = jpeg('site-after');
    const res = await upload(app, id, p.leadA, [{ name: '整改后照片.jpg', content: photo, type: 'image/jpeg' }]);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().files).toEqual([{ sha256: sha(photo), name: '整改后照片.jpg', size: photo.length, mime: 'image/jpeg', ref: `evidence:${sha(photo)}` }]);
    expect(existsSync(store.pathOf(sha(photo)))).toBe(true);

    for (const [a, body] of [['sign', {}], ['filePlan', { plan: '清理' }]] as const) expect((await act(id, a, p.leadA, body)).statusCode).toBe(200);
    const submitted = await act(id, 'submit', p.leadA, { summary: '已整改', attachments: [{ sha256: sha(photo) }] });
    expect(submitted.statusCode, submitted.body).toBe(200);
    const event = await stack.db.itemEvent.findFirst({ where: { itemId: id, action: 'submit' } });
    expect(event?.attachments).toEqual([{ name: '整改后照片.jpg', ref: `evidence:${sha(photo)}`, sha256: sha(photo), mime: 'image/jpeg', size: photo.length }]);
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
    expect(await stack.db.evidence.count({ where: { itemId: id } })).toBe(0);
  });

  it('decides the type from the content, not the name: a disguised file is refused with 415', async () => {
    const id = await open();
    const fakes = [
      { name: '现场照片.jpg', content: Buffer.from('这其实是一段文字，不是照片') },
      { name: '整改报告.pdf', content: Buffer.concat([Buffer.from('MZ'), Buffer.alloc(64, 0), Buffer.from('This program cannot be run in DOS mode')]) },
      { name: 'photo.png', content: Buffer.from('<html><script>alert(1)</script></html>') },
    ];
    for (const fake of fakes) {
      const res = await upload(app, id, p.leadA, [fake]);
      expect(res.statusCode, `${fake.name}: ${res.body}`).toBe(415);
      expect(res.json().message).toContain('不支持的文件类型');
    }
    expect(await stack.db.evidence.count({ where: { itemId: id } })).toBe(0);
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
    const down = await app.inject({ method: 'GET', url: `/api/items/${id}/evidence/${sha(content)}`, headers: bearer(p.leadA) });
    expect(down.statusCode).toBe(200);
    expect(down.headers['content-disposition']).toBe(`attachment; filename="____.pdf"; filename*=UTF-8''${encodeURIComponent('整改方案.pdf')}`);
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

    const forVerifier = (await app.inject({ method: 'GET', url: `/api/items/${second}/evidence`, headers: bearer(p.verifier) })).json().files;
    expect(forVerifier.find((f: { sha256: string }) => f.sha256 === sha(photo))).toMatchObject({ reused: true, reusedIn: [{ itemId: first, unitId: 'unit-a' }] });
    expect(forVerifier.find((f: { sha256: string }) => f.sha256 === sha(fresh))).toMatchObject({ reused: false, reusedIn: [] });
    const forUnit = (await app.inject({ method: 'GET', url: `/api/items/${second}/evidence`, headers: bearer(p.leadB) })).json().files;
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
    const ok = await app.inject({ method: 'GET', url, headers: { ...bearer(p.verifier), 'x-request-id': 'req-download-1' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['content-type']).toBe('application/pdf');
    expect(ok.headers['x-content-type-options']).toBe('nosniff');
    const audit = await stack.db.auditLog.findMany({ where: { target: `${id}/${sha(content)}` }, orderBy: { id: 'asc' } });
    expect(audit.map((a) => [a.userId, a.outcome, a.status])).toEqual([
      [p.outsider.userId, 'denied', 404],
      [p.districtSupervisor.userId, 'denied', 404],
      [p.admin.userId, 'denied', 403],
      [p.coC.userId, 'ok', 200],
      [p.verifier.userId, 'ok', 200],
    ]);
    expect(audit[4]).toMatchObject({ action: 'GET /api/items/:id/evidence/:sha256', requestId: 'req-download-1', ip: '127.0.0.1' });
    // A file of another item cannot be fetched through this one.
    const other = await open('unit-a');
    expect((await app.inject({ method: 'GET', url: `/api/items/${other}/evidence/${sha(content)}`, headers: bearer(p.leadA) })).statusCode).toBe(404);
  });

  it('refuses an attachment that was not uploaded to this item, naming the field', async () => {
    const id = await open();
    const elsewhere = await open();
    const [stray] = await attach(app, elsewhere, p.leadA, [{ name: 'x.jpg', content: jpeg('stray') }]);
    for (const [a, body] of [['sign', {}], ['filePlan', { plan: '清理' }]] as const) await act(id, a, p.leadA, body);
    const res = await act(id, 'submit', p.leadA, { summary: '已整改', attachments: [{ sha256: stray!.sha256 }, { sha256: 'f'.repeat(64) }] });
    expect(res.statusCode).toBe(400);
    expect(res.json().fields.map((f: { field: string }) => f.field)).toEqual(['body.attachments.0.sha256', 'body.attachments.1.sha256']);
    expect((await stack.db.item.findUnique({ where: { id } }))?.status).toBe('rectifying');
  });
});
