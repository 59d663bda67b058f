import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { reconciliation } from '../read/reconciliation';
import type { Services } from '../services';
import { ReconciliationResponse } from './reconciliation.schemas';

/** The reconciliation's last run and open findings, read-only (activities/reconcile.ts runs it). */
export const reconciliationRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  app.get(
    '/api/reconciliation',
    {
      config: { permission: 'reconciliation.read' },
      schema: {
        summary: '对账：最近一次比对数据库记录与流程的结果，及尚未消除的不一致',
        tags: ['settings'],
        response: { 200: ReconciliationResponse },
      },
    },
    async (request) => reconciliation(services, request.actor),
  );
};
