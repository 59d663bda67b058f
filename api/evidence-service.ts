/** Uploading evidence: who may upload to an item, and receiving the files of one request, all or nothing. */
import type { FastifyRequest } from 'fastify';
import { isUnitRole, type Actor } from '../domain/actors';
import { isEntitled, isTerminal } from '../domain/item';
import { itemSubject, subjectColumns, type Subject } from '../domain/subject';
import { EvidenceRejected, safeFileName, type EvidenceStore, type StagedFile } from '../lib/evidence-store';
import { AppError, badRequest, forbidden } from './errors';
import { loadItem } from './read/items';
import type { Services } from './services';

/**
 * Evidence for an item is uploaded by its lead unit or a co-unit, and the minutes of a 约谈 by
 * whoever may record one, until it is finished; answers the item as the subject.
 */
export async function checkItemUpload(s: Services, actor: Actor, itemId: string): Promise<Subject> {
  const item = await loadItem(s, actor, itemId);
  const party =
    (isUnitRole(actor) && (item.leadUnitId === actor.unitId || item.coParts.some((p) => p.unitId === actor.unitId))) ||
    isEntitled(item, 'recordInterview', actor);
  if (!party) throw forbidden('只有牵头单位、配合单位可以上传佐证材料（督查室与领导可上传约谈纪要）');
  if (isTerminal(item.status))
    throw new AppError(409, 'conflict', '事项已办结，不能再上传材料', {
      reason: 'not_allowed_in_state',
      state: item.status,
    });
  return itemSubject(item.id);
}

export interface StoredUpload {
  sha256: string;
  name: string;
  size: number;
  mime: string;
  ref: string;
}

/**
 * Photos in HEIC/HEIF (an iPhone's default, many Android phones'): no browser but Safari shows
 * them, so a verifier could not look at one. Refused in words the person holding the phone can act
 * on; the console refuses them before uploading with the same words (console/src/files.tsx).
 */
const HEIC_TYPES = new Set(['image/heic', 'image/heif', 'image/heic-sequence', 'image/heif-sequence']);
const HEIC_IN_MESSAGE = /（image\/hei[cf](-sequence)?）/;
export const HEIC_REFUSAL = '暂不支持 HEIC 格式的照片，请在手机设置中将相机格式改为“兼容性最佳”或先转换为 JPG 后上传';

function heicRefused(filename: string | undefined, index: number): AppError {
  return new AppError(400, 'heic_not_supported', `${safeFileName(filename)}：${HEIC_REFUSAL}`, {
    fields: [{ field: `files.${index}`, reason: HEIC_REFUSAL }],
  });
}

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

/**
 * Receives every file part of a multipart request and records them against `subject` (an item,
 * or a monitoring cycle) for the uploading unit. One rule for every upload, and all or nothing:
 * the files are staged first, and only once the whole request is accepted do they become visible
 * in the store and get their rows (one createMany). A refusal anywhere (the 11th file, one too
 * large, a wrong type in the middle) leaves no row and no file of the request behind.
 */
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
        if (HEIC_TYPES.has(file.mime)) {
          await store.discard([file]);
          throw heicRefused(part.filename, staged.length);
        }
        staged.push({ ...file, name: safeFileName(part.filename, file.mime) });
      } catch (err) {
        // The store refuses HEIF (brand mif1) as an unknown type: it is a phone's photo all the same.
        if (err instanceof EvidenceRejected && err.reason === 'type_not_allowed' && HEIC_IN_MESSAGE.test(err.message))
          throw heicRefused(part.filename, staged.length);
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
