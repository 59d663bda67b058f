import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../lib/db';
import { open } from '../support/items';
import { testSmtp, type TestSmtp } from '../support/smtp';
import { connectTemporal, freshDatabase, uniqueTaskQueue, type TemporalHandles } from '../support/stack';
import { kill9, startWorkerProcess } from '../support/worker-process';

let t: TemporalHandles;
let db: Db;
let dbUrl: string;
let smtp: TestSmtp;
const taskQueue = uniqueTaskQueue('mail-crash');
const children: ChildProcess[] = [];
const RECIPIENTS = 150;

beforeAll(async () => {
  t = await connectTemporal();
  const fresh = await freshDatabase();
  db = fresh.db;
  dbUrl = fresh.url;
  await db.unit.create({ data: { id: 'unit-fan', name: '全市各街道', parentId: null, kind: 'township' } });
  await db.contact.createMany({
    data: Array.from({ length: RECIPIENTS }, (_, i) => ({
      id: `h${i}`,
      unitId: 'unit-fan',
      role: 'handler',
      name: `经办人${i}`,
      email: `h${i}@example.gov.cn`,
    })),
  });
  smtp = await testSmtp();
});

afterAll(async () => {
  for (const c of children) await kill9(c);
  await smtp?.stop();
  await db?.$disconnect();
  await t?.close();
});

async function worker(): Promise<ChildProcess> {
  const child = await startWorkerProcess({
    DATABASE_URL: dbUrl,
    TEMPORAL_ADDRESS: t.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    SMTP_URL: smtp.url,
    MAIL_RATE_PER_SECOND: '50',
    NOTIFY_STALE_SENDING_MS: '3000',
  });
  children.push(child);
  return child;
}

describe('a worker killed with SIGKILL in the middle of a mail batch', () => {
  it('loses no mail; a resent one carries the same Message-ID', async () => {
    let w = await worker();
    // Overdue from the start: the urgent 催办 notice to all 150 handlers goes out even in quiet hours.
    const item = await open(t.client, taskQueue, {
      title: '全市统一整治任务',
      leadUnitId: 'unit-fan',
      dueDate: '2020-06-30',
    });
    const urge = () => smtp.received.filter((m) => m.subject === '【催办通知】全市统一整治任务');
    const deadline = Date.now() + 60_000;
    while (urge().length < 30 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(urge().length).toBeGreaterThanOrEqual(30);
    await kill9(w);
    const atKill = urge().length;
    expect(atKill).toBeLessThan(RECIPIENTS);
    w = await worker();
    const end = Date.now() + 90_000;
    while (Date.now() < end) {
      const sent = await db.outboxMessage.count({
        where: { subjectKind: 'item', subjectId: item.id, kind: 'urge', status: 'sent' },
      });
      if (sent === RECIPIENTS) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 500));
    const rows = await db.outboxMessage.findMany({ where: { subjectKind: 'item', subjectId: item.id, kind: 'urge' } });
    expect(rows.filter((r) => r.status === 'sent')).toHaveLength(RECIPIENTS);
    const mails = urge();
    const byRecipient = new Map<string, Set<string>>();
    for (const m of mails) {
      const address = (Array.isArray(m.to) ? m.to[0] : m.to)!.value[0]!.address!;
      byRecipient.set(address, (byRecipient.get(address) ?? new Set()).add(m.messageId!));
    }
    // Nobody is missed, and a resend (the SMTP-accepted, not-yet-recorded window) is the same message.
    expect(byRecipient.size).toBe(RECIPIENTS);
    for (const ids of byRecipient.values()) expect(ids.size).toBe(1);
    const duplicates = mails.length - RECIPIENTS;
    console.log(`mail crash drill: ${atKill} delivered before the kill, ${duplicates} resent after it`);
    expect(duplicates).toBeLessThanOrEqual(8);
    await kill9(w);
  }, 180_000);
});
