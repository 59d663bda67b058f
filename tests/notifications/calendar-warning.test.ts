/**
 * Issue 16, problem 1: an item whose deadlines count in a year without calendar data is flagged,
 * and the supervisor is told once per year — not once per item (a work plan of 20 items due in
 * late December would have sent 13 of the same mail). Real PostgreSQL, Temporal and SMTP.
 */
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../lib/db';
import { createMailer, type Mailer } from '../../lib/mailer';
import * as people from '../support/actors';
import { supervisor } from '../support/actors';
import { seedUnits, seedUsers } from '../support/api';
import { open } from '../support/items';
import { officeHoursOutbox, testSmtp, type TestSmtp } from '../support/smtp';
import {
  connectTemporal,
  freshDatabase,
  startTestWorker,
  uniqueTaskQueue,
  type TemporalHandles,
} from '../support/stack';
import { waitFor } from '../support/wait';

let t: TemporalHandles;
let db: Db;
let worker: Worker;
let running: Promise<void>;
let smtp: TestSmtp;
let mailer: Mailer;
const taskQueue = uniqueTaskQueue('calendar-warning');

beforeAll(async () => {
  t = await connectTemporal();
  db = (await freshDatabase()).db;
  await seedUnits(db);
  await seedUsers(db, Object.values(people));
  await db.contact.create({
    data: {
      id: 'c-sup',
      unitId: 'dcs',
      role: 'supervisor',
      name: '王督查',
      email: 'wang@dcs.example.gov.cn',
      userId: supervisor.userId,
    },
  });
  worker = await startTestWorker(t, db, taskQueue);
  running = worker.run();
  smtp = await testSmtp();
  mailer = createMailer(smtp.url, { ratePerSecond: 1000, timeoutMs: 2000 });
});

afterAll(async () => {
  mailer?.close();
  await smtp?.stop();
  worker?.shutdown();
  await running;
  await db?.$disconnect();
  await t?.close();
});

const outbox = () => officeHoursOutbox(db, mailer);

describe('a year without calendar data', () => {
  it('flags every item counting in it, and tells each supervisor once per year', async () => {
    // Far enough ahead that no shipped or test calendar has the years (2040, 2041).
    const items = [
      await open(t.client, taskQueue, { title: '跨年事项一', dueDate: '2040-06-29' }),
      await open(t.client, taskQueue, { title: '跨年事项二', dueDate: '2040-07-02' }),
      await open(t.client, taskQueue, { title: '跨年事项三', dueDate: '2041-03-01' }),
    ];
    await waitFor(async () => (await db.item.count({ where: { calendarWarning: true } })) === 3, 15_000);
    // One request per item and year (the record of each item), ...
    expect(await db.notificationRequest.count({ where: { kind: 'calendar_unknown' } })).toBe(3);
    await outbox().expandRequests();
    // ... one notice per supervisor and year.
    const rows = await db.outboxMessage.findMany({ where: { kind: 'calendar_unknown' }, orderBy: { key: 'asc' } });
    expect(rows.map((r) => [r.key, r.recipientEmail])).toEqual([
      ['calendar-unknown/2040/wang@dcs.example.gov.cn', 'wang@dcs.example.gov.cn'],
      ['calendar-unknown/2041/wang@dcs.example.gov.cn', 'wang@dcs.example.gov.cn'],
    ]);
    await outbox().dispatchOutbox();
    const mails = smtp.received.filter((m) => m.subject?.includes('工作日历缺失提醒'));
    expect(mails).toHaveLength(2);
    expect(items.map((i) => i.deadlines?.unknownYears)).toEqual([['2040'], ['2040'], ['2041']]);
  });
});
