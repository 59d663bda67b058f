import path from 'node:path';
import { ROOT } from '../../lib/root';

/** The text of every page of a PDF, read with pdfjs (with the CJK character maps), pages joined by a newline. */
export async function pdfText(data: Buffer): Promise<string> {
  // pdfjs 6 expects Promise.withResolvers (Node 22); given here for an older Node.
  const P = Promise as unknown as { withResolvers?: () => unknown };
  P.withResolvers ??= () => {
    let resolve: unknown, reject: unknown;
    const promise = new Promise((res, rej) => ((resolve = res), (reject = rej)));
    return { promise, resolve, reject };
  };
  const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const pdfjs = path.join(ROOT, 'node_modules', 'pdfjs-dist');
  const doc = await getDocument({
    data: new Uint8Array(data),
    cMapUrl: `${pdfjs}/cmaps/`,
    cMapPacked: true,
    standardFontDataUrl: `${pdfjs}/standard_fonts/`,
  }).promise;
  const pages: string[] = [];
  for (let n = 1; n <= doc.numPages; n++) {
    const content = await (await doc.getPage(n)).getTextContent();
    pages.push(content.items.map((i) => ('str' in i ? i.str : '')).join(''));
  }
  await doc.cleanup();
  return pages.join('\n');
}
