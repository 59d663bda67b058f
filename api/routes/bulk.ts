import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { previewBulk, runBulk } from '../bulk-service';
import { ErrorBody, IdempotencyHeaders } from '../contract';
import { AppError } from '../errors';
import { once, requestHash, sendOutcome } from '../idempotency';
import type { Services } from '../services';
import { BulkPreview, BulkPreviewBody, BulkResult, BulkRunBody } from './bulk.schemas';

/**
 * Bulk actions. Any reader of items reaches the routes; whether the caller's role may take the
 * action is the service's check (403), and items he may not see are reported as unknown ids.
 */
export const bulkRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  // text/plain and text/csv are parsed app-wide for the CSV imports: here such a body is the
  // wrong media type (415), not a malformed JSON one (400).
  app.addHook('preValidation', async (request) => {
    if (typeof request.body === 'string' || Buffer.isBuffer(request.body))
      throw new AppError(415, 'unsupported_media_type', '请以 application/json 提交');
  });

  app.post(
    '/api/items/bulk/preview',
    {
      config: { permission: 'item.read' },
      schema: {
        summary: '批量操作预览：逐项列出将执行或将跳过（及原因），不做任何改动',
        tags: ['actions'],
        body: BulkPreviewBody,
        response: { 200: BulkPreview },
      },
    },
    async (request) => previewBulk(services, request.actor, request.body),
  );

  app.post(
    '/api/items/bulk',
    {
      config: { permission: 'item.read', sendsMail: true },
      schema: {
        summary: '批量操作：对预览中将执行的事项逐项执行，返回每项结果',
        tags: ['actions'],
        body: BulkRunBody,
        headers: IdempotencyHeaders,
        response: {
          200: BulkResult,
          409: ErrorBody.describe('相同的请求（同一 Idempotency-Key）正在处理中'),
          422: ErrorBody.describe('该 Idempotency-Key 已用于另一个请求'),
        },
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      const outcome = await once(
        services.db,
        request.actor.userId,
        key,
        requestHash('POST', request.url, request.body),
        async () => ({ statusCode: 200, body: await runBulk(services, request.actor, request.body, key) }),
      );
      return sendOutcome(reply, outcome);
    },
  );
};
