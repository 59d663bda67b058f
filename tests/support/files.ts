import type { App } from '../../api/app';
import type { Actor } from '../../domain/actors';
import { bearer } from './api';

/** A file whose first bytes say JPEG; `tag` makes its content (and hash) unique. */
export function jpeg(tag: string): Buffer {
  return Buffer.concat([
    Buffer.from([
      0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00,
      0x00,
    ]),
    Buffer.from(tag),
    Buffer.from([0xff, 0xd9]),
  ]);
}

export function pdf(tag: string): Buffer {
  return Buffer.from(`%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% ${tag}\ntrailer<</Root 1 0 R>>\n%%EOF\n`);
}

export interface Part {
  name: string;
  content: Buffer;
  type?: string;
}

/** A multipart/form-data body as a browser sends it. */
export function multipart(
  files: Part[],
  boundary = `----duban${Math.random().toString(16).slice(2)}`,
): { payload: Buffer; headers: Record<string, string> } {
  const chunks: Buffer[] = [];
  for (const f of files) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${f.name}"\r\nContent-Type: ${f.type ?? 'application/octet-stream'}\r\n\r\n`,
      ),
    );
    chunks.push(f.content, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

export async function upload(app: App, itemId: string, actor: Actor, files: Part[]) {
  const { payload, headers } = multipart(files);
  return app.inject({
    method: 'POST',
    url: `/api/items/${itemId}/evidence`,
    headers: { ...bearer(actor), ...headers },
    payload,
  });
}

/** Uploads and returns the attachments to send with an action. */
export async function attach(
  app: App,
  itemId: string,
  actor: Actor,
  files: Part[],
): Promise<Array<{ sha256: string }>> {
  const res = await upload(app, itemId, actor, files);
  if (res.statusCode !== 201) throw new Error(`upload: ${res.statusCode} ${res.body}`);
  return (res.json() as { files: Array<{ sha256: string }> }).files.map((f) => ({ sha256: f.sha256 }));
}
