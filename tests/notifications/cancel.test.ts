/**
 * Issue 16, problem 8 (part): a 交办通知 of an item withdrawn before it was sent stayed queued and
 * went out. Withdrawing or closing an item now cancels the notices it still had waiting (kept,
 * marked cancelled, with the reason), except its own closure notice; a real SMTP server on
 * loopback shows what went out.
 */
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../api/app';
import type { Db } from '../../lib/db';
import { createMailer, type Mailer } from '../../lib/mailer';
import * as people from '../support/actors';
import { leadA, supervisor, verifier } from '../support/actors';
import { bearer, seedUnits, seedUsers, testApp } from '../support/api';
import { declareYearsAhead } from '../support/dates';
import { act, open } from '../support/items';
import { officeHoursOutbox, testSmtp, type TestSmtp } from '../support/smtp';
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
const taskQueue = uniqueTaskQueue('cancel');

beforeAll(async () => {
  t = await connectTemporal();
  db = (await freshDatabase()).db;
  await seedUnits(db);
  await seedUsers(db, Object.values(people));
  // Items here are due some weeks from today: no calendar warning joins the notices counted.
  await declareYearsAhead(db);
  await db.contact.createMany({
    data: [
      {
        id: 'c-a-h',
        unitId: 'unit-a',
        role: 'handler',
        name: '张经办',
        email: 'zhang@mz.example.gov.cn',
        userId: leadA.userId,
      },
      {
        id: 'c-a-l',
        unitId: 'unit-a',
        role: 'unit_leader',
        name: '李局长',
        email: 'li@mz.example.gov.cn',
        userId: 'u-a-leader',
      },
      {
        id: 'c-sup',
        unitId: 'dcs',
        role: 'supervisor',
        name: '王督查',
        email: 'wang@dcs.example.gov.cn',
        userId: supervisor.userId,
      },
    ],
  });
  worker = await startTestWorker(t, db, taskQueue);
  running = worker.run();
  smtp = await testSmtp();
  mailer = createMailer(smtp.url, { ratePerSecond: 1000, timeoutMs: 2000 });
  app = await testApp(db, t.client, taskQueue);
});

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

const outbox = () => officeHoursOutbox(db, mailer);

const mailsAbout = (title: string) => smtp.received.filter((m) => m.subject?.includes(title));

describe('a finished item’s waiting notices are cancelled, not sent', () => {
  it('withdrawn before its 交办通知 was expanded: the request is cancelled and nothing is mailed', async () => {
    const title = '撤销前未发出的交办通知';
    const item = await open(t.client, taskQueue, { title });
    await act(t.client, item, 'withdraw', supervisor);
    await outbox().dispatchOutbox();
    expect(mailsAbout(title)).toEqual([]);
    const requests = await db.notificationRequest.findMany({ where: { subjectId: item.id } });
    expect(requests.map((r) => [r.kind, r.status])).toEqual([['assigned', 'cancelled']]);
    expect(await db.outboxMessage.count({ where: { subjectId: item.id, status: { in: ['pending', 'sent'] } } })).toBe(
      0,
    );
  });

  it('withdrawn after expansion, before sending: the messages are cancelled, kept with the reason and shown in the app', async () => {
    const title = '已排队未发送的交办通知';
    const item = await open(t.client, taskQueue, { title });
    await outbox().expandRequests();
    expect((await db.outboxMessage.findMany({ where: { subjectId: item.id } })).map((m) => m.status).sort()).toEqual([
      'pending',
      'pending',
    ]);
    await act(t.client, item, 'withdraw', supervisor);
    await outbox().dispatchOutbox();
    expect(mailsAbout(title)).toEqual([]);
    const rows = await db.outboxMessage.findMany({ where: { subjectId: item.id } });
    expect(rows.map((m) => [m.kind, m.status, m.lastError])).toEqual([
      ['assigned', 'cancelled', '事项已撤销，该通知在发送前取消'],
      ['assigned', 'cancelled', '事项已撤销，该通知在发送前取消'],
    ]);
    expect(rows.every((m) => m.sentAt === null)).toBe(true);
    // Never silently deleted: the handler sees it in the app, marked cancelled.
    const mine = await app.inject({ method: 'GET', url: '/api/notifications', headers: bearer(leadA) });
    expect(mine.statusCode).toBe(200);
    const shown = (mine.json().notifications as Array<{ itemId: string; status: string; kindLabel: string }>).find(
      (n) => n.itemId === item.id,
    );
    expect(shown).toMatchObject({ status: 'cancelled', kindLabel: '交办通知' });
    // It asks nothing of the reader: not among the unread ones, nor counted.
    const unread = await app.inject({ method: 'GET', url: '/api/notifications?unread=true', headers: bearer(leadA) });
    expect(unread.json().notifications.some((n: { itemId: string }) => n.itemId === item.id)).toBe(false);
    expect(unread.json().unread).toBe(unread.json().notifications.length);
    // Another round sends nothing either.
    await outbox().dispatchOutbox();
    expect(mailsAbout(title)).toEqual([]);
  });

  it('closed: the closure notice goes out, the request for verification still waiting is cancelled', async () => {
    const title = '销号时仍在排队的通知';
    const item = await open(t.client, taskQueue, { title });
    // An item still running is notified as always.
    await outbox().dispatchOutbox();
    expect(mailsAbout(title).map((m) => m.subject)).toEqual(['【交办通知】' + title, '【交办通知】' + title]);
    smtp.received.length = 0;
    await act(t.client, item, 'sign', leadA);
    await act(t.client, item, 'filePlan', leadA);
    await act(t.client, item, 'submit', leadA);
    await act(t.client, item, 'verifyPass', verifier);
    await outbox().dispatchOutbox();
    const subjects = mailsAbout(title).map((m) => m.subject);
    expect(subjects.sort()).toEqual(['【销号通知】' + title, '【销号通知】' + title]);
    const requests = await db.notificationRequest.findMany({ where: { subjectId: item.id }, orderBy: { id: 'asc' } });
    expect(requests.map((r) => [r.kind, r.status])).toEqual([
      ['assigned', 'expanded'],
      ['submitted', 'cancelled'],
      ['closed', 'expanded'],
    ]);
  });
});
