/**
 * Sending one evidence file, the same way for every subject (an item's, a 举一反三 answer's): its
 * detected type, a safe Content-Disposition, and headers that keep the uploader's bytes inert.
 */
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { contentDisposition } from '../../lib/content-disposition';
import { safeFileName, type EvidenceStore } from '../../lib/evidence-store';

export const FileQuery = z.object({
  disposition: z
    .enum(['attachment', 'inline'])
    .optional()
    .describe('inline：图片（JPEG、PNG、GIF、WebP）和 PDF 在浏览器中直接显示；其他类型一律作为附件下载'),
});

export const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, '应为 64 位十六进制 SHA-256');

/** What a browser may show in place: pictures and PDFs, never a type it could run or render as a page. */
const INLINE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'application/pdf']);

/**
 * A file's bytes are the uploader's: opened on its own in the console's origin they must not run
 * or load anything (no script, no styles, no plugins, a unique origin), nor be framed by a page.
 */
const FILE_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'";

export function sendEvidenceFile(
  reply: FastifyReply,
  store: EvidenceStore,
  row: { sha256: string; name: string; mime: string; size: number },
  disposition: 'attachment' | 'inline' | undefined,
) {
  const inline = disposition === 'inline' && INLINE_TYPES.has(row.mime);
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
}
