import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { verifyItemChain } from '../../lib/chain';
import type { Prisma } from '../../generated/prisma/client';
import { notFound } from '../errors';
import { likeLiteral, loadItem, type Services } from '../items-service';
import { AuditPage, ChainReport } from './audit.schemas';

const AuditQuery = z.strictObject({
  userId: z.string().max(64).optional(),
  target: z.string().max(200).optional(),
  action: z.string().max(200).optional(),
  outcome: z.enum(['ok', 'denied', 'refused', 'error']).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  page: z.coerce.number().int().min(1).max(100000).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
});

/** The audit administrator's view: the access log and each item's hash chain. */
export const auditRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  app.get(
    '/api/audit',
    {
      config: { permission: 'audit.read', audit: true },
      schema: {
        summary: '审计日志（安全审计员）',
        tags: ['audit'],
        querystring: AuditQuery,
        response: { 200: AuditPage },
      },
    },
    async (request) => {
      const q = request.query;
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
        services.db.auditLog.count({ where }),
        services.db.auditLog.findMany({
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
    },
  );

  app.get(
    '/api/items/:id/chain',
    {
      config: { permission: 'item.read', audit: true },
      schema: {
        summary: '校验事项记录的哈希链，报告第一处断裂',
        tags: ['audit'],
        params: z.object({ id: z.string().min(1).max(64) }),
        response: { 200: ChainReport },
      },
    },
    async (request) => {
      await loadItem(services, request.actor, request.params.id);
      const report = await verifyItemChain(services.db, request.params.id);
      if (!report) throw notFound();
      return report;
    },
  );
};
