import type { Db } from '../lib/db';

/**
 * Kinds a finished item still sends although they were asked for before it finished: its own
 * closure notice (销号通知), and the notice that a contact has no address (it is about the address
 * book, not the item's work).
 */
export const KEPT_AFTER_FINISH = ['closed', 'missing_address'] as const;

/** Why a cancelled notice was not sent, as the in-app list and the outbox show it. */
const CANCELLED_REASON = {
  withdrawn: '事项已撤销，该通知在发送前取消',
  closed: '事项已销号，该通知在发送前取消',
};

/**
 * Cancels what an item that was withdrawn or closed still had waiting to be sent: notices it
 * asked for before it finished (its 交办通知, reminders, a pending 催办 …), whether still a
 * request or already a message waiting in the outbox (or for the daily digest). The item's own
 * closure notice goes out, and so does whatever the item asks for after finishing (a 回头看).
 * Nothing is deleted: the rows stay, with status `cancelled` and the reason, in the in-app list.
 * A message already being sent or sent is left as it is. Idempotent; run by the dispatcher
 * before each round.
 */
export async function cancelNoticesOfFinishedItems(db: Db): Promise<{ requests: number; messages: number }> {
  const kept = [...KEPT_AFTER_FINISH];
  const requests = await db.$executeRaw`
    UPDATE notification_requests r SET status = 'cancelled'
    FROM items i
    WHERE r.status = 'pending' AND r.subject_kind = 'item' AND i.id = r.subject_id
      AND i.status IN ('withdrawn', 'closed')
      AND r.created_at < CASE WHEN i.status = 'closed' THEN i.closed_at ELSE i.updated_at END
      AND NOT (r.kind = ANY(${kept}::text[]))`;
  const messages = await db.$executeRaw`
    UPDATE outbox o SET status = 'cancelled',
      last_error = CASE WHEN i.status = 'closed' THEN ${CANCELLED_REASON.closed} ELSE ${CANCELLED_REASON.withdrawn} END
    FROM notification_requests r, items i
    WHERE o.status IN ('pending', 'digest') AND r.key = o.request_key
      AND r.subject_kind = 'item' AND i.id = r.subject_id
      AND i.status IN ('withdrawn', 'closed')
      AND r.created_at < CASE WHEN i.status = 'closed' THEN i.closed_at ELSE i.updated_at END
      AND NOT (o.kind = ANY(${kept}::text[]))`;
  return { requests, messages };
}
