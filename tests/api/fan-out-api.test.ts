/**
 * 举一反三 through the API, on the tests' dev server: fanning out (marked 共性, the origin's lead
 * unit left out, Idempotency-Key), what each side sees (a unit only its own row; oversight within
 * its jurisdiction), the answers (once, in Chinese when refused, with files uploaded to the
 * fan-out), and the spot-check of a drawn 不存在 (upheld or overturned, once; overturned opens
 * the unit's item); a withdrawn item is not fanned out, and an answer's files are downloaded by
 * oversight and by the unit that uploaded them. A unit asked once about an origin is left out of
 * its later fan-outs; an item a fan-out opens carries the origin's tags and a link back to it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../domain/actors';
import { fanOutItemId } from '../../domain/fan-out';
import { createNotificationActivities } from '../../activities/notifications';
import { visibleNotices } from '../../api/visibility';
import * as p from '../support/actors';
import { bearer, startApiStack, type ApiStack } from '../support/api';
import { multipart, pdf } from '../support/files';
import { uniqueTaskQueue } from '../support/stack';
import { waitFor } from '../support/wait';

let stack: ApiStack;
let origin = '';

beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('fanout-api'));
  const res = await send(p.supervisor, 'POST', '/api/items', {
    title: '燃气管道老化存在安全隐患',
    leadUnitId: 'unit-a',
    dueInWorkingDays: 20,
  });
  expect(res.statusCode, res.body).toBe(201);
  origin = res.json().item.id;
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

function send(actor: Actor, method: 'GET' | 'POST', url: string, payload?: unknown, key?: string) {
  return stack.app.inject({
    method,
    url,
    headers: { ...bearer(actor), ...(key ? { 'idempotency-key': key } : {}) },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
}

const fanOut = (actor: Actor, body: Record<string, unknown>, key?: string, item = origin) =>
  send(actor, 'POST', `/api/items/${item}/fan-outs`, { requirements: '排查燃气管道老化隐患', ...body }, key);

/** Every unit of the fan-out has been asked (its child workflow has run). */
const asked = (id: string, n: number) =>
  waitFor(async () => {
    const [r] = await stack.db.$queryRaw<Array<{ n: number }>>`
      SELECT count(*)::int AS n FROM fan_out_units WHERE fan_out_id = ${id} AND asked_at IS NOT NULL`;
    return r!.n === n;
  });

describe('fanning out', () => {
  it('marks the item 共性, asks the units of a kind but the origin’s own, once per Idempotency-Key', async () => {
    const first = await fanOut(p.supervisor, { units: { kinds: ['bureau'] }, answerDays: 5 }, 'fo-bureaus');
    expect(first.statusCode, first.body).toBe(201);
    const view = first.json();
    expect(view).toMatchObject({ originItemId: origin, unitCount: 4, status: 'asking', spotCheckShare: 0.2 });
    const again = await fanOut(p.supervisor, { units: { kinds: ['bureau'] }, answerDays: 5 }, 'fo-bureaus');
    expect(again.json().id).toBe(view.id);
    expect(await stack.db.$queryRaw`SELECT count(*)::int AS n FROM fan_outs WHERE origin_item_id = ${origin}`).toEqual([
      { n: 1 },
    ]);
    const item = await send(p.supervisor, 'GET', `/api/items/${origin}`);
    expect(item.json().classes?.commonality ?? 'common').toBe('common');
    const [row] = await stack.db.$queryRaw<
      Array<{ commonality: string }>
    >`SELECT commonality FROM items WHERE id = ${origin}`;
    expect(row!.commonality).toBe('common');
    await asked(view.id, 4);
    const units = await send(p.supervisor, 'GET', `/api/fan-outs/${view.id}`);
    expect(units.json().units.map((u: { unitId: string }) => u.unitId)).toEqual([
      'district-a',
      'unit-b',
      'unit-c',
      'unit-x',
    ]);
  });

  it('leaves out a unit already asked about the same origin, and refuses a fan-out with nobody left', async () => {
    const second = await fanOut(p.supervisor, { units: { unitIds: ['unit-b', 'district-t'] } }, 'fo-second');
    expect(second.statusCode, second.body).toBe(201);
    expect(second.json()).toMatchObject({ unitCount: 1, skippedAlreadyAsked: 1 });
    expect(await stack.db.$queryRaw`SELECT unit_id FROM fan_out_units WHERE fan_out_id = ${second.json().id}`).toEqual([
      { unit_id: 'district-t' },
    ]);
    const board = await send(p.supervisor, 'GET', `/api/items/${origin}/fan-outs`);
    expect(board.json().askedUnitIds).toEqual(['district-a', 'district-t', 'unit-b', 'unit-c', 'unit-x']);
    const nobody = await fanOut(p.supervisor, { units: { unitIds: ['unit-b', 'district-t'] } }, 'fo-third');
    expect(nobody.statusCode, nobody.body).toBe(400);
    expect(nobody.json()).toMatchObject({
      message: expect.stringContaining('已在本事项此前的举一反三中被要求排查'),
      fields: [{ field: 'body.units' }],
    });
    expect(await stack.db.$queryRaw`SELECT count(*)::int AS n FROM fan_outs WHERE origin_item_id = ${origin}`).toEqual([
      { n: 2 },
    ]);
  });

  it('refuses bad input in Chinese, naming the field', async () => {
    const noText = await send(p.supervisor, 'POST', `/api/items/${origin}/fan-outs`, { units: { kinds: ['bureau'] } });
    expect(noText.statusCode).toBe(400);
    expect(noText.json().fields[0].field).toBe('body.requirements');
    const unknown = await fanOut(p.supervisor, { units: { unitIds: ['unit-b', 'nope'] } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ fields: [{ field: 'body.units.unitIds.1', reason: '单位“nope”不存在' }] });
    const none = await fanOut(p.supervisor, { units: { unitIds: ['unit-a'] } });
    expect(none.statusCode).toBe(400);
    expect(none.json().message).toContain('没有可下发的单位');
    const share = await fanOut(p.supervisor, { units: { kinds: ['bureau'] }, spotCheckShare: 2 });
    expect(share.statusCode).toBe(400);
    expect(share.json().fields[0].field).toBe('body.spotCheckShare');
    expect((await fanOut(p.leadA, { units: { kinds: ['bureau'] } })).statusCode).toBe(403);
  });

  it('refuses a withdrawn item with 409 and writes nothing, not even the 共性 mark', async () => {
    const made = await send(p.supervisor, 'POST', '/api/items', {
      title: '误立的燃气隐患',
      leadUnitId: 'unit-a',
      dueInWorkingDays: 20,
    });
    expect(made.statusCode, made.body).toBe(201);
    const withdrawn = made.json().item.id;
    const w = await send(p.supervisor, 'POST', `/api/items/${withdrawn}/withdraw`, { reason: '重复立项' });
    expect(w.statusCode, w.body).toBe(200);
    const refused = await fanOut(p.supervisor, { units: { unitIds: ['unit-b'] } }, 'fo-withdrawn', withdrawn);
    expect(refused.statusCode, refused.body).toBe(409);
    expect(refused.json()).toMatchObject({ message: '该事项已撤销，不能发起举一反三', state: 'withdrawn' });
    expect(
      await stack.db.$queryRaw`SELECT count(*)::int AS n FROM fan_outs WHERE origin_item_id = ${withdrawn}`,
    ).toEqual([{ n: 0 }]);
    expect(
      await stack.db
        .$queryRaw`SELECT commonality, (SELECT count(*)::int FROM item_class_changes WHERE item_id = ${withdrawn}) AS changes
        FROM items WHERE id = ${withdrawn}`,
    ).toEqual([{ commonality: null, changes: 0 }]);
  });

  it('keeps oversight within its jurisdiction', async () => {
    // unit-a's item is not the district's to see.
    expect((await fanOut(p.districtSupervisor, { units: { kinds: ['bureau'] } })).statusCode).toBe(404);
    const own = await send(p.districtSupervisor, 'POST', '/api/items', {
      title: '街道燃气隐患',
      leadUnitId: 'district-t',
      dueInWorkingDays: 20,
    });
    expect(own.statusCode, own.body).toBe(201);
    const outside = await fanOut(
      p.districtSupervisor,
      { units: { unitIds: ['unit-b'] } },
      undefined,
      own.json().item.id,
    );
    expect(outside.statusCode).toBe(403);
    expect(outside.json().message).toContain('管辖范围');
    const inside = await fanOut(p.districtSupervisor, { units: { kinds: ['bureau'] } }, undefined, own.json().item.id);
    expect(inside.statusCode, inside.body).toBe(201);
    expect(inside.json().unitCount).toBe(1); // district-a only: the city's bureaus are not the district's
  });
});

describe('answering and spot-checking', () => {
  let id = '';
  // An origin of its own (the first one's units have been asked already), with tags its items take.
  let tagged = '';
  beforeAll(async () => {
    const o = await send(p.supervisor, 'POST', '/api/items', {
      title: '燃气管道老化存在安全隐患',
      leadUnitId: 'unit-a',
      dueInWorkingDays: 20,
      tags: ['燃气', '巡察反馈'],
    });
    expect(o.statusCode, o.body).toBe(201);
    tagged = o.json().item.id;
    const made = await fanOut(
      p.supervisor,
      { units: { unitIds: ['unit-b', 'unit-c', 'unit-x'] }, spotCheckShare: 1 },
      undefined,
      tagged,
    );
    expect(made.statusCode, made.body).toBe(201);
    id = made.json().id;
    await asked(id, 3);
  });

  it('shows a unit only its own row, and nothing to a unit not asked', async () => {
    const mine = await send(p.leadB, 'GET', `/api/fan-outs/${id}`);
    expect(mine.statusCode).toBe(200);
    expect(mine.json().units.map((u: { unitId: string }) => u.unitId)).toEqual(['unit-b']);
    expect(mine.json().total).toBe(1);
    expect((await send(p.leadA, 'GET', `/api/fan-outs/${id}`)).statusCode).toBe(404);
    expect((await send(p.districtSupervisor, 'GET', `/api/fan-outs/${id}`)).statusCode).toBe(404);
    const list = await send(p.leadB, 'GET', '/api/fan-outs/mine');
    expect(list.json().fanOuts.map((f: { id: string }) => f.id)).toContain(id);
  });

  it('tells each asked unit in words, about the fan-out, seen as the board is', async () => {
    const outbox = createNotificationActivities(stack.db, undefined, {
      from: '督查督办系统 <duban@example.gov.cn>',
      publicUrl: 'https://duban.example.gov.cn',
    });
    while ((await outbox.expandRequests()) > 0);
    const rows = await stack.db.outboxMessage.findMany({
      where: { subjectKind: 'fan_out', subjectId: id, kind: 'fan_out_ask' },
    });
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const r of rows) {
      expect(r.status).not.toBe('failed');
      expect(r.subject).toBe('【举一反三排查通知】举一反三：燃气管道老化存在安全隐患');
      expect(r.text).toContain('排查要求：排查燃气管道老化隐患');
      expect(r.text).toContain(`https://duban.example.gov.cn/fan-outs/${id}`);
    }
    const asB = await visibleNotices(stack.db, p.leadB, rows);
    expect(asB.length).toBe(rows.length);
    expect(await visibleNotices(stack.db, p.leadA, rows)).toEqual([]);
    // The district's supervisor as the API sees him: his jurisdiction filled in from his record.
    const district = { ...p.districtSupervisor, jurisdiction: ['district', 'district-a', 'district-t'] };
    expect(await visibleNotices(stack.db, district, rows)).toEqual([]);
    expect((await visibleNotices(stack.db, p.supervisor, rows)).length).toBe(rows.length);
  });

  it('takes each unit’s answer once, with files uploaded to the fan-out', async () => {
    expect(
      (await send(p.supervisor, 'POST', `/api/fan-outs/${id}/answers`, { answer: 'absent', reason: 'x' })).statusCode,
    ).toBe(403);
    const blank = await send(p.leadB, 'POST', `/api/fan-outs/${id}/answers`, { answer: 'absent', reason: ' ' });
    expect(blank.statusCode).toBe(400);
    expect(blank.json().fields[0].field).toBe('body.reason');
    const notUploaded = await send(p.leadB, 'POST', `/api/fan-outs/${id}/answers`, {
      answer: 'absent',
      reason: '经排查不存在',
      attachments: [{ sha256: 'a'.repeat(64) }],
    });
    expect(notUploaded.statusCode).toBe(400);
    expect(notUploaded.json().fields[0].field).toBe('body.attachments.0.sha256');

    const { payload, headers } = multipart([{ name: '排查报告.pdf', content: pdf('fan-out-b') }]);
    const upload = await stack.app.inject({
      method: 'POST',
      url: `/api/fan-outs/${id}/evidence`,
      headers: { ...bearer(p.leadB), ...headers },
      payload,
    });
    expect(upload.statusCode, upload.body).toBe(201);
    const sha = upload.json().files[0].sha256;
    const answered = await send(p.leadB, 'POST', `/api/fan-outs/${id}/answers`, {
      answer: 'absent',
      reason: '经排查不存在',
      attachments: [{ sha256: sha }],
    });
    expect(answered.statusCode, answered.body).toBe(200);
    expect(answered.json()).toMatchObject({ answer: 'absent', attachments: [{ sha256: sha, name: '排查报告.pdf' }] });
    const twice = await send(p.leadB, 'POST', `/api/fan-outs/${id}/answers`, { answer: 'present', reason: '改为存在' });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().message).toContain('答复不能更改');
    // The row itself refuses a change: the trigger, whatever the application does.
    await expect(
      stack.db.$executeRaw`UPDATE fan_out_units SET answer = 'present' WHERE fan_out_id = ${id} AND unit_id = 'unit-b'`,
    ).rejects.toThrow(/final/);

    const present = await send(
      p.coC,
      'POST',
      `/api/fan-outs/${id}/answers`,
      { answer: 'present', reason: '存在同类隐患' },
      'c-1',
    );
    expect(present.statusCode, present.body).toBe(200);
    expect(present.json().itemId).toBe(fanOutItemId(id, 'unit-c'));
    const item = await send(p.coC, 'GET', `/api/items/${fanOutItemId(id, 'unit-c')}`);
    expect(item.statusCode).toBe(200);
    expect(item.json().item).toMatchObject({
      leadUnitId: 'unit-c',
      description: expect.stringContaining('排查燃气管道老化隐患'),
      classes: { tags: ['燃气', '巡察反馈'], commonality: 'common' },
      fanOut: { fanOutId: id, originItemId: tagged, originTitle: '燃气管道老化存在安全隐患' },
    });
    expect(item.json().item.fanOut.originNumber).toMatch(/^督〔\d{4}〕\d+号$/);
    // An item opened by hand carries no such link.
    expect((await send(p.supervisor, 'GET', `/api/items/${tagged}`)).json().item.fanOut).toBeUndefined();
    expect(
      (
        await send(p.coC, 'POST', `/api/fan-outs/${id}/answers`, { answer: 'present', reason: '存在同类隐患' }, 'c-1')
      ).json(),
    ).toEqual(present.json());
  });

  it('serves an answer’s file to oversight and to the uploading unit, audited, never to another asked unit', async () => {
    const listed = (await send(p.supervisor, 'GET', `/api/fan-outs/${id}?state=absent`)).json();
    const sha: string = listed.units.find((u: { unitId: string }) => u.unitId === 'unit-b').attachments[0].sha256;
    const url = `/api/fan-outs/${id}/evidence/${sha}`;
    for (const actor of [p.supervisor, p.leadB]) {
      const file = await send(actor, 'GET', url);
      expect(file.statusCode, file.body).toBe(200);
      expect(file.rawPayload.equals(pdf('fan-out-b'))).toBe(true);
      expect(file.headers).toMatchObject({
        'content-type': 'application/pdf',
        'content-disposition': expect.stringMatching(/^attachment; .*filename\*=UTF-8''%E6%8E%92/),
        'x-content-type-options': 'nosniff',
        'cache-control': 'private, no-store',
      });
    }
    expect((await send(p.supervisor, 'GET', `${url}?disposition=inline`)).headers['content-disposition']).toMatch(
      /^inline;/,
    );
    // unit-c is asked in the same fan-out, the district's supervisor does not see it; the auditor reads no files.
    expect((await send(p.coC, 'GET', url)).statusCode).toBe(404);
    expect((await send(p.districtSupervisor, 'GET', url)).statusCode).toBe(404);
    expect((await send(p.auditor, 'GET', url)).statusCode).toBe(403);
    const reads = await stack.db.auditLog.findMany({
      where: { action: 'GET /api/fan-outs/:id/evidence/:sha256', target: `${id}/${sha}`, status: 200 },
    });
    expect(reads.map((r) => r.userId).sort()).toEqual(
      [p.leadB.userId, p.supervisor.userId, p.supervisor.userId].sort(),
    );

    // A file unit-x has uploaded but not cited in an answer: its own to open, not yet the office's.
    const { payload, headers } = multipart([{ name: '草稿.pdf', content: pdf('fan-out-x-draft') }]);
    const upload = await stack.app.inject({
      method: 'POST',
      url: `/api/fan-outs/${id}/evidence`,
      headers: { ...bearer(p.leaderX), ...headers },
      payload,
    });
    expect(upload.statusCode, upload.body).toBe(201);
    const draft = `/api/fan-outs/${id}/evidence/${upload.json().files[0].sha256}`;
    expect((await send(p.leaderX, 'GET', draft)).statusCode).toBe(200);
    expect((await send(p.supervisor, 'GET', draft)).statusCode).toBe(404);
    expect((await send(p.leadB, 'GET', draft)).statusCode).toBe(404);
  });

  it('draws every 不存在 at a share of 1 once all have answered, and takes one spot-check decision each', async () => {
    expect(
      (
        await send(p.supervisor, 'POST', `/api/fan-outs/${id}/units/unit-b/spot-check`, {
          decision: 'upheld',
          note: '核实',
        })
      ).statusCode,
    ).toBe(409); // not drawn yet
    const x = await send(p.leaderX, 'POST', `/api/fan-outs/${id}/answers`, {
      answer: 'absent',
      reason: '经排查不存在',
    });
    expect(x.statusCode, x.body).toBe(200);
    // The last answer wakes the workflow, which draws (ceil(1 × 2) = both 不存在) and records.
    await waitFor(async () => {
      const r = await send(p.supervisor, 'GET', `/api/fan-outs/${id}`);
      return r.json().status === 'sampled' && r.json().coverage.sampled === 2;
    });
    expect(
      (await send(p.leadB, 'POST', `/api/fan-outs/${id}/units/unit-b/spot-check`, { decision: 'upheld', note: '核实' }))
        .statusCode,
    ).toBe(403);
    const upheld = await send(p.verifier, 'POST', `/api/fan-outs/${id}/units/unit-x/spot-check`, {
      decision: 'upheld',
      note: '现场核实属实',
    });
    expect(upheld.statusCode, upheld.body).toBe(200);
    expect(upheld.json()).toMatchObject({ spotCheck: 'upheld', itemId: null });
    const overturned = await send(p.supervisor, 'POST', `/api/fan-outs/${id}/units/unit-b/spot-check`, {
      decision: 'overturned',
      note: '现场发现同类隐患',
    });
    expect(overturned.statusCode, overturned.body).toBe(200);
    expect(overturned.json()).toMatchObject({ spotCheck: 'overturned', itemId: fanOutItemId(id, 'unit-b') });
    const again = await send(p.supervisor, 'POST', `/api/fan-outs/${id}/units/unit-b/spot-check`, {
      decision: 'upheld',
      note: '改判',
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().message).toContain('结论不能更改');
    const board = await send(p.supervisor, 'GET', `/api/items/${tagged}/fan-outs`);
    const coverage = board.json().fanOuts.find((f: { id: string }) => f.id === id).coverage;
    expect(coverage).toMatchObject({
      asked: 3,
      answered: 3,
      absent: 2,
      present: 1,
      silent: 0,
      sampled: 2,
      checked: 2,
      overturned: 1,
      itemsOpened: 2,
    });
    const overturnedRows = await send(p.supervisor, 'GET', `/api/fan-outs/${id}?state=overturned`);
    expect(overturnedRows.json().units.map((u: { unitId: string }) => u.unitId)).toEqual(['unit-b']);
    expect((await send(p.supervisor, 'GET', `/api/fan-outs/${id}?state=nope`)).statusCode).toBe(400);
  });
});
