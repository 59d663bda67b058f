import { createHash } from 'node:crypto';
import type { Db } from './db';
import type { ItemEvent } from '../generated/prisma/client';

/**
 * The tamper-evident chain of an item's events. Each event's hash is
 * sha256(previous event's hash || digest of its own content), so changing, removing or
 * inserting an event breaks every link after it. The content digest is computed here, in the
 * application; the database only concatenates it with the previous hash (in the same statement
 * that inserts the event), and this module recomputes everything from the stored rows.
 */
export interface ChainedContent {
  key: string;
  itemId: string;
  seq: number;
  action: string;
  fromStatus: string | null;
  toStatus: string;
  actor: { userId: string; name: string; role: string; unitId: string | null };
  at: string;
  payload: unknown;
  attachments: unknown;
}

/** JSON with object keys sorted at every level, after JSON's own rules (undefined dropped). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(JSON.parse(JSON.stringify(value ?? null)) as unknown));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

export function contentDigest(c: ChainedContent): string {
  return sha256(canonicalJson({ ...c, payload: c.payload ?? {}, attachments: c.attachments ?? [] }));
}

export function linkHash(prevHash: string | null, digest: string): string {
  return sha256((prevHash ?? '') + digest);
}

export type ChainBreak =
  | { seq: number; reason: 'content_altered'; message: string }
  | { seq: number; reason: 'link_broken'; message: string }
  | { seq: number; reason: 'missing_event'; message: string }
  | { seq: number; reason: 'unchained'; message: string };

export interface ChainReport {
  itemId: string;
  events: number;
  intact: boolean;
  /** The first broken link, if any; everything before it checks out. */
  firstBreak: ChainBreak | null;
  head: string | null;
}

type EventRow = Pick<
  ItemEvent,
  | 'key'
  | 'itemId'
  | 'seq'
  | 'action'
  | 'fromStatus'
  | 'toStatus'
  | 'actorUserId'
  | 'actorName'
  | 'actorRole'
  | 'actorUnitId'
  | 'at'
  | 'payload'
  | 'attachments'
  | 'prevHash'
  | 'hash'
>;

/** Walks the stored events in order; `lastSeq` is what the item's snapshot says was recorded. */
export function checkChain(itemId: string, rows: EventRow[], lastSeq: number | null): ChainReport {
  let prev: string | null = null;
  const report = (firstBreak: ChainBreak | null): ChainReport => ({
    itemId,
    events: rows.length,
    intact: firstBreak === null,
    firstBreak,
    head: prev,
  });
  for (const [i, row] of rows.entries()) {
    const expectedSeq = i + 1;
    if (row.seq !== expectedSeq)
      return report({ seq: expectedSeq, reason: 'missing_event', message: `第 ${expectedSeq} 条记录缺失` });
    if (row.hash === null)
      return report({
        seq: row.seq,
        reason: 'unchained',
        message: `第 ${row.seq} 条记录没有哈希（早于哈希链启用，或被改动）`,
      });
    if (row.prevHash !== prev)
      return report({
        seq: row.seq,
        reason: 'link_broken',
        message: `第 ${row.seq} 条记录的前序哈希与第 ${row.seq - 1} 条记录不符`,
      });
    const digest = contentDigest({
      key: row.key,
      itemId: row.itemId,
      seq: row.seq,
      action: row.action,
      fromStatus: row.fromStatus,
      toStatus: row.toStatus,
      actor: { userId: row.actorUserId, name: row.actorName, role: row.actorRole, unitId: row.actorUnitId },
      at: row.at.toISOString(),
      payload: row.payload,
      attachments: row.attachments,
    });
    if (linkHash(prev, digest) !== row.hash)
      return report({
        seq: row.seq,
        reason: 'content_altered',
        message: `第 ${row.seq} 条记录的内容与其哈希不符（记录被改动）`,
      });
    prev = row.hash;
  }
  if (lastSeq !== null && lastSeq > rows.length) {
    return report({
      seq: rows.length + 1,
      reason: 'missing_event',
      message: `事项已记录到第 ${lastSeq} 条，记录表只有 ${rows.length} 条`,
    });
  }
  return report(null);
}

export async function verifyItemChain(db: Db, itemId: string): Promise<ChainReport | null> {
  const item = await db.item.findUnique({ where: { id: itemId }, select: { seq: true } });
  if (!item) return null;
  const rows = await db.itemEvent.findMany({ where: { itemId }, orderBy: { seq: 'asc' } });
  return checkChain(itemId, rows, item.seq);
}
