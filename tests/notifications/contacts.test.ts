/**
 * Issue 16, problem 3: notices to a unit made through the API. Without any address its notices
 * are listed as undeliverable with the reason and the supervisor is told, once per unit and
 * condition; with an address added through the API, the next notice arrives through a real SMTP
 * server on loopback.
 */
import type { Worker } from '@temporalio/worker';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../api/app';
import type { Actor } from '../../domain/actors';
import type { Db } from '../../lib/db';
import { createMailer, type Mailer } from '../../lib/mailer';
import * as people from '../support/actors';
import { admin, supervisor, verifier } from '../support/actors';
import { bearer, seedUnits, seedUsers, testApp } from '../support/api';
import { declareYearsAhead, DUE } from '../support/dates';
import { act } from '../support/items';
import { officeHoursOutbox, OFFICE_HOURS, testSmtp, type TestSmtp } from '../support/smtp';
import {
  connectTemporal,
  freshDatabase,
  startTestWorker,
  uniqueTaskQueue,
  type TemporalHandles,
} from '../support/stack';

let t: TemporalHandles;
let db: Db;
let worker: Worker;
let running: Promise<void>;
let smtp: TestSmtp;
let mailer: Mailer;
let app: App;
const taskQueue = uniqueTaskQueue('contacts-mail');
const WANG = 'wang@dcs.example.gov.cn';
const ZHOU = 'zhou@sjj.example.gov.cn';
/** The new unit's handler, made through the API. */
const zhou: Actor = { userId: 'u-sjj', name: '周经办', role: 'unit_handler', unitId: 'unit-sjj' };

beforeAll(async () => {
  t = await connectTemporal();
  db = (await freshDatabase()).db;
  await seedUnits(db);
  await seedUsers(db, Object.values(people));
  // Items here are due some weeks from today: no calendar warning joins the notices counted.
  await declareYearsAhead(db);
  worker = await startTestWorker(t, db, taskQueue);
  running = worker.run();
  smtp = await testSmtp();
  mailer = createMailer(smtp.url, { ratePerSecond: 1000, timeoutMs: 2000 });
  app = await testApp(db, t.client, taskQueue);
}, 60_000);

afterAll(async () => {
  mailer?.close();
  await smtp?.stop();
  await app?.close();
  worker?.shutdown();
  await running;
  await db?.$disconnect();
  await t?.close();
});

beforeEach(() => {
  smtp.received.length = 0;
});

async function deliverAll(): Promise<void> {
  const o = officeHoursOutbox(db, mailer);
  await o.expandRequests();
  await o.sendPending();
}

const to = (m: ParsedMail) =>
  (Array.isArray(m.to) ? m.to : m.to ? [m.to] : [])
    .flatMap((a) => a.value.map((v) => v.address!.toLowerCase()))
    .join(',');

interface Notice {
  itemId: string;
  kind: string;
  status: string;
  reason: string | null;
  recipientName: string;
  recipientEmail: string | null;
}

async function undelivered(actor: Actor): Promise<Notice[]> {
  const res = await app.inject({ method: 'GET', url: '/api/notifications/undelivered', headers: bearer(actor) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().notifications;
}

async function openItem(title: string): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/items',
    headers: bearer(supervisor),
    payload: { title, leadUnitId: 'unit-sjj', dueDate: DUE, category: 'inspection' },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().item.id;
}

describe('a unit made through the API, without any address', () => {
  let first = '';

  it('is set up by the administrator through the API: the supervisor with an address, the unit and its handler without', async () => {
    const put = (url: string, payload: Record<string, unknown>) =>
      app.inject({ method: 'PUT', url, headers: bearer(admin), payload });
    const sup = await put(`/api/users/${supervisor.userId}`, {
      name: supervisor.name,
      role: 'supervisor',
      unitId: 'dcs',
      email: WANG,
    });
    expect(sup.statusCode, sup.body).toBe(200);
    expect(sup.json().user).toMatchObject({ email: WANG, mobile: null });
    const unit = await put('/api/units/unit-sjj', { name: '市数据局', parentId: 'city', kind: 'bureau' });
    expect(unit.statusCode, unit.body).toBe(200);
    const user = await put(`/api/users/${zhou.userId}`, { name: zhou.name, role: 'unit_handler', unitId: 'unit-sjj' });
    expect(user.statusCode, user.body).toBe(200);
    expect(user.json().user).toMatchObject({ email: null });
    // The address book says so before any notice is sent.
    const book = await app.inject({ method: 'GET', url: '/api/contacts?unitId=unit-sjj', headers: bearer(admin) });
    expect(
      book
        .json()
        .gaps.map((g: { roleLabel: string; reason: string }) => `${g.roleLabel}:${g.reason}`)
        .sort(),
    ).toEqual(['单位负责人:未登记单位负责人', '经办人:缺少邮箱']);
  });

  it('lists its 交办通知 as undeliverable with the reason, and tells the supervisor once per unit and condition', async () => {
    first = await openItem('政务数据共享整改');
    await deliverAll();
    // (Rungs of the ladder may have fired meanwhile, to the same seats: the assignment is what is looked at.)
    const mine = (await undelivered(supervisor)).filter((n) => n.itemId === first && n.kind === 'assigned');
    expect(mine.map((n) => [n.kind, n.recipientName, n.status, n.reason]).sort()).toEqual([
      ['assigned', '周经办', 'no_address', '缺少邮箱'],
      ['assigned', '市数据局单位负责人（未登记）', 'no_address', '缺少联系人：该单位未登记单位负责人'],
    ]);
    // The administrator, who reads no items, sees whom and why, to fix the address.
    const forAdmin = await undelivered(admin);
    expect(forAdmin.find((n) => n.recipientName === '周经办')).toMatchObject({
      reason: '缺少邮箱',
      status: 'no_address',
    });
    // The supervisor is told by mail: one notice per missing seat of the unit.
    const told = smtp.received.filter((m) => to(m) === WANG);
    expect(told.map((m) => m.subject).sort()).toEqual([
      '【联系人缺少邮箱】政务数据共享整改',
      '【联系人缺少邮箱】政务数据共享整改',
    ]);
    const texts = told.map((m) => m.text ?? '').join('\n');
    expect(texts).toContain('联系人：周经办（市数据局）');
    expect(texts).toContain('情况：缺少邮箱');
    expect(texts).toContain('情况：缺少联系人：该单位未登记单位负责人');
    // The handler still has the notice in the app.
    const inApp = await app.inject({ method: 'GET', url: '/api/notifications', headers: bearer(zhou) });
    expect(inApp.json().notifications.map((n: { subject: string }) => n.subject)).toContain(
      '【交办通知】政务数据共享整改',
    );

    // A second item for the same unit: listed again, but the supervisor is not told twice.
    smtp.received.length = 0;
    const second = await openItem('数据目录编制滞后');
    await deliverAll();
    expect(
      (await undelivered(supervisor)).filter(
        (n) => n.itemId === second && n.kind === 'assigned' && n.status === 'no_address',
      ),
    ).toHaveLength(2);
    expect(smtp.received.filter((m) => m.subject?.startsWith('【联系人缺少邮箱】'))).toEqual([]);
  });

  it('delivers the next notice (退回整改) by mail once the handler has an address', async () => {
    const fix = await app.inject({
      method: 'PUT',
      url: `/api/users/${zhou.userId}`,
      headers: bearer(admin),
      payload: { name: zhou.name, role: 'unit_handler', unitId: 'unit-sjj', email: ZHOU, mobile: '138 0013 8000' },
    });
    expect(fix.statusCode, fix.body).toBe(200);
    expect(fix.json().user).toMatchObject({ email: ZHOU, mobile: '13800138000' });
    await act(t.client, first, 'sign', zhou);
    await act(t.client, first, 'filePlan', zhou);
    await act(t.client, first, 'submit', zhou);
    await act(t.client, first, 'verifyReturn', verifier, { reasons: '共享目录未更新' });
    await deliverAll();
    const returned = smtp.received.find((m) => m.subject === '【退回整改通知】政务数据共享整改');
    expect(returned, smtp.received.map((m) => `${m.subject} → ${to(m)}`).join('\n')).toBeDefined();
    expect(to(returned!)).toBe(ZHOU);
    expect(returned!.text).toContain('周经办：');
    expect(returned!.text).toContain('退回理由：共享目录未更新');
    const row = await db.outboxMessage.findFirstOrThrow({
      where: { subjectKind: 'item', subjectId: first, kind: 'returned' },
    });
    expect(row).toMatchObject({ status: 'sent', recipientEmail: ZHOU, userId: zhou.userId });
  });

  it('never drops a notice it cannot write: one about an unknown item is listed as undelivered with the reason', async () => {
    await db.notificationRequest.create({
      data: {
        key: 'orphan/1',
        subjectKind: 'item',
        subjectId: 'no-such-item',
        kind: 'assigned',
        targets: ['handler'],
        unitIds: ['unit-sjj'],
        payload: {},
        createdAt: new Date(OFFICE_HOURS),
      },
    });
    await deliverAll();
    const row = await db.outboxMessage.findUniqueOrThrow({ where: { key: 'orphan/1/unrenderable' } });
    expect(row.status).toBe('failed');
    expect((await undelivered(admin)).find((n) => n.reason?.startsWith('无法生成通知'))).toBeDefined();
  });
});
