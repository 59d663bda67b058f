import type { Db } from '../lib/db';
import type { EventDraft, Item } from '../domain/item';
import { Prisma } from '../generated/prisma/client';
import type { Calendar } from '../domain/calendar';
import { currentCalendar } from '../lib/calendar-store';
import { lifecycleNotices, type NotificationDraft } from '../domain/notifications';
import { contentDigest } from '../lib/chain';
import { currentTraceCarrier, withSpan } from '../lib/tracing';
import { DEFAULT_SOURCE } from '../domain/classes';

export interface RecordTransition {
  /** `<workflow id>/<update id>`: the same for every retry of this activity. */
  key: string;
  item: Item;
  event: EventDraft;
  notifications?: NotificationDraft[];
}

export interface RecordProblemList {
  listId: string;
  title: string;
  source: string;
  total: number;
  createdBy: string;
  createdAt: string;
}

function itemRow(item: Item) {
  return {
    title: item.title,
    description: item.description,
    category: item.category,
    priority: item.priority,
    source: item.source,
    status: item.status,
    leadUnitId: item.leadUnitId,
    coUnitIds: item.coParts.map((p) => p.unitId),
    dueDate: item.dueDate,
    light: item.deadlines?.light ?? 'green',
    deadlineDate: item.deadlines?.clocks.closure?.deadline ?? item.dueDate,
    calendarWarning: (item.deadlines?.unknownYears.length ?? 0) > 0,
    declineCount: item.declines.length,
    returnCount: item.returnCount,
    problemListId: item.problemListId,
    seq: item.seq,
    createdAt: new Date(item.createdAt),
    updatedAt: new Date(item.updatedAt),
    closedAt: item.status === 'closed' ? new Date(item.closedAt) : null,
    closedLateWorkingDays: item.status === 'closed' ? (item.deadlines?.closing?.lateWorkingDays ?? null) : null,
    // The classes the item was opened with; only the first record writes them (see below).
    sourceCode: item.classes?.sourceCode ?? DEFAULT_SOURCE,
    commonality: item.classes?.commonality ?? null,
    domainCode: item.classes?.domainCode ?? null,
    tags: item.classes?.tags ?? [],
  };
}

export function createRecordActivities(db: Db) {
  /**
   * Writes the item's current state and appends its event, in one transaction. Idempotent:
   * the event's key is unique, and the snapshot only ever moves to a higher sequence number.
   */
  async function record({ key, item, event, notifications: fromLadder = [] }: RecordTransition): Promise<void> {
    const r = itemRow(item);
    const digest = contentDigest({
      key,
      itemId: item.id,
      seq: event.seq,
      action: event.action,
      fromStatus: event.fromStatus,
      toStatus: event.toStatus,
      actor: {
        userId: event.actor.userId,
        name: event.actor.name,
        role: event.actor.role,
        unitId: event.actor.unitId,
      },
      at: new Date(event.at).toISOString(),
      payload: event.payload ?? {},
      attachments: event.attachments,
    });
    // The outbox mails these later, elsewhere: its SMTP span joins this action's trace (lib/tracing.ts).
    const traceContext = currentTraceCarrier();
    const notifications = [...fromLadder, ...lifecycleNotices(key, event, item)].map((n) =>
      traceContext ? { ...n, payload: { ...n.payload, traceContext } } : n,
    );
    const notify = notifications.length
      ? Prisma.sql`, notified AS (
          INSERT INTO notification_requests (key, subject_kind, subject_id, kind, targets, unit_ids, payload, created_at)
          SELECT n.key, 'item', ${item.id}, n.kind, ARRAY(SELECT jsonb_array_elements_text(n.targets)), ARRAY(SELECT jsonb_array_elements_text(n.unit_ids)), n.payload, ${new Date(event.at)}
          FROM jsonb_to_recordset(${JSON.stringify(notifications.map((n) => ({ key: n.key, kind: n.kind, targets: n.targets, unit_ids: n.unitIds, payload: n.payload })))}::jsonb)
            AS n(key text, kind text, targets jsonb, unit_ids jsonb, payload jsonb)
          ON CONFLICT (key) DO NOTHING
          RETURNING 1
        )`
      : Prisma.empty;
    // One statement, so one round trip and atomic: the snapshot moves only to a higher
    // sequence number, the event is skipped when its key is already there (a retry), and it
    // is chained to the item's previous event (lib/chain.ts). The classes (source_code …
    // self_found) are written by the first record only: later ones leave them to
    // api/classes-service.ts, which changes them with their history. Self-found is the
    // source's flag in the taxonomy when the item is opened.
    await withSpan(
      'INSERT items, item_events',
      { 'db.system': 'postgresql', 'db.operation.name': 'INSERT', 'db.collection.name': 'item_events' },
      () => db.$executeRaw`
      WITH snapshot AS (
        INSERT INTO items (id, title, description, category, priority, source, status, lead_unit_id, co_unit_ids, due_date,
                           light, deadline_date, calendar_warning, decline_count, return_count, problem_list_id, seq, snapshot, created_at, updated_at, closed_at,
                           closed_late_working_days, source_code, commonality, domain_code, tags, self_found)
        VALUES (${item.id}, ${r.title}, ${r.description}, ${r.category}, ${r.priority}, ${r.source}, ${r.status}, ${r.leadUnitId},
                ${r.coUnitIds}::text[], ${r.dueDate}, ${r.light}, ${r.deadlineDate}, ${r.calendarWarning}, ${r.declineCount}, ${r.returnCount}, ${r.problemListId}, ${r.seq},
                ${JSON.stringify(item)}::jsonb, ${r.createdAt}, ${r.updatedAt}, ${r.closedAt}, ${r.closedLateWorkingDays},
                ${r.sourceCode}, ${r.commonality}, ${r.domainCode}, ${r.tags}::text[],
                coalesce((SELECT self_found FROM classification_terms WHERE kind = 'source' AND code = ${r.sourceCode}), false))
        ON CONFLICT (id) DO UPDATE SET
          title = EXCLUDED.title, description = EXCLUDED.description, category = EXCLUDED.category, priority = EXCLUDED.priority,
          source = EXCLUDED.source, status = EXCLUDED.status, lead_unit_id = EXCLUDED.lead_unit_id, co_unit_ids = EXCLUDED.co_unit_ids,
          due_date = EXCLUDED.due_date, light = EXCLUDED.light, deadline_date = EXCLUDED.deadline_date,
          calendar_warning = EXCLUDED.calendar_warning, decline_count = EXCLUDED.decline_count,
          return_count = EXCLUDED.return_count, problem_list_id = EXCLUDED.problem_list_id, seq = EXCLUDED.seq,
          snapshot = EXCLUDED.snapshot, updated_at = EXCLUDED.updated_at, closed_at = EXCLUDED.closed_at,
          closed_late_working_days = EXCLUDED.closed_late_working_days, attention = NULL, attention_since = NULL
        WHERE items.seq < EXCLUDED.seq
        RETURNING id
      )${notify}
      INSERT INTO item_events (key, item_id, seq, action, from_status, to_status, actor_user_id, actor_name, actor_role, actor_unit_id, at, payload, attachments, prev_hash, hash)
      SELECT ${key}, ${item.id}, ${event.seq}, ${event.action}, ${event.fromStatus}, ${event.toStatus}, ${event.actor.userId},
             ${event.actor.name}, ${event.actor.role}, ${event.actor.unitId}, ${new Date(event.at)},
             ${JSON.stringify(event.payload ?? {})}::jsonb, ${JSON.stringify(event.attachments)}::jsonb,
             prev.hash, encode(sha256(convert_to(coalesce(prev.hash, '') || ${digest}, 'UTF8')), 'hex')
      FROM (SELECT (SELECT hash FROM item_events WHERE item_id = ${item.id} AND seq = ${event.seq - 1}) AS hash) AS prev
      ON CONFLICT (key) DO NOTHING`,
    );
  }

  return {
    /** See `record`; its span is the worker's share of an action in the cost breakdown. */
    recordTransition: (transition: RecordTransition): Promise<void> =>
      withSpan('stage record', {}, () => record(transition)),

    /**
     * Marks the item as needing attention: one of its writes failed past its attempt limit and
     * is being tried again on a timer. The next transition recorded clears it.
     */
    async flagAttention({ itemId, reason, since }: { itemId: string; reason: string; since: string }): Promise<void> {
      await db.item.updateMany({ where: { id: itemId }, data: { attention: reason, attentionSince: new Date(since) } });
    },

    /** The working-day calendar in force (shipped years plus the operator's), dates only. */
    async loadCalendar(): Promise<Calendar> {
      return currentCalendar(db);
    },

    /**
     * Items whose workflow still counts deadlines (open, or closed with a 回头看 to come), by id
     * after `after`: a calendar rollout signals them page by page.
     */
    async runningItemIds({ after, limit }: { after: string | null; limit: number }): Promise<string[]> {
      const rows = await db.$queryRaw<Array<{ id: string }>>`
        SELECT id FROM items
        WHERE id > ${after ?? ''} AND status <> 'withdrawn'
          AND (status <> 'closed' OR snapshot #>> '{deadlines,reinspection,state}' IN ('scheduled', 'due'))
        ORDER BY id LIMIT ${limit}`;
      return rows.map((r) => r.id);
    },

    async recordProblemList(list: RecordProblemList): Promise<void> {
      await db.problemList.createMany({
        data: [
          {
            id: list.listId,
            title: list.title,
            source: list.source,
            total: list.total,
            createdBy: list.createdBy,
            createdAt: new Date(list.createdAt),
          },
        ],
        skipDuplicates: true,
      });
    },
  };
}
