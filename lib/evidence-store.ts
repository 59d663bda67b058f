import { fileTypeFromFile } from 'file-type';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Evidence files, stored by the SHA-256 of their content under one folder. A file's path is
 * made from its hash alone (checked to be 64 hex digits), never from the name a client sent,
 * so nothing can be written or read outside the folder. The same content is stored once.
 */
export const ALLOWED_TYPES: Record<string, string> = {
  'image/jpeg': '照片（JPEG）',
  'image/png': '图片（PNG）',
  'image/gif': '图片（GIF）',
  'image/webp': '图片（WebP）',
  'image/heic': '照片（HEIC）',
  'application/pdf': 'PDF 文档',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'Word 文档',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'Excel 表格',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'PowerPoint 演示文稿',
  'application/x-cfb': 'Office 97-2003 文档',
  'application/zip': '压缩包（ZIP，含 OFD）',
  'video/mp4': '视频（MP4）',
  'video/quicktime': '视频（MOV）',
  'audio/mpeg': '录音（MP3）',
};

export class EvidenceRejected extends Error {
  constructor(
    readonly reason: 'too_large' | 'type_not_allowed' | 'empty',
    message: string,
  ) {
    super(message);
  }
}

export interface StoredFile {
  sha256: string;
  size: number;
  mime: string;
}

const HEX64 = /^[0-9a-f]{64}$/;

export function isSha256(s: string): boolean {
  return HEX64.test(s);
}

/** A name fit to show and to offer on download: no folders, no control characters, not too long. */
export function safeFileName(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[\u0000-\u001f\u007f"<>|*?:]/g, '').replace(/^\.+/, '').trim().slice(0, 200);
  return clean || '附件';
}

export function createEvidenceStore(root: string) {
  const dir = path.resolve(root);
  const pathOf = (sha256: string): string => {
    if (!isSha256(sha256)) throw new Error('not a sha256');
    const p = path.join(dir, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
    if (!p.startsWith(dir + path.sep)) throw new Error('outside the evidence folder');
    return p;
  };

  return {
    dir,
    pathOf,

    /**
     * Streams a file into the store: hashed and counted as it arrives, refused past `maxBytes`,
     * its type read from its first bytes. Writes to a temporary name and renames, so a file is
     * either whole under its hash or not there.
     */
    async put(source: Readable & { truncated?: boolean }, maxBytes: number): Promise<StoredFile> {
      const tmpDir = path.join(dir, 'tmp');
      await mkdir(tmpDir, { recursive: true });
      const tmp = path.join(tmpDir, randomUUID());
      const hash = createHash('sha256');
      let size = 0;
      let tooLarge = false;
      const meter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          size += chunk.length;
          if (size > maxBytes) {
            tooLarge = true;
            done(new EvidenceRejected('too_large', `文件超过 ${Math.floor(maxBytes / 1024 / 1024)} MB 的上限`));
            return;
          }
          hash.update(chunk);
          done(null, chunk);
        },
      });
      try {
        await pipeline(source, meter, createWriteStream(tmp, { flags: 'wx', mode: 0o600 }));
        if (source.truncated) throw new EvidenceRejected('too_large', `文件超过 ${Math.floor(maxBytes / 1024 / 1024)} MB 的上限`);
        if (size === 0) throw new EvidenceRejected('empty', '文件为空');
        const type = await fileTypeFromFile(tmp);
        if (!type || !ALLOWED_TYPES[type.mime]) {
          throw new EvidenceRejected('type_not_allowed', `不支持的文件类型${type ? `（${type.mime}）` : '（无法从内容识别）'}；可上传：${[...new Set(Object.values(ALLOWED_TYPES))].join('、')}`);
        }
        const sha256 = hash.digest('hex');
        const final = pathOf(sha256);
        await mkdir(path.dirname(final), { recursive: true });
        await rename(tmp, final);
        return { sha256, size, mime: type.mime };
      } catch (err) {
        await rm(tmp, { force: true });
        if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') tooLarge = true;
        if (tooLarge && !(err instanceof EvidenceRejected)) throw new EvidenceRejected('too_large', `文件超过 ${Math.floor(maxBytes / 1024 / 1024)} MB 的上限`);
        // Drain what is left of the upload so the request can finish with a clear answer.
        source.resume();
        throw err;
      }
    },

    async exists(sha256: string): Promise<boolean> {
      return stat(pathOf(sha256)).then(
        () => true,
        () => false,
      );
    },

    open(sha256: string): Readable {
      return createReadStream(pathOf(sha256));
    },
  };
}
export type EvidenceStore = ReturnType<typeof createEvidenceStore>;
