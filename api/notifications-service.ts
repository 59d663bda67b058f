/** Acknowledging notices: in the app by their recipient, or by the link in the mail. */
import type { Actor } from '../domain/actors';
import { notFound } from './errors';
import { kindLabel, noticeView, UNREAD } from './read/notifications';
import type { Services } from './services';

/** Marks the caller's notice read (确认收到); answers it, and whether this call changed it. */
export async function markRead(s: Services, actor: Actor, id: string) {
  const updated = await s.db.outboxMessage.updateMany({
    where: { id: BigInt(id), userId: actor.userId, readAt: null },
    data: { readAt: new Date() },
  });
  const row = await s.db.outboxMessage.findFirst({ where: { id: BigInt(id), userId: actor.userId } });
  if (!row) throw notFound('通知不存在');
  return { notification: noticeView(row), changed: updated.count === 1 };
}

/**
 * Marks every unread notice of the caller read (全部标为已读), or only those up to `upToId` (the
 * newest the reader had on screen: one that arrived after it stays unread). Answers how many this
 * call changed and how many are still unread; a second call changes nothing.
 */
export async function markAllRead(s: Services, actor: Actor, upToId?: string) {
  const updated = await s.db.outboxMessage.updateMany({
    where: { userId: actor.userId, ...UNREAD, ...(upToId !== undefined ? { id: { lte: BigInt(upToId) } } : {}) },
    data: { readAt: new Date() },
  });
  const unread = await s.db.outboxMessage.count({ where: { userId: actor.userId, ...UNREAD } });
  return { marked: updated.count, unread };
}

/**
 * The acknowledgement in a mail, confirmed on its page (a POST: opening the link reads only, so a
 * mail scanner following it acknowledges nothing), its token the secret: marks the notice read,
 * and a digest's every entry with it. Answers the notice as its page shows it, and whether this
 * call changed it (a second confirmation changes nothing).
 */
export async function acknowledge(
  s: Services,
  token: string,
): Promise<{ subject: string; kindLabel: string; readAt: Date; changed: boolean }> {
  const row = await s.db.outboxMessage.findUnique({
    where: { ackToken: token },
    select: { id: true, key: true, kind: true, subject: true, readAt: true },
  });
  if (!row) throw notFound('链接无效或已过期');
  const now = new Date();
  // Each conditional on being unread, in one transaction: of two confirmations at once, one changes the notice.
  const [own] = await s.db.$transaction([
    s.db.outboxMessage.updateMany({ where: { id: row.id, readAt: null }, data: { readAt: now } }),
    ...(row.kind === 'digest'
      ? [s.db.outboxMessage.updateMany({ where: { digestKey: row.key, readAt: null }, data: { readAt: now } })]
      : []),
  ]);
  const changed = own!.count === 1;
  return { subject: row.subject, kindLabel: kindLabel(row.kind), readAt: changed ? now : (row.readAt ?? now), changed };
}
