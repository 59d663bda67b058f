import type { Db } from '../lib/db';
import type { EventDraft, Item } from '../domain/item';
import { Prisma } from '../generated/prisma/client';

export interface RecordTransition {
  /** `<workflow id>/<update id>`: the same for every retry of this activity. */
  key: string;
  item: Item;
  event: EventDraft;
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
    light: 'green',
    declineCount: item.declines.length,
    returnCount: item.returnCount,
    problemListId: item.problemListId,
    seq: item.seq,
    snapshot: item as unknown as Prisma.InputJsonValue,
    createdAt: new Date(item.createdAt),
    updatedAt: new Date(item.updatedAt),
    closedAt: item.status === 'closed' ? new Date(item.closedAt) : null,
  };
}

export function createRecordActivities(db: Db) {
  return {
    /**
     * Writes the item's current state and appends its event, in one transaction. Idempotent:
     * the event's key is unique, and the snapshot only ever moves to a higher sequence number.
     */
    async recordTransition({ key, item, event }: RecordTransition): Promise<void> {
      try {
        await db.$transaction(async (tx) => {
          if (await tx.itemEvent.findUnique({ where: { key }, select: { id: true } })) return;
          const row = itemRow(item);
          const updated = await tx.item.updateMany({ where: { id: item.id, seq: { lt: item.seq } }, data: row });
          if (updated.count === 0) await tx.item.createMany({ data: [{ id: item.id, ...row }], skipDuplicates: true });
          await tx.itemEvent.create({
            data: {
              key,
              itemId: item.id,
              seq: event.seq,
              action: event.action,
              fromStatus: event.fromStatus,
              toStatus: event.toStatus,
              actorUserId: event.actor.userId,
              actorName: event.actor.name,
              actorRole: event.actor.role,
              actorUnitId: event.actor.unitId,
              at: new Date(event.at),
              payload: (event.payload ?? {}) as Prisma.InputJsonValue,
              attachments: event.attachments as unknown as Prisma.InputJsonValue,
            },
          });
        });
      } catch (err) {
        // A concurrent attempt of this same activity won the race: the record is there.
        if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') return;
        throw err;
      }
    },

    async recordProblemList(list: RecordProblemList): Promise<void> {
      await db.problemList.createMany({
        data: [{ id: list.listId, title: list.title, source: list.source, total: list.total, createdBy: list.createdBy, createdAt: new Date(list.createdAt) }],
        skipDuplicates: true,
      });
    },
  };
}
