import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { badRequest } from '../errors';
import { once, requestHash, sendOutcome } from '../idempotency';
import { csvItemRows, jsonItemRows } from '../item-rows';
import { createProblemList, ProblemListBody, MAX_LIST_ROWS } from '../problem-lists-service';
import { listProblemLists, problemListDetail } from '../read/problem-lists';
import type { Services } from '../services';
import { ErrorBody } from '../contract';
import { ProblemListsResponse, ProblemListView } from './problem-lists.schemas';

/** An import answers 201 with the new list; with an Idempotency-Key, 409 while the same request is still running and 422 when the key was used for another. */
const IMPORTED = {
  201: ProblemListView.describe('已导入的问题清单'),
  409: ErrorBody.describe('相同的请求（同一 Idempotency-Key）正在处理中'),
  422: ErrorBody.describe('该 Idempotency-Key 已用于另一个请求'),
};

const CsvQuery = z.strictObject({
  title: z.string().trim().min(1).max(200),
  source: z.string().trim().max(200).default(''),
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
      const { title, source, items } = request.body;
      const outcome = await once(
        services.db,
        request.actor.userId,
        request.headers['idempotency-key'] as string | undefined,
        requestHash('POST', request.url, request.body),
        async () => ({
          statusCode: 201,
          body: await createProblemList(services, request.actor, title, source, jsonItemRows(items)),
        }),
      );
      return sendOutcome(reply, outcome);
    },
  );

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
      const { rows, errors } = csvItemRows(request.body);
      if (errors.length > 0) throw badRequest(errors, 'CSV 的列名有误，未导入任何问题');
      if (rows.length === 0) throw badRequest([{ field: 'csv', reason: '清单至少包含一个问题' }]);
      // The JSON import's cap, before a single unit is looked up or a workflow started.
      if (rows.length > MAX_LIST_ROWS)
        throw badRequest([
          { field: 'csv', reason: `清单最多 ${MAX_LIST_ROWS} 个问题，本次 ${rows.length} 个，请拆分导入` },
        ]);
      const { title, source, backdated } = request.query;
      if (backdated === 'true') for (const row of rows) (row.raw as Record<string, unknown>).backdated = true;
      const outcome = await once(
        services.db,
        request.actor.userId,
        request.headers['idempotency-key'] as string | undefined,
        requestHash('POST', request.url, request.body),
        async () => ({
          statusCode: 201,
          // Row numbers as a spreadsheet shows them: the header is row 1.
          body: await createProblemList(services, request.actor, title, source, rows),
        }),
      );
      return sendOutcome(reply, outcome);
    },
  );

  app.get(
    '/api/problem-lists',
    {
      config: { permission: 'problemList.read' },
      schema: { summary: '问题清单及其进度', tags: ['problem-lists'], response: { 200: ProblemListsResponse } },
    },
    async (request) => ({ lists: await listProblemLists(services, request.actor) }),
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
    async (request) => problemListDetail(services, request.actor, request.params.id),
  );
};
