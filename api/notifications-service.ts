/** Acknowledging notices: in the app by their recipient, or by the link in the mail. */
import type { Actor } from '../domain/actors';
import { notFound } from './errors';
import { noticeView } from './read/notifications';
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
 * The acknowledgement link in a mail, its token the secret: marks the notice read, and a digest's
 * every entry with it. Answers the mail's subject line.
 */
export async function acknowledge(s: Services, token: string): Promise<{ subject: string }> {
  const row = await s.db.outboxMessage.findUnique({ where: { ackToken: token } });
  if (!row) throw notFound('链接无效或已过期');
  if (!row.readAt) {
    await s.db.outboxMessage.updateMany({
      where: { OR: [{ id: row.id }, ...(row.kind === 'digest' ? [{ digestKey: row.key }] : [])], readAt: null },
      data: { readAt: new Date() },
    });
  }
  return { subject: row.subject };
}
