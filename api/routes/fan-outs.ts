import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { EvidenceStore } from '../../lib/evidence-store';
import { ErrorBody, IdempotencyHeaders } from '../contract';
import { AppError } from '../errors';
import { receiveFiles } from '../evidence-service';
import {
  AnswerBody,
  answerFanOut,
  checkFanOutUpload,
  createFanOut,
  FanOutBody,
  SpotCheckBody,
  spotCheckFanOut,
} from '../fan-out-service';
import { once, requestHash, sendOutcome } from '../idempotency';
import { fanOutDetail, fanOutEvidenceFile, itemFanOuts, myFanOuts } from '../read/fan-outs';
import type { Services } from '../services';
import { FileContent } from './evidence.schemas';
import { FileQuery, sendEvidenceFile, Sha256 } from './evidence-file';
import {
  FanOutDetail,
  FanOutDetailQuery,
  FanOutList,
  FanOutCreated,
  FanOutUnitView,
  FanOutUploads,
  MyFanOuts,
} from './fan-outs.schemas';

const Id = z.object({ id: z.string().min(1).max(64) });
const FileParams = z.object({ id: z.string().min(1).max(64), sha256: Sha256 });
const UnitParams = z.object({ id: z.string().min(1).max(64), unitId: z.string().min(1).max(64) });

/** 举一反三: fan a 共性 problem out to peer units, their answers, the spot-checks. */
export const fanOutRoutes: FastifyPluginAsyncZod<{
  services: Services;
  evidence: { store: EvidenceStore; maxBytes: number; maxFiles: number };
}> = async (app, { services, evidence }) => {
  app.post(
    '/api/items/:id/fan-outs',
    {
      config: { permission: 'fanOut.create' },
      schema: {
        summary:
          '举一反三：将事项标为共性问题，下发到同类单位排查（按单位类型、单位树或逐个指定；源头牵头单位及此前已被要求排查本事项的单位除外）',
        tags: ['fan-outs'],
        params: Id,
        body: FanOutBody,
        headers: IdempotencyHeaders,
        response: { 201: FanOutCreated, 409: ErrorBody, 422: ErrorBody },
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      const outcome = await once(
        services.db,
        request.actor.userId,
        key,
        requestHash('POST', request.url, request.body),
        async () => ({
          statusCode: 201,
          body: await createFanOut(services, request.actor, request.params.id, request.body, key),
        }),
      );
      return sendOutcome(reply, outcome);
    },
  );

  app.get(
    '/api/items/:id/fan-outs',
    {
      config: { permission: 'fanOut.read' },
      schema: {
        summary: '事项的举一反三及覆盖情况（已答复、存在、抽查、推翻）',
        tags: ['fan-outs'],
        params: Id,
        response: { 200: FanOutList },
      },
    },
    async (request) => itemFanOuts(services, request.actor, request.params.id),
  );

  app.get(
    '/api/fan-outs/mine',
    {
      config: { permission: 'fanOut.answer' },
      schema: {
        summary: '本单位被要求排查的举一反三（含本单位的答复）',
        tags: ['fan-outs'],
        response: { 200: MyFanOuts },
      },
    },
    async (request) => myFanOuts(services, request.actor),
  );

  app.get(
    '/api/fan-outs/:id',
    {
      config: { permission: 'fanOut.read' },
      schema: {
        summary: '举一反三详情：覆盖情况与各单位答复（按状态筛选，每页 100 个；单位只看到本单位）',
        tags: ['fan-outs'],
        params: Id,
        querystring: FanOutDetailQuery,
        response: { 200: FanOutDetail },
      },
    },
    async (request) => fanOutDetail(services, request.actor, request.params.id, request.query),
  );

  app.post(
    '/api/fan-outs/:id/evidence',
    {
      config: { permission: 'evidence.upload' },
      schema: {
        summary: '上传举一反三答复的佐证材料（multipart），答复时以 sha256 引用',
        tags: ['fan-outs'],
        params: Id,
        consumes: ['multipart/form-data'],
        response: { 201: FanOutUploads, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart())
        throw new AppError(415, 'unsupported_media_type', '请以 multipart/form-data 上传文件');
      const subject = await checkFanOutUpload(services, request.actor, request.params.id);
      return reply.status(201).send({
        files: await receiveFiles(request, services, evidence.store, evidence.maxBytes, evidence.maxFiles, subject),
      });
    },
  );

  app.get(
    '/api/fan-outs/:id/evidence/:sha256',
    {
      // As an item's files: evidence.read (the auditor reads boards, not files), and audited.
      config: { permission: 'evidence.read', audit: true },
      schema: {
        summary:
          '下载举一反三答复的佐证材料（记入审计日志）：督查室看已答复引用的文件，单位只看本单位上传的；?disposition=inline 时图片和 PDF 可在浏览器中预览',
        tags: ['fan-outs'],
        params: FileParams,
        querystring: FileQuery,
        response: {
          200: { description: '文件内容', content: { 'application/octet-stream': { schema: FileContent } } },
        },
      },
    },
    async (request, reply) => {
      const { id, sha256 } = request.params;
      const row = await fanOutEvidenceFile(services, evidence.store, request.actor, id, sha256);
      return sendEvidenceFile(reply, evidence.store, row, request.query.disposition);
    },
  );

  app.post(
    '/api/fan-outs/:id/answers',
    {
      config: { permission: 'fanOut.answer' },
      schema: {
        summary: '本单位答复举一反三：不存在（写明理由，可附材料）或存在（自动立项督办）；答复后不能更改',
        tags: ['fan-outs'],
        params: Id,
        body: AnswerBody,
        headers: IdempotencyHeaders,
        response: { 200: FanOutUnitView, 409: ErrorBody, 422: ErrorBody },
      },
    },
    async (request, reply) => {
      const outcome = await once(
        services.db,
        request.actor.userId,
        request.headers['idempotency-key'],
        requestHash('POST', request.url, request.body),
        async () => ({
          statusCode: 200,
          body: await answerFanOut(services, request.actor, request.params.id, request.body),
        }),
      );
      return sendOutcome(reply, outcome);
    },
  );

  app.post(
    '/api/fan-outs/:id/units/:unitId/spot-check',
    {
      config: { permission: 'fanOut.spotCheck' },
      schema: {
        summary: '抽查被抽中的“不存在”答复：属实，或推翻（自动立项督办）；结论不能更改',
        tags: ['fan-outs'],
        params: UnitParams,
        body: SpotCheckBody,
        headers: IdempotencyHeaders,
        response: { 200: FanOutUnitView, 409: ErrorBody, 422: ErrorBody },
      },
    },
    async (request, reply) => {
      const outcome = await once(
        services.db,
        request.actor.userId,
        request.headers['idempotency-key'],
        requestHash('POST', request.url, request.body),
        async () => ({
          statusCode: 200,
          body: await spotCheckFanOut(services, request.actor, request.params.id, request.params.unitId, request.body),
        }),
      );
      return sendOutcome(reply, outcome);
    },
  );
};
