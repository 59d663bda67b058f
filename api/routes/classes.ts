import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ClassesChangeSchema, COMMONALITY_LABELS, TERM_KINDS, TermBodySchema, TermCode } from '../../domain/classes';
import { changeItemClasses, putTerm } from '../classes-service';
import { classesHistory, loadTaxonomy } from '../read/classes';
import type { Services } from '../services';
import { ClassesHistoryResponse, ClassificationResponse, ItemClassesView, TermView } from './classes.schemas';

const IdParams = z.object({ id: z.string().min(1).max(64) });

export const classesRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  app.get(
    '/api/classification',
    {
      config: { permission: 'signedIn' },
      schema: {
        summary: '来源类别、领域与共性/个性（含已停用的）',
        tags: ['classes'],
        response: { 200: ClassificationResponse },
      },
    },
    async () => ({ ...(await loadTaxonomy(services.db)), commonality: COMMONALITY_LABELS }),
  );

  app.put(
    '/api/classification/:kind/:code',
    {
      config: { permission: 'taxonomy.manage' },
      schema: {
        summary:
          '新增或修改来源类别（kind=source）或领域（kind=domain）：名称、启用、排序、是否自查自纠；只能停用，不能删除',
        tags: ['classes'],
        params: z.object({ kind: z.enum(TERM_KINDS, '应为 source（来源类别）或 domain（领域）'), code: TermCode }),
        body: TermBodySchema,
        response: { 200: TermView },
      },
    },
    async (request) => putTerm(services, request.actor, request.params.kind, request.params.code, request.body),
  );

  app.patch(
    '/api/items/:id/classes',
    {
      config: { permission: 'classes.edit' },
      schema: {
        summary: '修改事项的来源类别、共性/个性、领域与标签（留痕）',
        tags: ['classes'],
        params: IdParams,
        body: ClassesChangeSchema,
        response: { 200: ItemClassesView },
      },
    },
    async (request) => changeItemClasses(services, request.actor, request.params.id, request.body),
  );

  app.get(
    '/api/items/:id/classes/history',
    {
      config: { permission: 'item.read' },
      schema: {
        summary: '事项分类的修改记录（谁、何时、由什么改为什么）',
        tags: ['classes'],
        params: IdParams,
        response: { 200: ClassesHistoryResponse },
      },
    },
    async (request) => classesHistory(services, request.actor, request.params.id),
  );
};
