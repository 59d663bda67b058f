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

/** A file received but not yet visible in the store: see `stage`, `commit` and `discard`. */
export interface StagedFile extends StoredFile {
  tmp: string;
}

const HEX64 = /^[0-9a-f]{64}$/;

export function isSha256(s: string): boolean {
  return HEX64.test(s);
}

/**
 * File-name extensions of each allowed type, the usual one first. A download is named with one of
 * these, so the name never tells the desktop to open a PNG as a web page.
 */
const EXTENSIONS: Record<string, string[]> = {
  'image/jpeg': ['jpg', 'jpeg', 'jpe', 'jfif'],
  'image/png': ['png'],
  'image/gif': ['gif'],
  'image/webp': ['webp'],
  'image/heic': ['heic', 'heif'],
  'application/pdf': ['pdf'],
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': ['docx'],
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': ['xlsx'],
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': ['pptx'],
  'application/x-cfb': ['doc', 'xls', 'ppt', 'wps', 'et', 'dps'],
  'application/zip': ['zip', 'ofd'],
  'video/mp4': ['mp4', 'm4v'],
  'video/quicktime': ['mov', 'qt'],
  'audio/mpeg': ['mp3'],
};

/**
 * Control characters (C0, DEL, C1), line and paragraph separators, and the bidirectional marks,
 * embeddings, overrides and isolates: with U+202E "evil\u202Egnp.html" shows as "evillmth.png".
 * Plus the characters Windows refuses in a name.
 */
const UNSAFE_NAME_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069"<>|*?:]/g;
const MAX_NAME = 200;

/**
 * A name fit to show and to offer on download: cut at the first NUL (C code downstream would read
 * "evil.png\0.html" as "evil.png", so that is the name), no folders, no control or bidirectional
 * characters, not too long. Given the type detected from the content, the name ends in that
 * type's extension: a PNG sent as "x.html" is "x.png", a name without one gets one.
 */
export function safeFileName(name: string | undefined, mime?: string): string {
  const beforeNul = (name ?? '').split('\0', 1)[0] ?? '';
  const base = beforeNul.split(/[\\/]/).pop() ?? '';
  const clean = base.replace(UNSAFE_NAME_CHARS, '').replace(/^[.\s]+|[.\s]+$/g, '');
  const named = clean || '附件';
  const extensions = mime ? EXTENSIONS[mime] : undefined;
  if (!extensions) return cut(named, MAX_NAME);
  const m = /^(.*)\.([A-Za-z0-9]{1,10})$/.exec(named);
  if (m && extensions.includes(m[2]!.toLowerCase())) return cut(m[1]!, MAX_NAME - m[2]!.length - 1) + '.' + m[2];
  // "report.html" loses ".html"; "纪要 v1.2" keeps its ".2", which is no extension.
  const stem = m && /[A-Za-z]/.test(m[2]!) ? m[1]! : named;
  const ext = extensions[0]!;
  return cut(stem.replace(/[.\s]+$/, '') || '附件', MAX_NAME - ext.length - 1) + '.' + ext;
}

/** At most `max` characters, never splitting a surrogate pair (a lone half cannot be URI-encoded). */
function cut(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length <= max ? s : chars.slice(0, max).join('');
}

export function createEvidenceStore(root: string) {
  const dir = path.resolve(root);
  const pathOf = (sha256: string): string => {
    if (!isSha256(sha256)) throw new Error('not a sha256');
    const p = path.join(dir, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
    if (!p.startsWith(dir + path.sep)) throw new Error('outside the evidence folder');
    return p;
  };
  const tmpDir = path.join(dir, 'tmp');

  /**
   * Streams a file into a private temporary name: hashed and counted as it arrives, refused past
   * `maxBytes`, its type read from its first bytes. It is not under its hash, so not readable
   * through the store, until `commit`; `discard` removes it. A refused file is removed here.
   */
  async function stage(source: Readable & { truncated?: boolean }, maxBytes: number): Promise<StagedFile> {
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
      if (source.truncated)
        throw new EvidenceRejected('too_large', `文件超过 ${Math.floor(maxBytes / 1024 / 1024)} MB 的上限`);
      if (size === 0) throw new EvidenceRejected('empty', '文件为空');
      const type = await fileTypeFromFile(tmp);
      if (!type || !ALLOWED_TYPES[type.mime]) {
        throw new EvidenceRejected(
          'type_not_allowed',
          `不支持的文件类型${type ? `（${type.mime}）` : '（无法从内容识别）'}；可上传：${[...new Set(Object.values(ALLOWED_TYPES))].join('、')}`,
        );
      }
      return { sha256: hash.digest('hex'), size, mime: type.mime, tmp };
    } catch (err) {
      await rm(tmp, { force: true });
      if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') tooLarge = true;
      if (tooLarge && !(err instanceof EvidenceRejected))
        throw new EvidenceRejected('too_large', `文件超过 ${Math.floor(maxBytes / 1024 / 1024)} MB 的上限`);
      // Drain what is left of the upload so the request can finish with a clear answer.
      source.resume();
      throw err;
    }
  }

  /**
   * Moves staged files under their hashes, each by one rename, so a file is either whole under
   * its hash or not there. Content already stored (same hash) is simply replaced by itself.
   */
  async function commit(files: readonly StagedFile[]): Promise<void> {
    for (const f of files) {
      const final = pathOf(f.sha256);
      await mkdir(path.dirname(final), { recursive: true });
      await rename(f.tmp, final);
    }
  }

  /**
   * Removes staged files that were not committed. Only the temporary copies go: a blob stored
   * under the same hash by an earlier request stays, it is that request's.
   */
  async function discard(files: readonly StagedFile[]): Promise<void> {
    await Promise.all(files.map((f) => rm(f.tmp, { force: true })));
  }

  return {
    dir,
    pathOf,

    stage,
    commit,
    discard,

    /** One file staged and made visible at once (the demo data; uploads stage a request's files first). */
    async put(source: Readable & { truncated?: boolean }, maxBytes: number): Promise<StoredFile> {
      const file = await stage(source, maxBytes);
      await commit([file]);
      return { sha256: file.sha256, size: file.size, mime: file.mime };
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
