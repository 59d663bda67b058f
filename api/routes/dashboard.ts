import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { dashboard } from '../read/dashboard';
import { inbox } from '../read/inbox';
import type { Services } from '../services';
import { DashboardResponse, InboxResponse } from './dashboard.schemas';
import { ListQuerySchema } from './items';

/** The list's filters by class, for the overview. */
const ClassQuerySchema = ListQuerySchema.pick({
  source: true,
  commonality: true,
  domain: true,
  tag: true,
  selfFound: true,
});

export const dashboardRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  app.get(
    '/api/dashboard',
    {
      config: { permission: 'item.read' },
      schema: {
        summary:
          '督查总览：按状态、灯色、单位超期统计与每周趋势，按来源类别统计（自查自纠单列），红灯事项、最近晾晒结果、待决定的通报问责；可按来源类别、共性/个性、领域、标签、自查自纠筛选',
        tags: ['items'],
        querystring: ClassQuerySchema,
        response: { 200: DashboardResponse },
      },
    },
    async (request) => dashboard(services, request.actor, request.query),
  );

  app.get(
    '/api/inbox',
    {
      config: { permission: 'item.read' },
      schema: {
        summary: '待办：当前用户应办的事项，按紧急程度排序',
        tags: ['items'],
        response: { 200: InboxResponse },
      },
    },
    async (request) => inbox(services, request.actor),
  );
};
