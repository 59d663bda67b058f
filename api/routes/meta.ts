import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ACTION_LABELS } from '../../domain/commands';
import { STATUS_LABELS, TRANSITIONS } from '../../domain/item';
import { ROLE_LABELS } from '../../domain/actors';
import { PERMISSIONS } from '../../domain/permissions';
import { health } from '../read/health';
import { listUnits } from '../read/users';
import type { Services } from '../services';
import { Health, Me, MetaStates, Units } from './meta.schemas';

export const metaRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  app.get(
    '/api/health',
    {
      config: { public: true },
      schema: { summary: '健康检查', tags: ['meta'], response: { 200: Health, 503: Health } },
    },
    async (_request, reply) => {
      const { database: db, temporal } = await health(services);
      return reply
        .status(db && temporal ? 200 : 503)
        .send({ database: db ? 'up' : 'down', temporal: temporal ? 'up' : 'down' });
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
