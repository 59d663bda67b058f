/**
 * Reading one's notices in the app: `POST /api/notifications/read-all` (全部标为已读) marks every
 * unread notice of the caller read — not another user's, not a cancelled one (it never counted as
 * unread) — and answers how many; a second call changes nothing; `upToId` leaves a notice that
 * arrived after the newest the reader had on screen unread; without a token it is 401 and changes
 * nothing; every call is in the audit log. The unread count the console polls
 * (`GET /api/notifications?unread=true&limit=1`) follows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leadA, leadB } from '../support/actors';
import { bearer, startApiStack, type ApiStack } from '../support/api';
import { uniqueTaskQueue } from '../support/stack';

let stack: ApiStack;
beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('notifications-read'));
}, 120_000);
afterAll(async () => stack?.close());

let seq = 0;
/** One notice row as the outbox writes it for a user. */
async function notice(userId: string, extra: { status?: string; readAt?: Date } = {}): Promise<bigint> {
  const n = ++seq;
  const row = await stack.db.outboxMessage.create({
    data: {
      key: `read-all/${n}`,
      requestKey: `read-all/${n}`,
      subjectKind: 'item',
      subjectId: `item-${n}`,
      kind: 'assigned',
      urgent: false,
      recipientName: '张经办',
      userId,
      subject: `【交办通知】事项 ${n}`,
      text: `张经办：\n\n督办事项：事项 ${n}（编号 item-${n}）`,
      html: '',
      status: extra.status ?? 'pending',
      readAt: extra.readAt ?? null,
    },
  });
  return row.id;
}

const unreadOf = async (actor: { userId: string }) => {
  const res = await stack.app.inject({
    method: 'GET',
    url: '/api/notifications?unread=true&limit=1',
    headers: bearer(actor),
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { unread: number; notifications: Array<{ id: string; readAt: string | null }> };
};

const readAll = (actor: { userId: string } | null, body?: unknown) =>
  stack.app.inject({
    method: 'POST',
    url: '/api/notifications/read-all',
    headers: actor ? bearer(actor) : {},
    ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
  });

describe('全部标为已读', () => {
  it("marks the caller's unread notices read, answers how many, and is idempotent", async () => {
    const mine = [await notice(leadA.userId), await notice(leadA.userId), await notice(leadA.userId)];
    const alreadyRead = await notice(leadA.userId, { readAt: new Date('2026-01-05T02:00:00Z') });
    const cancelled = await notice(leadA.userId, { status: 'cancelled' });
    const theirs = await notice(leadB.userId);
    expect((await unreadOf(leadA)).unread).toBe(3);
    expect((await unreadOf(leadB)).unread).toBe(1);

    const unauthenticated = await readAll(null);
    expect(unauthenticated.statusCode).toBe(401);
    expect(await stack.db.outboxMessage.count({ where: { userId: leadA.userId, readAt: null } })).toBe(4);

    const first = await readAll(leadA);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ marked: 3, unread: 0 });
    const rows = await stack.db.outboxMessage.findMany({ where: { id: { in: [...mine, alreadyRead, cancelled] } } });
    for (const r of rows.filter((r) => mine.includes(r.id))) expect(r.readAt).not.toBeNull();
    // What was read stays read when it was; a cancelled notice never asked anything (not counted, not marked).
    expect(rows.find((r) => r.id === alreadyRead)!.readAt).toEqual(new Date('2026-01-05T02:00:00Z'));
    expect(rows.find((r) => r.id === cancelled)!.readAt).toBeNull();
    expect((await stack.db.outboxMessage.findUniqueOrThrow({ where: { id: theirs } })).readAt).toBeNull();
    expect((await unreadOf(leadA)).unread).toBe(0);
    expect((await unreadOf(leadB)).unread).toBe(1);

    const again = await readAll(leadA, {});
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toEqual({ marked: 0, unread: 0 });

    const audit = await stack.db.auditLog.findMany({
      where: { action: 'POST /api/notifications/read-all' },
      orderBy: { id: 'asc' },
    });
    expect(audit.map((a) => [a.userId, a.status, a.outcome])).toEqual([
      [null, 401, 'denied'],
      [leadA.userId, 200, 'ok'],
      [leadA.userId, 200, 'ok'],
    ]);
  });

  it('with upToId, leaves a notice that arrived after the newest on screen unread', async () => {
    const seen = await notice(leadB.userId);
    const later = await notice(leadB.userId);
    expect((await unreadOf(leadB)).unread).toBe(3);
    const res = await readAll(leadB, { upToId: String(seen) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ marked: 2, unread: 1 });
    const left = await unreadOf(leadB);
    expect(left.notifications.map((n) => n.id)).toEqual([String(later)]);
  });

  it('refuses a malformed upToId or an unknown field, naming it, and changes nothing', async () => {
    await notice(leadA.userId);
    for (const body of [{ upToId: 'abc' }, { upToId: 7 }, { all: true }]) {
      const res = await readAll(leadA, body);
      expect(res.statusCode, res.body).toBe(400);
      expect(JSON.stringify(res.json().fields)).toMatch(/upToId|all/);
    }
    expect((await unreadOf(leadA)).unread).toBe(1);
  });
});
