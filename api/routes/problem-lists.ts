import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Actor } from '../../domain/actors';
import { sendXlsx, XLSX_CONTENT_TYPE, xlsxFileName } from '../../lib/xlsx';
import { z } from 'zod';
import { badRequest } from '../errors';
import { once, requestHash, sendOutcome } from '../idempotency';
import { jsonItemRows } from '../item-rows';
import { fieldPath } from '../imports';
import {
  CheckedTable,
  checkProblemList,
  createProblemList,
  problemListRows,
  problemListTemplate,
  ProblemListBody,
  withListSources,
} from '../problem-lists-service';
import { TermCode } from '../../domain/classes';
import { listProblemLists, problemListDetail } from '../read/problem-lists';
import type { Services } from '../services';
import { ErrorBody } from '../contract';
import { CheckResult, ProblemListsResponse, ProblemListView, TemplateFile } from './problem-lists.schemas';

/** An import answers 201 with the new list; with an Idempotency-Key, 409 while the same request is still running and 422 when the key was used for another. */
const IMPORTED = {
  201: ProblemListView.describe('已导入的问题清单'),
  409: ErrorBody.describe('相同的请求（同一 Idempotency-Key）正在处理中'),
  422: ErrorBody.describe('该 Idempotency-Key 已用于另一个请求'),
};

const CsvQuery = z.strictObject({
  title: z.string().trim().min(1).max(200),
  source: z.string().trim().max(200).default(''),
  /** 来源类别 of the list (its items take it unless a row names another). */
  sourceCode: TermCode.optional(),
  /** `true`: the rows are items that began in an older system (补录), each with its 立项日期; past due dates allowed. */
  backdated: z.enum(['true', 'false']).optional(),
});

export const problemListRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  app.post(
    '/api/problem-lists',
    {
      config: { permission: 'problemList.create', sendsMail: true },
      schema: {
        summary: '导入问题清单（JSON），逐行校验，全部通过才导入',
        tags: ['problem-lists'],
        body: ProblemListBody,
        response: IMPORTED,
      },
    },
    async (request, reply) => {
      const { title, source, sourceCode, items } = request.body;
      const outcome = await once(
        services.db,
        request.actor.userId,
        request.headers['idempotency-key'] as string | undefined,
        requestHash('POST', request.url, request.body),
        async () => ({
          statusCode: 201,
          body: await createProblemList(services, request.actor, title, source, jsonItemRows(items), sourceCode),
        }),
      );
      return sendOutcome(reply, outcome);
    },
  );

  /** A file's rows opened as a list: the CSV's and the .xlsx's import are one. */
  async function importFile(
    request: { actor: Actor; url: string; headers: Record<string, unknown>; query: z.infer<typeof CsvQuery> },
    body: string | Buffer,
  ) {
    const { rows, errors } = await problemListRows(body);
    if (errors.length > 0) throw badRequest(errors, '文件的列名或行数有误，未导入任何问题');
    const { title, source, sourceCode, backdated } = request.query;
    if (backdated === 'true') for (const row of rows) (row.raw as Record<string, unknown>).backdated = true;
    return once(
      services.db,
      request.actor.userId,
      request.headers['idempotency-key'] as string | undefined,
      requestHash('POST', request.url, Buffer.isBuffer(body) ? createHash('sha256').update(body).digest('hex') : body),
      async () => ({
        statusCode: 201,
        // Row numbers as a spreadsheet shows them: the header is row 1.
        body: await createProblemList(services, request.actor, title, source, rows, sourceCode),
      }),
    );
  }

  app.post(
    '/api/problem-lists/csv',
    {
      config: { permission: 'problemList.create', sendsMail: true },
      schema: {
        summary: '导入问题清单（CSV，首行为列名），逐行校验，全部通过才导入',
        tags: ['problem-lists'],
        querystring: CsvQuery,
        response: IMPORTED,
      },
    },
    async (request, reply) => {
      if (typeof request.body !== 'string')
        throw badRequest([{ field: 'body', reason: '请以 text/csv 上传 CSV 文本' }]);
      return sendOutcome(reply, await importFile(request, request.body));
    },
  );

  app.post(
    '/api/problem-lists/xlsx',
    {
      config: { permission: 'problemList.create', sendsMail: true },
      schema: {
        summary: '导入问题清单（Excel .xlsx，第一张工作表；列名同 CSV，可用模板），逐行校验，全部通过才导入',
        tags: ['problem-lists'],
        querystring: CsvQuery,
        consumes: [XLSX_CONTENT_TYPE, 'application/octet-stream'],
        response: IMPORTED,
      },
    },
    async (request, reply) => {
      if (!Buffer.isBuffer(request.body))
        throw badRequest([{ field: 'body', reason: `请以 ${XLSX_CONTENT_TYPE} 上传 .xlsx 文件` }]);
      return sendOutcome(reply, await importFile(request, request.body));
    },
  );

  app.post(
    '/api/problem-lists/check',
    {
      config: { permission: 'problemList.create' },
      schema: {
        summary:
          '批量交办的预检（不立项）：上传 CSV、.xlsx，或改正后的表格（JSON：columns 与 rows），返回逐行逐格的错误',
        tags: ['problem-lists'],
        consumes: ['text/csv', XLSX_CONTENT_TYPE, 'application/octet-stream', 'application/json'],
        response: { 200: CheckResult },
      },
    },
    async (request) => {
      const body = request.body;
      if (typeof body === 'string' || Buffer.isBuffer(body)) return checkProblemList(services, request.actor, body);
      const table = CheckedTable.safeParse(body);
      if (!table.success)
        throw badRequest(table.error.issues.map((i) => ({ field: fieldPath(['body', ...i.path]), reason: i.message })));
      return checkProblemList(services, request.actor, table.data);
    },
  );

  app.post(
    '/api/problem-lists/rows',
    {
      config: { permission: 'problemList.create', sendsMail: true },
      schema: {
        summary: '批量交办：导入预检过、在页面上改正过的表格（同预检的 columns 与 rows），逐行校验，全部通过才导入',
        tags: ['problem-lists'],
        body: CheckedTable.extend({
          title: z.string().trim().min(1).max(200),
          source: z.string().trim().max(200).default(''),
          sourceCode: TermCode.optional(),
        }),
        response: IMPORTED,
      },
    },
    async (request, reply) => {
      const { title, source, sourceCode, columns, rows: table } = request.body;
      const outcome = await once(
        services.db,
        request.actor.userId,
        request.headers['idempotency-key'] as string | undefined,
        requestHash('POST', request.url, request.body),
        async () => {
          const { rows, errors } = await problemListRows({ columns, rows: table });
          if (errors.length > 0) throw badRequest(errors, '表格的列名或行数有误，未导入任何问题');
          return {
            statusCode: 201,
            body: await createProblemList(services, request.actor, title, source, rows, sourceCode),
          };
        },
      );
      return sendOutcome(reply, outcome);
    },
  );

  app.get(
    '/api/problem-lists/template',
    {
      config: { permission: 'problemList.create' },
      schema: {
        summary: '批量交办模板（.xlsx）：列名、示例行与填写说明',
        tags: ['problem-lists'],
        response: { 200: { description: 'Excel 文件', content: { [XLSX_CONTENT_TYPE]: { schema: TemplateFile } } } },
      },
    },
    async (_request, reply) => {
      const now = new Date();
      return sendXlsx(reply, await problemListTemplate(services, now), xlsxFileName('问题清单导入模板', now));
    },
  );

  app.get(
    '/api/problem-lists',
    {
      config: { permission: 'problemList.read' },
      schema: { summary: '问题清单及其进度', tags: ['problem-lists'], response: { 200: ProblemListsResponse } },
    },
    async (request) => ({ lists: await withListSources(services, await listProblemLists(services, request.actor)) }),
  );

  app.get(
    '/api/problem-lists/:id',
    {
      config: { permission: 'problemList.read' },
      schema: {
        summary: '问题清单进度',
        tags: ['problem-lists'],
        params: z.object({ id: z.string().max(64) }),
        response: { 200: ProblemListView },
      },
    },
    async (request) =>
      (await withListSources(services, [await problemListDetail(services, request.actor, request.params.id)]))[0]!,
  );
};
