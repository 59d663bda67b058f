import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isUnitRole } from '../../domain/actors';
import { isTerminal } from '../../domain/item';
import { can } from '../../domain/permissions';
import { itemSubject, subjectColumns, type Subject } from '../../domain/subject';
import { EvidenceRejected, safeFileName, type EvidenceStore, type StagedFile } from '../../lib/evidence-store';
import { AppError, badRequest, forbidden, notFound } from '../errors';
import { loadItem, type Services } from '../items-service';
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

/** RFC 6266/5987: the original (Chinese) name survives, and nothing in it can break the header. */
function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export interface StoredUpload {
  sha256: string;
  name: string;
  size: number;
  mime: string;
  ref: string;
}

/**
 * Receives every file part of a multipart request and records them against `subject` (an item,
 * or a monitoring cycle) for the uploading unit. One rule for every upload, and all or nothing:
 * the files are staged first, and only once the whole request is accepted do they become visible
 * in the store and get their rows (one createMany). A refusal anywhere (the 11th file, one too
 * large, a wrong type in the middle) leaves no row and no file of the request behind.
 */
/** A multipart body the parser could not read (no boundary, cut short) is the client's error, not ours. */
function malformedMultipart(err: unknown): AppError | null {
  const message = err instanceof Error ? err.message : '';
  if (
    err instanceof AppError ||
    !/boundary|unexpected end of (form|multipart)|malformed part header|multipart/i.test(message)
  )
    return null;
  return badRequest(
    [{ field: 'files', reason: 'multipart/form-data 请求体不完整或缺少 boundary' }],
    '上传的表单格式有误',
  );
}

export async function receiveFiles(
  request: FastifyRequest,
  services: Services,
  store: EvidenceStore,
  maxBytes: number,
  maxFiles: number,
  subject: Subject,
): Promise<StoredUpload[]> {
  const actor = request.actor;
  const staged: Array<StagedFile & { name: string }> = [];
  try {
    for await (const part of request.parts({
      limits: { fileSize: maxBytes, files: maxFiles, fields: 10, fieldSize: 1000 },
    })) {
      if (part.type !== 'file') continue;
      try {
        const file = await store.stage(part.file, maxBytes);
        staged.push({ ...file, name: safeFileName(part.filename, file.mime) });
      } catch (err) {
        if (err instanceof EvidenceRejected) {
          const status = err.reason === 'too_large' ? 413 : err.reason === 'type_not_allowed' ? 415 : 400;
          throw new AppError(status, err.reason, `${safeFileName(part.filename)}：${err.message}`, {
            fields: [{ field: `files.${staged.length}`, reason: err.message }],
          });
        }
        throw err;
      }
    }
    if (staged.length === 0) throw badRequest([{ field: 'files', reason: '没有收到文件' }]);
    await store.commit(staged);
  } catch (err) {
    await store.discard(staged);
    throw malformedMultipart(err) ?? err;
  }
  // Should this fail, the committed files stay: unreferenced, and another request may already rely on the same content.
  await services.db.evidence.createMany({
    data: staged.map((f) => ({
      sha256: f.sha256,
      ...subjectColumns(subject),
      unitId: actor.unitId,
      uploadedBy: actor.userId,
      name: f.name,
      mime: f.mime,
      size: f.size,
    })),
    skipDuplicates: true,
  });
  return staged.map((f) => ({
    sha256: f.sha256,
    name: f.name,
    size: f.size,
    mime: f.mime,
    ref: `evidence:${f.sha256}`,
  }));
}

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
      const item = await loadItem(services, actor, request.params.id);
      const party =
        isUnitRole(actor) && (item.leadUnitId === actor.unitId || item.coParts.some((p) => p.unitId === actor.unitId));
      if (!party) throw forbidden('只有牵头单位和配合单位可以上传佐证材料');
      if (isTerminal(item.status))
        throw new AppError(409, 'conflict', '事项已办结，不能再上传材料', {
          reason: 'not_allowed_in_state',
          state: item.status,
        });

      const files = await receiveFiles(request, services, store, maxBytes, maxFiles, itemSubject(item.id));
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
    async (request) => {
      const item = await loadItem(services, request.actor, request.params.id);
      const ofItem = subjectColumns(itemSubject(item.id));
      const rows = await services.db.evidence.findMany({ where: ofItem, orderBy: { id: 'asc' } });
      // Reuse is shown to those who verify; telling a unit would leak other items' existence.
      const showReuse = can(request.actor.role, 'verifyPass');
      const others =
        showReuse && rows.length
          ? await services.db.evidence.findMany({
              where: { sha256: { in: rows.map((r) => r.sha256) }, NOT: ofItem },
              orderBy: { id: 'asc' },
            })
          : [];
      return {
        files: rows.map((r) => {
          const elsewhere = others.filter((o) => o.sha256 === r.sha256);
          const sameItemOtherUnits = showReuse
            ? rows.filter((o) => o.sha256 === r.sha256 && o.unitId !== r.unitId)
            : [];
          return {
            sha256: r.sha256,
            name: r.name,
            mime: r.mime,
            size: r.size,
            unitId: r.unitId,
            uploadedBy: r.uploadedBy,
            uploadedAt: r.createdAt.toISOString(),
            ...(showReuse
              ? {
                  reused: elsewhere.length + sameItemOtherUnits.length > 0,
                  reusedIn: [...elsewhere, ...sameItemOtherUnits].map((o) => ({
                    // As it always was: the id of the item (or the monitoring cycle) it was uploaded to.
                    itemId: o.subjectId,
                    unitId: o.unitId,
                    uploadedAt: o.createdAt.toISOString(),
                  })),
                }
              : {}),
          };
        }),
      };
    },
  );

  app.get(
    '/api/items/:id/evidence/:sha256',
    {
      config: { permission: 'evidence.read', audit: true },
      schema: {
        summary: '下载佐证材料（记入审计日志）',
        tags: ['evidence'],
        params: FileParams,
        response: {
          200: { description: '文件内容', content: { 'application/octet-stream': { schema: FileContent } } },
        },
      },
    },
    async (request, reply) => {
      const item = await loadItem(services, request.actor, request.params.id);
      const row = await services.db.evidence.findFirst({
        where: { ...subjectColumns(itemSubject(item.id)), sha256: request.params.sha256 },
      });
      if (!row || !(await store.exists(row.sha256))) throw notFound('文件不存在');
      return (
        reply
          .header('content-type', row.mime)
          .header('content-length', row.size)
          // Rows from before names were fixed at upload get the same treatment on the way out.
          .header('content-disposition', contentDisposition(safeFileName(row.name, row.mime)))
          .header('x-content-type-options', 'nosniff')
          // The file's bytes, streamed; the schema documents them as the body.
          .send(store.open(row.sha256) as unknown as string)
      );
    },
  );
};
