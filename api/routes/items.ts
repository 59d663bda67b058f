import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ACTION_LABELS, ACTION_PAYLOADS, ACTIONS, OpenItemSchema } from '../../domain/commands';
import { STATUSES } from '../../domain/item';
import { LIGHTS } from '../../domain/policy';
import { COMMONALITIES, MAX_TAG_CHARS, TermCode } from '../../domain/classes';
import { once, requestHash, sendOutcome } from '../idempotency';
import { act, createItem } from '../items-service';
import { exportItems, listItems } from '../read/item-list';
import { itemDetail, itemViewWithNumber } from '../read/items';
import { itemLedger, ledgerCsv, ledgerXlsx } from '../read/ledger';
import { itemsXlsx } from '../read/items-xlsx';
import { sendXlsx, XLSX_CONTENT_TYPE, xlsxFileName } from '../../lib/xlsx';
import { itemDeadlineTimeline } from '../read/deadline-timeline';
import { DeadlineTimeline } from './deadline-timeline.schemas';
import type { Services } from '../services';
import { ErrorBody, IdempotencyHeaders } from '../contract';
import { CsvText, ItemBody, ItemDetail, ItemPage, Ledger, XlsxFile } from './items.schemas';

const IdParams = z.object({ id: z.string().min(1).max(64) });

export const ListQuerySchema = z.strictObject({
  status: z
    .string()
    .optional()
    .transform((s) => (s ? s.split(',') : undefined))
    .pipe(z.array(z.enum(STATUSES)).optional()),
  light: z
    .string()
    .optional()
    .transform((s) => (s ? s.split(',') : undefined))
    .pipe(z.array(z.enum(LIGHTS)).optional()),
  minOverdueDays: z.coerce.number().int().min(0).max(1000).optional(),
  unit: z.string().max(64).optional(),
  overdue: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true')),
  problemListId: z.string().max(64).optional(),
  attention: z
    .enum(['true'])
    .optional()
    .transform((v) => (v === undefined ? undefined : true)),
  closedLate: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true'))
    .describe('true：超期办结的事项；false：按期办结的事项'),
  source: z
    .string()
    .max(500)
    .optional()
    .transform((s) => (s ? s.split(',') : undefined))
    .pipe(z.array(TermCode).max(20).optional())
    .describe('来源类别代码，可用逗号分隔多个'),
  commonality: z.enum(COMMONALITIES, '应为 common（共性）或 individual（个性）').optional().describe('共性/个性'),
  domain: TermCode.optional().describe('领域代码'),
  tag: z.string().trim().min(1).max(MAX_TAG_CHARS).optional().describe('标签'),
  selfFound: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true'))
    .describe('true：自查自纠的事项；false：其他来源的事项'),
  q: z.string().max(100).optional(),
  sort: z
    .enum(['dueDate', '-dueDate', 'createdAt', '-createdAt', 'updatedAt', '-updatedAt', '-overdueDays'])
    .default('-updatedAt'),
  page: z.coerce.number().int().min(1).max(100000).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
});

export const itemRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  app.post(
    '/api/items',
    {
      config: { permission: 'item.create', sendsMail: true },
      schema: {
        summary: '立项交办：新建事项并交办给牵头单位',
        tags: ['items'],
        body: OpenItemSchema,
        headers: IdempotencyHeaders,
        response: { 201: ItemBody, 409: ErrorBody, 422: ErrorBody },
      },
    },
    async (request, reply) => {
      const outcome = await once(
        services.db,
        request.actor.userId,
        request.headers['idempotency-key'],
        requestHash('POST', request.url, request.body),
        async () => {
          const item = await createItem(services, request.actor, request.body, request.headers['idempotency-key']);
          return { statusCode: 201, body: { item: await itemViewWithNumber(services, item, request.actor) } };
        },
      );
      return sendOutcome(reply, outcome);
    },
  );

  for (const action of ACTIONS) {
    app.post(
      `/api/items/:id/${action}`,
      {
        config: { permission: action, sendsMail: true },
        schema: {
          summary: ACTION_LABELS[action],
          tags: ['actions'],
          params: IdParams,
          body: ACTION_PAYLOADS[action],
          headers: IdempotencyHeaders,
          response: { 200: ItemBody, 409: ErrorBody, 422: ErrorBody },
        },
      },
      async (request, reply) => {
        const key = request.headers['idempotency-key'];
        const outcome = await once(
          services.db,
          request.actor.userId,
          key,
          requestHash('POST', request.url, request.body),
          async () => {
            const updateId = key ? `${request.actor.userId}/${key}` : undefined;
            const item = await act(services, request.actor, request.params.id, action, request.body, updateId);
            return { statusCode: 200, body: { item: await itemViewWithNumber(services, item, request.actor) } };
          },
        );
        return sendOutcome(reply, outcome);
      },
    );
  }

  app.get(
    '/api/items',
    {
      config: { permission: 'item.read' },
      schema: { summary: '事项列表', tags: ['items'], querystring: ListQuerySchema, response: { 200: ItemPage } },
    },
    async (request) => listItems(services, request.actor, request.query),
  );

  app.get(
    '/api/items/export',
    {
      config: { permission: 'item.export', audit: true },
      schema: {
        summary:
          '导出事项列表，筛选与排序同列表：format=csv（默认，供程序读取，最多 100000 行）或 format=xlsx（Excel，中文列名与北京时间，最多 20000 行）',
        tags: ['items'],
        querystring: ListQuerySchema.omit({ page: true, pageSize: true }).extend({
          format: z.enum(['csv', 'xlsx']).default('csv'),
        }),
        response: {
          200: {
            description: 'CSV 或 Excel 文件',
            content: { 'text/csv': { schema: CsvText }, [XLSX_CONTENT_TYPE]: { schema: XlsxFile } },
          },
        },
      },
    },
    async (request, reply) => {
      const now = new Date();
      if (request.query.format === 'xlsx')
        return sendXlsx(
          reply,
          await itemsXlsx(services, request.actor, request.query, now),
          xlsxFileName('督办事项清单', now),
        );
      return (
        reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="items-${new Date().toISOString().slice(0, 10)}.csv"`)
          // A stream of the CSV, written batch by batch; the schema documents its text.
          .send(Readable.from(exportItems(services, request.actor, request.query)) as unknown as string)
      );
    },
  );

  app.get(
    '/api/items/:id/ledger',
    {
      config: { permission: 'item.read' },
      schema: {
        summary: '期限台账：每个期限、暂停、延期、催办记录与逐日计算（JSON、CSV 或 Excel）',
        tags: ['items'],
        params: IdParams,
        querystring: z.strictObject({ format: z.enum(['json', 'csv', 'xlsx']).default('json') }),
        response: {
          200: {
            description: '期限台账',
            content: {
              'application/json': { schema: Ledger },
              'text/csv': { schema: CsvText },
              [XLSX_CONTENT_TYPE]: { schema: XlsxFile },
            },
          },
        },
      },
    },
    async (request, reply) => {
      if (request.query.format === 'xlsx') {
        const now = new Date();
        const { body, fileName } = await ledgerXlsx(services, request.actor, request.params.id, now);
        return sendXlsx(reply, body, fileName);
      }
      const ledger = await itemLedger(services, request.actor, request.params.id);
      if (request.query.format === 'json') return ledger;
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="ledger-${ledger.itemId}.csv"`)
        .send('\uFEFF' + ledgerCsv(ledger));
    },
  );

  app.get(
    '/api/items/:id/deadline-timeline',
    {
      config: { permission: 'item.read' },
      schema: {
        summary: '期限时间轴：为什么是红灯、自何时起、依据哪条规则',
        tags: ['items'],
        params: IdParams,
        response: { 200: DeadlineTimeline },
      },
    },
    async (request) => itemDeadlineTimeline(services, request.actor, request.params.id),
  );

  app.get(
    '/api/items/:id',
    {
      config: { permission: 'item.read' },
      schema: { summary: '事项详情与全过程记录', tags: ['items'], params: IdParams, response: { 200: ItemDetail } },
    },
    async (request) => itemDetail(services, request.actor, request.params.id),
  );
};
