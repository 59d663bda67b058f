import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createNotificationActivities } from '../../activities/notifications';
import type { Actor } from '../../domain/actors';
import type { App } from '../../api/app';
import type { Db } from '../../lib/db';
import type { NotificationKind } from '../../domain/notifications';
import { createMailer, type Mailer } from '../../lib/mailer';
import { leadA, supervisor, verifier } from '../support/actors';
import { bearer, seedUnits, seedUsers, testApp } from '../support/api';
import { declareYearsAhead, DUE } from '../support/dates';
import * as people from '../support/actors';
import { act, open } from '../support/items';
import { testSmtp, type TestSmtp } from '../support/smtp';
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
/** Tuesday 24 November 2026, 10:00 in Shanghai: office hours of a working day. */
const OFFICE_HOURS = Date.parse('2026-11-24T02:00:00Z');
let clock = OFFICE_HOURS;
const taskQueue = uniqueTaskQueue('mail');
const FROM = '督查督办系统 <duban@example.gov.cn>';

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
        id: 'c-c-h',
        unitId: 'unit-c',
        role: 'handler',
        name: '钱经办',
        email: 'qian@ga.example.gov.cn',
        userId: 'u-c',
      },
      // The same person is handler and leader of unit B: one mail, not two.
      {
        id: 'c-b-h',
        unitId: 'unit-b',
        role: 'handler',
        name: '赵主任',
        email: 'zhao@cz.example.gov.cn',
        userId: 'u-b',
      },
      {
        id: 'c-b-l',
        unitId: 'unit-b',
        role: 'unit_leader',
        name: '赵主任',
        email: 'ZHAO@cz.example.gov.cn',
        userId: 'u-b',
      },
      { id: 'c-x-h', unitId: 'unit-x', role: 'handler', name: '孙经办', email: null, userId: 'u-x' },
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
  smtp.reject.clear();
  smtp.tempFail.clear();
  smtp.afterData = 'answer';
  clock = OFFICE_HOURS;
});

const outbox = () =>
  createNotificationActivities(db, mailer, { from: FROM, publicUrl: 'https://duban.example.gov.cn', now: () => clock });

async function deliverAll(): Promise<void> {
  const o = outbox();
  await o.expandRequests();
  await o.sendPending();
}

const to = (m: { to?: unknown }) => {
  const list = Array.isArray(m.to) ? m.to : m.to ? [m.to] : [];
  return list
    .flatMap((a: { value: Array<{ address?: string }> }) => a.value.map((v) => v.address!.toLowerCase()))
    .join(',');
};

describe('notifications by email through a real SMTP server', () => {
  it('sends the assignment notice to the lead unit and the co-units, in Chinese, once each', async () => {
    const item = await open(t.client, taskQueue, { title: '老旧小区消防通道堵塞整改', coUnitIds: ['unit-c'] });
    await deliverAll();
    const mails = smtp.received.filter((m) => m.subject?.includes(item.title));
    expect(mails.map(to).sort()).toEqual(['li@mz.example.gov.cn', 'qian@ga.example.gov.cn', 'zhang@mz.example.gov.cn']);
    const mail = mails.find((m) => to(m) === 'zhang@mz.example.gov.cn')!;
    expect(mail.subject).toBe('【交办通知】老旧小区消防通道堵塞整改');
    expect(mail.from?.text).toContain('督查督办系统');
    expect(mail.text).toContain('张经办：');
    // The item is named by its 督办编号 as the database gave it, not by its id.
    const { number } = await db.item.findUniqueOrThrow({ where: { id: item.id }, select: { number: true } });
    expect(mail.text).toContain(`督办事项：老旧小区消防通道堵塞整改（${number}）`);
    expect(mail.html).toContain(`<p>督办事项：老旧小区消防通道堵塞整改（${number}）</p>`);
    expect(mail.text).toContain('责任单位：市民政局');
    expect(mail.text).toMatch(new RegExp(`办理期限：${DUE}（(剩余 \\d+ 个工作日|今日到期|已逾期 \\d+ 个工作日)）`));
    expect(mail.text).toContain(`https://duban.example.gov.cn/items/${item.id}`);
    expect(mail.html).toContain('<a href="https://duban.example.gov.cn/items/');
    expect(mail.messageId).toMatch(/@duban\.local>$/);
    // Sending again sends nothing: every row is marked sent.
    await deliverAll();
    expect(smtp.received.filter((m) => m.subject?.includes(item.title))).toHaveLength(3);
  });

  it('mails one person once when two roles reach them, and reports a missing address to the supervisor', async () => {
    const item = await open(t.client, taskQueue, {
      title: '路灯损坏未修复',
      leadUnitId: 'unit-b',
      coUnitIds: ['unit-x'],
    });
    await deliverAll();
    const mails = smtp.received.filter((m) => m.subject?.includes('路灯损坏未修复'));
    expect(mails.map(to).sort()).toEqual(['wang@dcs.example.gov.cn', 'zhao@cz.example.gov.cn']);
    expect(mails.find((m) => to(m) === 'wang@dcs.example.gov.cn')!.subject).toBe('【联系人缺少邮箱】路灯损坏未修复');
    expect(mails.find((m) => to(m) === 'wang@dcs.example.gov.cn')!.text).toContain('联系人：孙经办（市教育局）');
    const noAddress = await db.outboxMessage.findMany({
      where: { subjectKind: 'item', subjectId: item.id, status: 'no_address' },
    });
    expect(noAddress.map((r) => r.recipientName)).toEqual(['孙经办']);
    const undelivered = await app.inject({
      method: 'GET',
      url: '/api/notifications/undelivered',
      headers: bearer(supervisor),
    });
    expect(
      undelivered
        .json()
        .notifications.some(
          (n: { itemId: string; status: string }) => n.itemId === item.id && n.status === 'no_address',
        ),
    ).toBe(true);
  });

  it('survives the SMTP server being down for a while: every mail delivered once when it is back', async () => {
    const item = await open(t.client, taskQueue, { title: '河道垃圾清理' });
    await smtp.stop();
    const o = outbox();
    await o.expandRequests();
    const down = await o.sendPending();
    expect(down).toMatchObject({ sent: 0, retried: 2 });
    const rows = await db.outboxMessage.findMany({ where: { subjectKind: 'item', subjectId: item.id } });
    expect(rows.every((r) => r.status === 'pending' && r.attempts === 1 && r.lastError)).toBe(true);
    // Still down at the next attempt.
    clock += 6_000;
    expect(await o.sendPending()).toMatchObject({ sent: 0, retried: 2 });
    await smtp.start();
    expect(await o.sendPending()).toMatchObject({ sent: 0 }); // not due yet: backoff
    clock += 60_000;
    expect(await o.sendPending()).toMatchObject({ sent: 2, retried: 0 });
    expect(await o.sendPending()).toMatchObject({ sent: 0 });
    const mails = smtp.received.filter((m) => m.subject?.includes('河道垃圾清理'));
    expect(mails.map(to).sort()).toEqual(['li@mz.example.gov.cn', 'zhang@mz.example.gov.cn']);
  });

  it('marks a 550 as failed, does not retry it, and shows it to the supervisor', async () => {
    smtp.reject.add('li@mz.example.gov.cn');
    const item = await open(t.client, taskQueue, { title: '违规占道经营' });
    const o = outbox();
    await o.expandRequests();
    expect(await o.sendPending()).toMatchObject({ sent: 1, failed: 1 });
    clock += 3600_000;
    expect(await o.sendPending()).toMatchObject({ sent: 0, failed: 0, retried: 0 });
    const failed = await db.outboxMessage.findFirstOrThrow({
      where: { subjectKind: 'item', subjectId: item.id, status: 'failed' },
    });
    expect(failed).toMatchObject({ recipientEmail: 'li@mz.example.gov.cn', attempts: 1 });
    expect(failed.lastError).toContain('550');
    const res = await app.inject({ method: 'GET', url: '/api/notifications/undelivered', headers: bearer(supervisor) });
    expect(
      res
        .json()
        .notifications.find((n: { itemId: string; status: string }) => n.itemId === item.id && n.status === 'failed'),
    ).toMatchObject({ recipientEmail: 'li@mz.example.gov.cn' });
    expect(
      (await app.inject({ method: 'GET', url: '/api/notifications/undelivered', headers: bearer(leadA) })).statusCode,
    ).toBe(403);
  });

  it('retries a 451 (try again later) and delivers once when the server takes it', async () => {
    smtp.tempFail.set('li@mz.example.gov.cn', 2);
    const item = await open(t.client, taskQueue, { title: '临时拒收演练' });
    const o = outbox();
    await o.expandRequests();
    expect(await o.sendPending()).toMatchObject({ sent: 1, retried: 1, failed: 0 });
    clock += 60_000;
    expect(await o.sendPending()).toMatchObject({ sent: 0, retried: 1 });
    clock += 600_000;
    expect(await o.sendPending()).toMatchObject({ sent: 1, retried: 0 });
    const row = await db.outboxMessage.findFirstOrThrow({
      where: { subjectKind: 'item', subjectId: item.id, recipientEmail: 'li@mz.example.gov.cn' },
    });
    expect(row).toMatchObject({ status: 'sent', attempts: 3 });
    expect(
      smtp.received
        .filter((m) => m.subject?.includes('临时拒收演练'))
        .map(to)
        .sort(),
    ).toEqual(['li@mz.example.gov.cn', 'zhang@mz.example.gov.cn']);
  });

  it('gives up on a server that never answers after the data (socket timeout), and delivers once when it answers again', async () => {
    smtp.afterData = 'hang';
    const item = await open(t.client, taskQueue, { title: '超时演练' });
    const o = outbox();
    await o.expandRequests();
    const started = Date.now();
    expect(await o.sendPending()).toMatchObject({ sent: 0, retried: 2 });
    // The mailer's own timeout (2 s here, MAIL_TIMEOUT_MS in production) ended the wait, not the test's.
    expect(Date.now() - started).toBeLessThan(15_000);
    const rows = await db.outboxMessage.findMany({ where: { subjectKind: 'item', subjectId: item.id } });
    expect(rows.every((r) => r.status === 'pending' && /timeout/i.test(r.lastError ?? ''))).toBe(true);
    smtp.afterData = 'answer';
    clock += 600_000;
    expect(await o.sendPending()).toMatchObject({ sent: 2 });
    expect(smtp.received.filter((m) => m.subject?.includes('超时演练'))).toHaveLength(2);
  }, 60_000);

  it('resends a mail whose acceptance was lost (connection dropped after the data) with the same Message-ID', async () => {
    smtp.afterData = 'dropAfterAccepting';
    const item = await open(t.client, taskQueue, { title: '断线演练' });
    const o = outbox();
    await o.expandRequests();
    expect(await o.sendPending()).toMatchObject({ sent: 0, retried: 2 });
    smtp.afterData = 'answer';
    clock += 600_000;
    expect(await o.sendPending()).toMatchObject({ sent: 2 });
    // SMTP cannot tell "kept but not acknowledged" from "lost": the server holds two copies of
    // each, and the shared Message-ID lets the recipient's mail system drop the second.
    const rows = await db.outboxMessage.findMany({ where: { subjectKind: 'item', subjectId: item.id } });
    for (const row of rows) {
      const copies = smtp.received.filter((m) => to(m) === row.recipientEmail && m.subject?.includes('断线演练'));
      expect(copies).toHaveLength(2);
      expect(new Set(copies.map((m) => m.messageId)).size).toBe(1);
      expect(copies[0]!.messageId).toBe(row.messageId);
      expect(row).toMatchObject({ status: 'sent', attempts: 2 });
    }
  });

  it('sends a return notice with the reasons, and keeps every message readable in the app', async () => {
    const item = await open(t.client, taskQueue, { title: '垃圾分类不到位' });
    await act(t.client, item, 'sign', leadA);
    await act(t.client, item, 'filePlan', leadA);
    await act(t.client, item, 'submit', leadA);
    await act(t.client, item, 'verifyReturn', verifier, { reasons: '分类投放点未设置' });
    await deliverAll();
    const returned = smtp.received.find((m) => m.subject === '【退回整改通知】垃圾分类不到位');
    expect(returned).toBeDefined();
    expect(to(returned!)).toBe('zhang@mz.example.gov.cn');
    expect(returned!.text).toContain('退回理由：分类投放点未设置');
    expect(
      smtp.received.find(
        (m) => m.subject === '【销号申请待核查】垃圾分类不到位' && to(m) === 'wang@dcs.example.gov.cn',
      ),
    ).toBeDefined();

    const mine = (
      await app.inject({ method: 'GET', url: '/api/notifications?unread=true', headers: bearer(leadA as Actor) })
    ).json();
    const notice = mine.notifications.find((n: { subject: string }) => n.subject === '【退回整改通知】垃圾分类不到位');
    expect(notice).toMatchObject({ kindLabel: '退回整改通知', status: 'sent', readAt: null });
    const { number } = await db.item.findUniqueOrThrow({ where: { id: item.id }, select: { number: true } });
    expect(notice.text).toContain(`督办事项：垃圾分类不到位（${number}）`);
    const read = await app.inject({
      method: 'POST',
      url: `/api/notifications/${notice.id}/read`,
      headers: bearer(leadA),
    });
    expect(read.json()).toMatchObject({ changed: true });
    const after = (
      await app.inject({ method: 'GET', url: '/api/notifications?unread=true', headers: bearer(leadA) })
    ).json();
    expect(after.unread).toBe(mine.unread - 1);
    expect(
      (await app.inject({ method: 'POST', url: `/api/notifications/${notice.id}/read`, headers: bearer(supervisor) }))
        .statusCode,
    ).toBe(404);
  });

  it('sends only urgent notices in quiet hours; the rest go out when the working day begins', async () => {
    clock = Date.parse('2026-11-24T14:00:00Z'); // 22:00 in Shanghai
    const item = await open(t.client, taskQueue, { title: '夜间到达的交办', dueDate: '2020-03-31' }); // overdue: urgent rungs fire at once
    while (
      (await db.notificationRequest.count({
        where: { subjectKind: 'item', subjectId: item.id, kind: 'accountability' },
      })) === 0
    )
      await new Promise((r) => setTimeout(r, 50));
    const o = outbox();
    await o.expandRequests();
    await o.sendPending();
    const night = smtp.received.filter((m) => m.subject?.includes('夜间到达的交办')).map((m) => m.subject);
    expect(night.length).toBeGreaterThan(0);
    expect(night.every((s) => /催办通知|红灯预警|约谈通知|通报问责建议/.test(s!))).toBe(true);
    expect(
      await db.outboxMessage.count({
        where: { subjectKind: 'item', subjectId: item.id, kind: 'assigned', status: 'pending' },
      }),
    ).toBe(2);
    clock = Date.parse('2026-11-25T00:31:00Z'); // 08:31 the next working day
    await o.sendPending();
    expect(smtp.received.filter((m) => m.subject === '【交办通知】夜间到达的交办')).toHaveLength(2);
  });

  it('folds non-urgent notices into one daily digest for those who chose it', async () => {
    await db.contact.update({ where: { id: 'c-a-l' }, data: { digest: true } });
    try {
      const first = await open(t.client, taskQueue, { title: '汇总事项甲' });
      const second = await open(t.client, taskQueue, { title: '汇总事项乙' });
      const o = outbox();
      await o.expandRequests();
      expect(
        await db.outboxMessage.count({
          where: {
            subjectKind: 'item',
            subjectId: { in: [first.id, second.id] },
            recipientEmail: 'li@mz.example.gov.cn',
            status: 'digest',
          },
        }),
      ).toBe(2);
      await o.composeDigests();
      await o.composeDigests(); // once a day, whatever happens
      await o.sendPending();
      const toLi = smtp.received.filter((m) => to(m) === 'li@mz.example.gov.cn');
      expect(toLi).toHaveLength(1);
      expect(toLi[0]!.subject).toBe('【每日督办汇总】2026-11-24（共 2 条）');
      expect(toLi[0]!.text).toContain('1. 【交办通知】汇总事项甲');
      expect(toLi[0]!.text).toContain('2. 【交办通知】汇总事项乙');
      expect(
        smtp.received.filter(
          (m) => to(m) === 'zhang@mz.example.gov.cn' && m.subject?.startsWith('【交办通知】汇总事项'),
        ),
      ).toHaveLength(2);
    } finally {
      await db.contact.update({ where: { id: 'c-a-l' }, data: { digest: false } });
    }
  });

  it('records the acknowledgement when it is confirmed on the page the link in the mail opens', async () => {
    const item = await open(t.client, taskQueue, { title: '需确认收到的事项' });
    await deliverAll();
    const mail = smtp.received.find(
      (m) => m.subject === '【交办通知】需确认收到的事项' && to(m) === 'zhang@mz.example.gov.cn',
    )!;
    const link = /确认收到：(\S+)/.exec(mail.text ?? '')![1]!;
    expect(link).toMatch(/^https:\/\/duban\.example\.gov\.cn\/api\/ack\/[0-9a-f]{32}$/);
    // Opening the link shows the 确认已阅 button (tests/notifications/ack-link.test.ts); its POST records it.
    const res = await app.inject({ method: 'GET', url: new URL(link).pathname });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('确认已阅');
    const confirmed = await app.inject({ method: 'POST', url: new URL(link).pathname });
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.body).toContain('已确认收到');
    const row = await db.outboxMessage.findFirstOrThrow({
      where: { subjectKind: 'item', subjectId: item.id, recipientEmail: 'zhang@mz.example.gov.cn' },
    });
    expect(row.readAt).not.toBeNull();
    expect((await app.inject({ method: 'GET', url: '/api/ack/00000000000000000000000000000000' })).statusCode).toBe(
      404,
    );
  });

  it('renders and delivers every kind of notice with its Chinese subject intact', async () => {
    const item = await open(t.client, taskQueue, { title: '各类通知样例事项' });
    // Every kind answers here (a new kind is a compile error until it does): its samples, or the test that renders it.
    const samples: Record<NotificationKind, Array<[Record<string, unknown>, string]> | string> = {
      assigned: [[{}, '交办通知']],
      remind: [
        [{ step: 'sign' }, '签收提醒'],
        [{ step: 'progress' }, '进展反馈提醒'],
        [{ step: 'closure' }, '到期提醒'],
      ],
      urge: [[{ step: 'closure' }, '催办通知']],
      red: [[{}, '红灯预警']],
      interview: [[{}, '约谈通知']],
      accountability: [[{}, '通报问责建议']],
      returned: [[{ reasons: '材料不全' }, '退回整改通知']],
      closed: [[{}, '销号通知']],
      extension_decided: [[{ approved: false, opinion: '理由不充分' }, '延期审批结果']],
      submitted: [[{}, '销号申请待核查']],
      reinspection_due: [[{ due: '2027-01-15' }, '回头看提醒']],
      calendar_unknown: [[{ year: '2031' }, '工作日历缺失提醒']],
      report_request: [[{ period: '2026-10' }, '数据报送通知']],
      report_remind: [[{ period: '2026-10' }, '报送提醒']],
      report_chase: [[{ period: '2026-10' }, '催报通知']],
      report_urged: [[{ period: '2026-10', indicators: ['一般公共预算收入增幅'] }, '督查室催报']],
      cycle_published: [[{ period: '2026-10' }, '监测晾晒通报']],
      instruction: [[{ instruction: '请加快整改进度', binding: true }, '领导批示']],
      instruction_acknowledged: [[{ note: '已收悉' }, '领导批示已确认']],
      initialled: [[{ note: '阅' }, '领导圈阅']],
      accountability_decided: [[{ approved: false, reason: '继续督促' }, '通报问责决定']],
      co_unit_reminder: [[{ note: '请尽快反馈' }, '配合任务提醒']],
      urged: [[{ text: '请于本周内签收' }, '督查室催办']],
      item_edited: [[{ changes: { title: { from: '旧标题', to: '新标题' } } }, '事项变更通知']],
      fan_out_ask: [[{ origin: '源头问题', requirements: '排查同类问题' }, '举一反三排查通知']],
      fan_out_remind: [[{ requirements: '排查同类问题' }, '举一反三答复提醒']],
      fan_out_chase: [[{ requirements: '排查同类问题' }, '举一反三答复催办']],
      fan_out_red: [[{ requirements: '排查同类问题' }, '举一反三未答复红灯']],
      missing_address: 'to supervisors, about a contact: tests/notifications/contacts.test.ts',
      digest: 'a fold of other notices: the daily digest test above',
    };
    const kinds = Object.entries(samples).flatMap(([kind, s]) =>
      typeof s === 'string' ? [] : s.map(([payload, label]) => [kind, payload, label] as const),
    );
    await db.notificationRequest.createMany({
      data: kinds.map(([kind, payload], i) => ({
        key: `sample/${item.id}/${i}`,
        subjectKind: 'item',
        subjectId: item.id,
        kind,
        targets: ['handler'],
        unitIds: ['unit-a'],
        payload: { title: item.title, ...payload },
        createdAt: new Date(),
      })),
    });
    await deliverAll();
    const subjects = smtp.received
      .filter((m) => to(m) === 'zhang@mz.example.gov.cn' && m.subject?.endsWith('各类通知样例事项'))
      .map((m) => m.subject);
    for (const [, , label] of kinds) expect(subjects).toContain(`【${label}】各类通知样例事项`);
    const refused = smtp.received.find((m) => m.subject === '【延期审批结果】各类通知样例事项')!;
    expect(refused.text).toContain('审批结果：不同意延期（理由不充分）');
    expect(smtp.received.find((m) => m.subject === '【工作日历缺失提醒】各类通知样例事项')!.text).toContain(
      '缺少日历数据的年份：2031',
    );
    expect(smtp.received.find((m) => m.subject === '【督查室催办】各类通知样例事项')!.text).toContain(
      '催办内容：请于本周内签收',
    );
    expect(smtp.received.find((m) => m.subject === '【事项变更通知】各类通知样例事项')!.text).toContain(
      '标题：由“旧标题”改为“新标题”',
    );
  });

  it("speaks of a monitoring cycle's notice as the cycle's: its title, deadline and page, in the mail and the digest", async () => {
    const cycleId = 'mail-plan-2026-10';
    await db.cycle.create({
      data: {
        id: cycleId,
        planId: 'mail-plan',
        period: '2026-10',
        openedAt: new Date(clock),
        dueDate: '2026-11-27',
        status: 'collecting',
      },
    });
    await db.contact.update({ where: { id: 'c-a-l' }, data: { digest: true } });
    try {
      await db.notificationRequest.create({
        data: {
          key: `${cycleId}/request/unit-a`,
          subjectKind: 'cycle',
          subjectId: cycleId,
          kind: 'report_request',
          targets: ['handler', 'unit_leader'],
          unitIds: ['unit-a'],
          payload: {
            title: '监测计划：2026-10 指标数据报送',
            deadline: '2026-11-27',
            link: `/cycles/${cycleId}`,
            period: '2026-10',
          },
          createdAt: new Date(clock),
        },
      });
      // Wednesday: Tuesday's digest went out in the test before.
      clock = Date.parse('2026-11-25T02:00:00Z');
      const o = outbox();
      await o.expandRequests();
      const rows = await db.outboxMessage.findMany({ where: { subjectKind: 'cycle', subjectId: cycleId } });
      expect(rows.map((r) => [r.recipientEmail, r.status]).sort()).toEqual([
        ['li@mz.example.gov.cn', 'digest'],
        ['zhang@mz.example.gov.cn', 'pending'],
      ]);
      await o.composeDigests();
      await o.sendPending();
      const mail = smtp.received.find(
        (m) => to(m) === 'zhang@mz.example.gov.cn' && m.subject === '【数据报送通知】监测计划：2026-10 指标数据报送',
      )!;
      expect(mail.text).toContain(`（编号 ${cycleId}）`);
      expect(mail.text).toContain('办理期限：2026-11-27（剩余 2 个工作日）');
      expect(mail.text).toContain(`办理入口：https://duban.example.gov.cn/cycles/${cycleId}`);
      const digest = smtp.received.find((m) => m.subject?.startsWith('【每日督办汇总】2026-11-25'))!;
      expect(to(digest)).toBe('li@mz.example.gov.cn');
      expect(digest.text).toContain(
        `【数据报送通知】监测计划：2026-10 指标数据报送 https://duban.example.gov.cn/cycles/${cycleId}`,
      );
      // The digest is filed under its (only) entry's subject.
      const folded = await db.outboxMessage.findUniqueOrThrow({
        where: { key: 'digest/li@mz.example.gov.cn/2026-11-25' },
      });
      expect([folded.subjectKind, folded.subjectId]).toEqual(['cycle', cycleId]);
    } finally {
      await db.contact.update({ where: { id: 'c-a-l' }, data: { digest: false } });
    }
  });
});
