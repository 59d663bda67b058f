import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ACTION_LABELS, ACTION_PAYLOADS, ACTIONS, CreateItemSchema } from '../../domain/commands';
import { STATUSES } from '../../domain/item';
import { once, requestHash } from '../idempotency';
import { act, createItem, itemDetail, itemView, listItems, type Services } from '../items-service';

const IdParams = z.object({ id: z.string().min(1).max(64) });
const IdempotencyHeaders = z.object({ 'idempotency-key': z.string().optional() });

const ListQuerySchema = z.strictObject({
  status: z
    .string()
    .optional()
    .transform((s) => (s ? s.split(',') : undefined))
    .pipe(z.array(z.enum(STATUSES)).optional()),
  unit: z.string().max(64).optional(),
  overdue: z.enum(['true', 'false']).optional().transform((v) => (v === undefined ? undefined : v === 'true')),
  problemListId: z.string().max(64).optional(),
  q: z.string().max(100).optional(),
  sort: z.enum(['dueDate', '-dueDate', 'createdAt', '-createdAt', 'updatedAt', '-updatedAt']).default('-updatedAt'),
  page: z.coerce.number().int().min(1).max(100000).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
});

export const itemRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  app.post(
    '/api/items',
    { schema: { summary: '立项交办：新建事项并交办给牵头单位', tags: ['items'], body: CreateItemSchema, headers: IdempotencyHeaders } },
    async (request, reply) => {
      const outcome = await once(services.db, request.actor.userId, request.headers['idempotency-key'], requestHash('POST', request.url, request.body), async () => {
        const item = await createItem(services, request.actor, request.body);
        return { statusCode: 201, body: { item: itemView(item, request.actor) } };
      });
      return reply.status(outcome.statusCode).send(outcome.body);
    },
  );

  for (const action of ACTIONS) {
    app.post(
      `/api/items/:id/${action}`,
      { schema: { summary: ACTION_LABELS[action], tags: ['actions'], params: IdParams, body: ACTION_PAYLOADS[action], headers: IdempotencyHeaders } },
      async (request, reply) => {
        const key = request.headers['idempotency-key'];
        const outcome = await once(services.db, request.actor.userId, key, requestHash('POST', request.url, request.body), async () => {
          const updateId = key ? `${request.actor.userId}/${key}` : undefined;
          const item = await act(services, request.actor, request.params.id, action, request.body, updateId);
          return { statusCode: 200, body: { item: itemView(item, request.actor) } };
        });
        return reply.status(outcome.statusCode).send(outcome.body);
      },
    );
  }

  app.get('/api/items', { schema: { summary: '事项列表', tags: ['items'], querystring: ListQuerySchema } }, async (request) =>
    listItems(services, request.actor, request.query),
  );

  app.get('/api/items/:id', { schema: { summary: '事项详情与全过程记录', tags: ['items'], params: IdParams } }, async (request) =>
    itemDetail(services, request.actor, request.params.id),
  );
};
