import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contentDisposition } from '../../lib/content-disposition';
import { safeFileName, type EvidenceStore } from '../../lib/evidence-store';
import { AppError } from '../errors';
import { checkItemUpload, receiveFiles } from '../evidence-service';
import { evidenceFile, itemEvidence } from '../read/evidence';
import type { Services } from '../services';
import { ErrorBody } from '../contract';
import { EvidenceList, FileContent, Uploaded } from './evidence.schemas';

export interface EvidenceOptions {
  services: Services;
  store: EvidenceStore;
  maxBytes: number;
  maxFiles: number;
}

const IdParams = z.object({ id: z.string().min(1).max(64) });
const FileParams = z.object({
  id: z.string().min(1).max(64),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, '应为 64 位十六进制 SHA-256'),
});

const FileQuery = z.object({
  disposition: z
    .enum(['attachment', 'inline'])
    .optional()
    .describe('inline：图片（JPEG、PNG、GIF、WebP）和 PDF 在浏览器中直接显示；其他类型一律作为附件下载'),
});

/** What a browser may show in place: pictures and PDFs, never a type it could run or render as a page. */
const INLINE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'application/pdf']);

/**
 * A file's bytes are the uploader's: opened on its own in the console's origin they must not run
 * or load anything (no script, no styles, no plugins, a unique origin), nor be framed by a page.
 */
const FILE_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'";

export const evidenceRoutes: FastifyPluginAsyncZod<EvidenceOptions> = async (
  app,
  { services, store, maxBytes, maxFiles },
) => {
  app.post(
    '/api/items/:id/evidence',
    {
      config: { permission: 'evidence.upload' },
      schema: {
        summary: '上传佐证材料（multipart/form-data，可多个文件）；返回的 sha256 在提交整改、申请销号时引用',
        tags: ['evidence'],
        params: IdParams,
        consumes: ['multipart/form-data'],
        response: { 201: Uploaded, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      const actor = request.actor;
      if (!request.isMultipart())
        throw new AppError(415, 'unsupported_media_type', '请以 multipart/form-data 上传文件');
      const subject = await checkItemUpload(services, actor, request.params.id);
      const files = await receiveFiles(request, services, store, maxBytes, maxFiles, subject);
      return reply.status(201).send({ files });
    },
  );

  app.get(
    '/api/items/:id/evidence',
    {
      config: { permission: 'evidence.read' },
      schema: {
        summary: '事项的佐证材料；核查人员可见同一文件是否在其他事项或由其他单位提交过',
        tags: ['evidence'],
        params: IdParams,
        response: { 200: EvidenceList },
      },
    },
    async (request) => itemEvidence(services, request.actor, request.params.id),
  );

  app.get(
    '/api/items/:id/evidence/:sha256',
    {
      config: { permission: 'evidence.read', audit: true },
      schema: {
        summary: '下载佐证材料（记入审计日志）；?disposition=inline 时图片和 PDF 可在浏览器中预览',
        tags: ['evidence'],
        params: FileParams,
        querystring: FileQuery,
        response: {
          200: { description: '文件内容', content: { 'application/octet-stream': { schema: FileContent } } },
        },
      },
    },
    async (request, reply) => {
      const row = await evidenceFile(services, store, request.actor, request.params.id, request.params.sha256);
      const inline = request.query.disposition === 'inline' && INLINE_TYPES.has(row.mime);
      return (
        reply
          .header('content-type', row.mime)
          .header('content-length', row.size)
          // Rows from before names were fixed at upload get the same treatment on the way out.
          .header('content-disposition', contentDisposition(safeFileName(row.name, row.mime), inline))
          .header('x-content-type-options', 'nosniff')
          .header('content-security-policy', FILE_CSP)
          .header('cache-control', 'private, no-store')
          // The file's bytes, streamed; the schema documents them as the body.
          .send(store.open(row.sha256) as unknown as string)
      );
    },
  );
};
