import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ACTION_LABELS } from '../../domain/commands';
import { STATUS_LABELS, TRANSITIONS } from '../../domain/item';
import { ROLE_LABELS } from '../../domain/actors';
import { PERMISSIONS } from '../../domain/permissions';
import type { ReadinessCheck } from '../../lib/readiness';
import { health, ready } from '../read/health';
import { listUnits } from '../read/users';
import type { Services } from '../services';
import { Health, Live, Me, MetaStates, NotReady, Ready, Units } from './meta.schemas';

/** What each failed readiness check means, for the 503's message. */
const NOT_READY: Record<ReadinessCheck, string> = {
  database: '数据库无法连接',
  temporal: '工作流服务（Temporal）无法连接',
  migrations: '数据库迁移未全部应用',
  searchAttributes: '工作流服务的命名空间缺少本系统的搜索属性',
};

export const metaRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  // The health routes are exempt from the rate limit: a load balancer probing from a shared (SNAT)
  // address must not be shown a dead process by other callers' traffic. Their checks are cached
  // for a second (api/read/health.ts), so a flood of them costs nothing.
  app.get(
    '/api/health',
    {
      config: { public: true, rateLimit: false },
      schema: { summary: '健康检查', tags: ['meta'], response: { 200: Health, 503: Health } },
    },
    async (_request, reply) => {
      const { database: db, temporal } = await health(services);
      return reply
        .status(db && temporal ? 200 : 503)
        .send({ database: db ? 'up' : 'down', temporal: temporal ? 'up' : 'down' });
    },
  );

  // Liveness: the process answers; nothing else is asked, so a database outage never gets it restarted.
  app.get(
    '/api/health/live',
    {
      config: { public: true, rateLimit: false },
      schema: { summary: '存活检查', tags: ['meta'], response: { 200: Live } },
    },
    async () => ({ live: true as const }),
  );

  // Readiness: names the failed checks only; their reasons (hosts, errors) are on the metrics port's /ready.
  app.get(
    '/api/health/ready',
    {
      config: { public: true, rateLimit: false },
      schema: { summary: '就绪检查', tags: ['meta'], response: { 200: Ready, 503: NotReady } },
    },
    async (_request, reply) => {
      const r = await ready(services);
      const checks = {
        database: r.checks.database.ok,
        temporal: r.checks.temporal.ok,
        migrations: r.checks.migrations.ok,
        searchAttributes: r.checks.searchAttributes.ok,
      };
      if (r.ready) return reply.status(200).send({ ready: true, checks, failed: [] });
      return reply.status(503).send({
        error: 'not_ready',
        message: `未就绪：${r.failed.map((c) => NOT_READY[c]).join('；')}`,
        ready: false,
        checks,
        failed: r.failed,
      });
    },
  );

  app.get(
    '/api/me',
    {
      config: { permission: 'signedIn' },
      schema: { summary: '当前用户及其权限', tags: ['meta'], response: { 200: Me } },
    },
    async (request) => ({
      actor: { ...request.actor, jurisdiction: undefined },
      roleLabel: ROLE_LABELS[request.actor.role],
      permissions: [...PERMISSIONS[request.actor.role]],
      jurisdictionSize: request.actor.jurisdiction?.length ?? null,
    }),
  );

  app.get(
    '/api/units',
    { config: { permission: 'signedIn' }, schema: { summary: '单位列表', tags: ['meta'], response: { 200: Units } } },
    async () => ({ units: await listUnits(services) }),
  );

  app.get(
    '/api/meta/states',
    {
      config: { permission: 'signedIn' },
      schema: { summary: '状态、操作与流转表', tags: ['meta'], response: { 200: MetaStates } },
    },
    async () => ({
      statuses: STATUS_LABELS,
      actions: ACTION_LABELS,
      roles: ROLE_LABELS,
      transitions: TRANSITIONS,
      permissions: Object.fromEntries(Object.entries(PERMISSIONS).map(([role, set]) => [role, [...set]])),
    }),
  );
};
