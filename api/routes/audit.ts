import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { auditPage, itemChain } from '../read/audit';
import type { Services } from '../services';
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
    async (request) => auditPage(services, request.query),
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
    async (request) => itemChain(services, request.actor, request.params.id),
  );
};
