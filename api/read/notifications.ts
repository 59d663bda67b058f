/** The in-app notices: the caller's own, and the undelivered ones as each role may see them. */
import type { Actor } from '../../domain/actors';
import { NOTIFICATION_KINDS, isKind } from '../../domain/notifications';
import { can } from '../../domain/permissions';
import { subjectOf } from '../../domain/subject';
import type { Services } from '../services';
import { visibleNotices } from '../visibility';

/** A notice's kind in words (its code, for a kind this version does not know). */
export const kindLabel = (kind: string): string => (isKind(kind) ? NOTIFICATION_KINDS[kind].label : kind);

export const noticeView = (m: {
  id: bigint;
  kind: string;
  subjectKind: string;
  subjectId: string;
  subject: string;
  text: string;
  status: string;
  createdAt: Date;
  readAt: Date | null;
  sentAt: Date | null;
  recipientName: string;
  recipientEmail: string | null;
  lastError: string | null;
  attempts: number;
}) => ({
  id: String(m.id),
  kind: m.kind,
  kindLabel: kindLabel(m.kind),
  // As it always was: the subject's id, a cycle's too (`about` says which it is).
  itemId: m.subjectId,
  about: subjectOf(m),
  subject: m.subject,
  text: m.text,
  status: m.status,
  recipientName: m.recipientName,
  recipientEmail: m.recipientEmail,
  attempts: m.attempts,
  lastError: m.lastError,
  reason: undeliveredReason(m),
  createdAt: m.createdAt.toISOString(),
  sentAt: m.sentAt?.toISOString() ?? null,
  readAt: m.readAt?.toISOString() ?? null,
});

/**
 * An undelivered notice as the system administrator sees it: whom it was for and what went
 * wrong, enough to fix the address; never its subject, text or the item it is about (he reads
 * no items: separation of duties).
 */
const deliveryView = (m: {
  id: bigint;
  kind: string;
  status: string;
  createdAt: Date;
  recipientName: string;
  recipientEmail: string | null;
  userId: string | null;
  lastError: string | null;
  attempts: number;
}) => ({
  id: String(m.id),
  kind: m.kind,
  kindLabel: kindLabel(m.kind),
  status: m.status,
  recipientName: m.recipientName,
  recipientEmail: m.recipientEmail,
  recipientUserId: m.userId,
  attempts: m.attempts,
  lastError: m.lastError,
  reason: undeliveredReason(m),
  createdAt: m.createdAt.toISOString(),
});

/**
 * The notice a mail's acknowledgement link names, as its page shows it: the subject line, the
 * kind, whether and when it was acknowledged; null for a token no notice carries. Reads only:
 * opening the link (a person, or a mail scanner following it) changes nothing.
 */
export async function noticeByAckToken(s: Services, token: string) {
  const row = await s.db.outboxMessage.findUnique({
    where: { ackToken: token },
    select: { subject: true, kind: true, readAt: true },
  });
  if (!row) return null;
  return {
    subject: row.subject,
    kindLabel: kindLabel(row.kind),
    readAt: row.readAt,
  };
}

const UNDELIVERED = ['failed', 'no_address'];

/** Why a notice did not go, in words: a missing address or contact, or the mail server's refusal. */
export function undeliveredReason(m: { status: string; lastError: string | null }): string | null {
  if (m.status === 'no_address') return m.lastError ?? '缺少邮箱';
  if (m.status === 'failed')
    return m.lastError?.startsWith('无法生成') ? m.lastError : `发送失败：${m.lastError ?? '邮件服务器拒收'}`;
  return null;
}
const UNDELIVERED_SHOWN = 200;

/**
 * What counts as unread: not yet read, and still asking something of the reader. A notice
 * cancelled before it was sent (its item finished) is listed, but asks nothing of anyone.
 */
export const UNREAD = { readAt: null, status: { not: 'cancelled' } } as const;

/** The caller's notices, newest first (only the unread ones if asked), and how many are unread. */
export async function myNotifications(s: Services, actor: Actor, query: { unread?: 'true' | 'false'; limit: number }) {
  const where = { userId: actor.userId, ...(query.unread === 'true' ? UNREAD : {}) };
  const [messages, unread] = await Promise.all([
    s.db.outboxMessage.findMany({ where, orderBy: { id: 'desc' }, take: query.limit }),
    s.db.outboxMessage.count({ where: { userId: actor.userId, ...UNREAD } }),
  ]);
  return { unread, notifications: messages.map(noticeView) };
}

/**
 * The notices that failed or had no address, newest first: for those who read items, the ones
 * about what they see, in full; for the system administrator, every one, as `deliveryView`.
 */
export async function undelivered(s: Services, actor: Actor) {
  if (!can(actor.role, 'item.read')) {
    const rows = await s.db.outboxMessage.findMany({
      where: { status: { in: UNDELIVERED } },
      orderBy: { id: 'desc' },
      take: UNDELIVERED_SHOWN,
    });
    return { notifications: rows.map(deliveryView) };
  }
  // Newest first, only those about what the caller sees: scanned in light batches until the page is full.
  const ids: bigint[] = [];
  for (let before: bigint | undefined; ids.length < UNDELIVERED_SHOWN;) {
    const batch = await s.db.outboxMessage.findMany({
      where: { status: { in: UNDELIVERED }, ...(before !== undefined ? { id: { lt: before } } : {}) },
      orderBy: { id: 'desc' },
      take: 1000,
      select: { id: true, key: true, kind: true, subjectKind: true, subjectId: true },
    });
    ids.push(...(await visibleNotices(s.db, actor, batch)).map((r) => r.id));
    if (batch.length < 1000) break;
    before = batch.at(-1)!.id;
  }
  const rows = await s.db.outboxMessage.findMany({
    where: { id: { in: ids.slice(0, UNDELIVERED_SHOWN) } },
    orderBy: { id: 'desc' },
  });
  return { notifications: rows.map(noticeView) };
}
