/** The audit administrator's reads: the access log, and an item's hash chain. */
import type { Actor } from '../../domain/actors';
import type { Prisma } from '../../generated/prisma/client';
import { verifyItemChain } from '../../lib/chain';
import { notFound } from '../errors';
import type { Services } from '../services';
import { loadItem } from './items';
import { likeLiteral } from './like';

export interface AuditQuery {
  userId?: string;
  target?: string;
  action?: string;
  outcome?: 'ok' | 'denied' | 'refused' | 'error';
  /** ISO date-times: from inclusive, to exclusive. */
  from?: string;
  to?: string;
  page: number;
  pageSize: number;
}

/** One page of the audit log, newest first, with the total the filters match. */
export async function auditPage(s: Services, q: AuditQuery) {
  const where: Prisma.AuditLogWhereInput = {
    ...(q.userId ? { userId: q.userId } : {}),
    ...(q.target ? { target: q.target } : {}),
    ...(q.action ? { action: { contains: likeLiteral(q.action) } } : {}),
    ...(q.outcome ? { outcome: q.outcome } : {}),
    ...(q.from || q.to
      ? { at: { ...(q.from ? { gte: new Date(q.from) } : {}), ...(q.to ? { lt: new Date(q.to) } : {}) } }
      : {}),
  };
  const [total, rows] = await Promise.all([
    s.db.auditLog.count({ where }),
    s.db.auditLog.findMany({
      where,
      orderBy: { id: 'desc' },
      skip: (q.page - 1) * q.pageSize,
      take: q.pageSize,
    }),
  ]);
  return {
    total,
    page: q.page,
    pageSize: q.pageSize,
    entries: rows.map((r) => ({ ...r, id: r.id.toString(), at: r.at.toISOString() })),
  };
}

/** The hash chain of an item the caller may see (else 404), checked from its first event. */
export async function itemChain(s: Services, actor: Actor, id: string) {
  await loadItem(s, actor, id);
  const report = await verifyItemChain(s.db, id);
  if (!report) throw notFound();
  return report;
}
