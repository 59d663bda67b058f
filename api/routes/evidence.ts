import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { EvidenceStore } from '../../lib/evidence-store';
import { AppError } from '../errors';
import { checkItemUpload, receiveFiles } from '../evidence-service';
import { evidenceFile, itemEvidence } from '../read/evidence';
import type { Services } from '../services';
import { ErrorBody } from '../contract';
import { FileQuery, sendEvidenceFile, Sha256 } from './evidence-file';
import { EvidenceList, FileContent, Uploaded } from './evidence.schemas';

export interface EvidenceOptions {
  services: Services;
  store: EvidenceStore;
  maxBytes: number;
  maxFiles: number;
}

const IdParams = z.object({ id: z.string().min(1).max(64) });
const FileParams = z.object({ id: z.string().min(1).max(64), sha256: Sha256 });

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
      return sendEvidenceFile(reply, store, row, request.query.disposition);
    },
  );
};
