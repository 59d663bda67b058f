/**
 * Evidence files in the console: choosing them (HEIC refused in words, large photos made smaller
 * in the browser), uploading them with the progress in words, and opening them: pictures in an
 * overlay on the page, PDFs in the browser's own viewer in a frame, everything saved under the
 * name the evidence list gives it (the Chinese name, not the header's ASCII fallback).
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get, getToken } from './api';
import { errorText } from './error-text';
import { fileSize } from './format';

/** A file as the evidence list and the timeline know it. */
export interface EvidenceRef {
  sha256: string;
  name: string;
  mime?: string;
  size?: number;
}

/** The words the API uses too (api/evidence-service.ts), so a phone user reads one sentence wherever it is refused. */
export const HEIC_REFUSAL = '暂不支持 HEIC 格式的照片，请在手机设置中将相机格式改为“兼容性最佳”或先转换为 JPG 后上传';

/** Photos above either limit are drawn again, smaller, as JPEG before they are sent. */
export const PHOTO_MAX_BYTES = 2 * 1024 * 1024;
export const PHOTO_MAX_EDGE = 2560;
const PHOTO_QUALITY = 0.85;

/** Every control here is at least this tall: a finger on a phone, not a mouse pointer. */
const TAP = 40;

const fileUrl = (itemId: string, sha256: string, inline: boolean) =>
  `/api/items/${encodeURIComponent(itemId)}/evidence/${sha256}${inline ? '?disposition=inline' : ''}`;

// ———————————————————————————————————— names ————————————————————————————————————

/**
 * The file name of a Content-Disposition header: RFC 5987's `filename*` (UTF-8, percent-encoded)
 * when there is one, else the plain `filename` (which the API fills with an ASCII fallback).
 */
export function dispositionFileName(header: string | null): string | null {
  if (!header) return null;
  const star = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(header);
  if (star) {
    const [, charset = '', encoded = ''] = star;
    try {
      if (/^utf-8$/i.test(charset.trim())) return decodeURIComponent(encoded.trim());
    } catch {
      // A malformed escape: fall back to the plain name.
    }
  }
  const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))/i.exec(header);
  const name = plain?.[1]?.replace(/\\(.)/g, '$1') ?? plain?.[2]?.trim();
  return name || null;
}

// ———————————————————————————————————— types ————————————————————————————————————

const EXTENSION_TYPES: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  jpe: 'image/jpeg',
  jfif: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  pdf: 'application/pdf',
};

/** The type the server detected, or for an older record without one, what the name's extension says. */
function typeOf(file: EvidenceRef): string {
  if (file.mime) return file.mime;
  const ext = /\.([a-z0-9]+)$/i.exec(file.name)?.[1]?.toLowerCase() ?? '';
  return EXTENSION_TYPES[ext] ?? 'application/octet-stream';
}

/** What opens in the page (the API sends these inline; everything else only as a download). */
export function previewKind(file: EvidenceRef): 'image' | 'pdf' | null {
  const type = typeOf(file);
  if (/^image\/(jpeg|png|gif|webp)$/.test(type)) return 'image';
  if (type === 'application/pdf') return 'pdf';
  return null;
}

const HEIC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1']);

/**
 * A HEIC/HEIF photo: by its first bytes (an ISO `ftyp` box with a HEIF brand, as the API detects
 * it), so a renamed one is caught too; by its declared type or name only when they cannot be read.
 */
export async function isHeic(file: File): Promise<boolean> {
  try {
    const head = new Uint8Array(await file.slice(0, 12).arrayBuffer());
    if (head.length >= 12) {
      const text = String.fromCharCode(...head.subarray(4, 12));
      return text.startsWith('ftyp') && HEIC_BRANDS.has(text.slice(4));
    }
  } catch {
    // Unreadable here: judge by what the file says of itself.
  }
  return /^image\/hei[cf](-sequence)?$/i.test(file.type) || /\.(heic|heif)$/i.test(file.name);
}

// ———————————————————————————————————— fetching and saving ————————————————————————————————————

/** A refusal in the words the rest of the console uses (api.ts); a 401 is left to api.ts to sign out. */
function failure(status: number, body: Record<string, unknown> | null): ApiError {
  const message = typeof body?.message === 'string' ? body.message : `服务器返回错误（${status}）`;
  const listed = (Array.isArray(body?.fields) ? body.fields : []) as Array<{ field: string; reason: string }>;
  const fields: Record<string, string> = {};
  for (const f of listed) fields[f.field.replace(/^(body|querystring|params)\./, '')] = f.reason;
  switch (status) {
    case 400:
      return new ApiError(status, errorText(message, listed.map((f) => f.reason).filter(Boolean)), fields);
    case 401:
      // api.ts signs out on a 401 it sees: let it see one.
      void get('/api/me').catch(() => undefined);
      return new ApiError(status, `登录已失效，请重新登录（${message}）`);
    case 403:
      return new ApiError(status, `没有权限：${message}`);
    case 404:
      return new ApiError(status, '文件不存在，或您无权查看');
    case 413:
      return new ApiError(status, `文件或内容过大：${message}`);
    case 415:
      return new ApiError(status, `文件类型不支持：${message}`);
    case 503:
      return new ApiError(status, `服务暂时不可用，请稍后重试：${message}`);
    default:
      return new ApiError(status, message);
  }
}

const OFFLINE = () => new ApiError(0, '无法连接服务器，请检查网络后重试');

/** The file's bytes, with the token; `inline` asks for the preview variant (same bytes, shown in place). */
export async function fetchEvidence(itemId: string, file: EvidenceRef, inline: boolean): Promise<Blob> {
  const token = getToken();
  let res: Response;
  try {
    res = await fetch(fileUrl(itemId, file.sha256, inline), {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
  } catch {
    throw OFFLINE();
  }
  if (!res.ok) throw failure(res.status, (await res.json().catch(() => null)) as Record<string, unknown> | null);
  const blob = await res.blob();
  // The type the server detected, whatever the blob was given: a PDF must be shown as a PDF.
  const type = res.headers.get('content-type') ?? typeOf(file);
  return blob.type === type ? blob : new Blob([blob], { type });
}

/** Hands a blob to the browser as a download under `name`. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Downloads a file of the item under the name the console already shows for it. */
export async function downloadEvidence(itemId: string, file: EvidenceRef): Promise<void> {
  saveBlob(await fetchEvidence(itemId, file, false), file.name);
}

// ———————————————————————————————————— preparing and uploading ————————————————————————————————————

/** "整改前 (2).PNG" → "整改前 (2).jpg": the original name, with the extension of what it now is. */
export function jpegName(name: string): string {
  const stem = name.replace(/\.[A-Za-z0-9]{1,5}$/, '');
  return `${stem || '照片'}.jpg`;
}

/**
 * A JPEG or PNG photo over 2 MB or over 2560 px on its long side, drawn again on a canvas at most
 * 2560 px on that side and saved as JPEG (quality 0.85) under its own name with .jpg. Anything
 * else, or a photo the browser cannot decode, is sent as it is; so is a small photo that would
 * only grow.
 */
export async function shrinkPhoto(file: File): Promise<File> {
  const isPhoto = /^image\/(jpeg|png)$/i.test(file.type) || /\.(jpe?g|jfif|png)$/i.test(file.name);
  if (!isPhoto) return file;
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    return file;
  }
  try {
    const long = Math.max(bitmap.width, bitmap.height);
    if (file.size <= PHOTO_MAX_BYTES && long <= PHOTO_MAX_EDGE) return file;
    const scale = Math.min(1, PHOTO_MAX_EDGE / long);
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    const ctx = canvas.getContext('2d');
    if (!ctx) return file;
    // A PNG's transparent parts would turn black in a JPEG: paper white instead.
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', PHOTO_QUALITY));
    if (!blob || (scale === 1 && blob.size >= file.size)) return file;
    return new File([blob], jpegName(file.name), { type: 'image/jpeg', lastModified: file.lastModified });
  } finally {
    bitmap.close();
  }
}

/** Sends the files as multipart/form-data, reporting bytes sent (fetch cannot report an upload's progress). */
function postWithProgress<T>(path: string, files: File[], progress: (sent: number, total: number) => void): Promise<T> {
  const form = new FormData();
  for (const f of files) form.append('file', f, f.name);
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    const token = getToken();
    if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) progress(e.loaded, e.total);
    };
    xhr.onerror = () => reject(OFFLINE());
    xhr.onabort = () => reject(OFFLINE());
    xhr.onload = () => {
      let body: Record<string, unknown> | null = null;
      try {
        body = JSON.parse(xhr.responseText) as Record<string, unknown>;
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300 && body) resolve(body as T);
      else reject(failure(xhr.status, body));
    };
    xhr.send(form);
  });
}

type Phase =
  | { kind: 'idle' }
  | { kind: 'shrinking'; name: string; n: number; of: number }
  | { kind: 'uploading'; sent: number; total: number; shrunk: string[] }
  | { kind: 'uploaded'; count: number; shrunk: string[] }
  | { kind: 'failed' };

export interface EvidencePicker {
  files: File[];
  /** Why the chosen files cannot be sent (a HEIC photo), in words; null when they can. */
  refusal: string | null;
  phase: Phase;
  choose: (list: FileList | null) => void;
  clear: () => void;
  /** Prepares and uploads the chosen files to the item; answers what an action's `attachments` takes. */
  upload: (itemId: string) => Promise<Array<{ sha256: string }>>;
}

/** The files chosen for an action, and their way to the server. */
export function useEvidencePicker(): EvidencePicker {
  const [files, setFiles] = useState<File[]>([]);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });
  const chosen = useRef(0);

  const choose = (list: FileList | null) => {
    const picked = [...(list ?? [])];
    const round = ++chosen.current;
    setFiles(picked);
    setPhase({ kind: 'idle' });
    setRefusal(null);
    void Promise.all(picked.map(isHeic)).then((heic) => {
      if (round !== chosen.current) return;
      const refused = picked.filter((_, i) => heic[i]);
      setRefusal(refused.length ? refused.map((f) => `${f.name}：${HEIC_REFUSAL}`).join('；') : null);
    });
  };

  const upload = async (itemId: string) => {
    // Checked again here: the check on choosing may still be reading the files.
    const refused = [];
    for (const f of files) if (await isHeic(f)) refused.push(f);
    if (refused.length) {
      const message = refused.map((f) => `${f.name}：${HEIC_REFUSAL}`).join('；');
      setRefusal(message);
      // Shown at the field by EvidencePickerField, and at the top of the form as every refusal is.
      throw new ApiError(400, message);
    }
    try {
      const ready: File[] = [];
      const shrunk: string[] = [];
      for (const [i, f] of files.entries()) {
        setPhase({ kind: 'shrinking', name: f.name, n: i + 1, of: files.length });
        const small = await shrinkPhoto(f);
        if (small !== f) shrunk.push(`${f.name} ${fileSize(f.size)} → ${fileSize(small.size)}`);
        ready.push(small);
      }
      const total = ready.reduce((n, f) => n + f.size, 0);
      setPhase({ kind: 'uploading', sent: 0, total, shrunk });
      const answer = await postWithProgress<{ files: Array<{ sha256: string }> }>(
        `/api/items/${encodeURIComponent(itemId)}/evidence`,
        ready,
        (sent, all) => setPhase({ kind: 'uploading', sent, total: all, shrunk }),
      );
      setPhase({ kind: 'uploaded', count: answer.files.length, shrunk });
      return answer.files.map((f) => ({ sha256: f.sha256 }));
    } catch (err) {
      setPhase({ kind: 'failed' });
      throw err;
    }
  };

  return {
    files,
    refusal,
    phase,
    choose,
    clear: () => (setFiles([]), setRefusal(null), setPhase({ kind: 'idle' })),
    upload,
  };
}

function phaseText(phase: Phase): string | null {
  switch (phase.kind) {
    case 'idle':
      return null;
    case 'shrinking':
      return `正在处理第 ${phase.n}/${phase.of} 个文件：${phase.name}（较大的照片会先在本机压缩）…`;
    case 'uploading': {
      const pct = phase.total ? Math.min(100, Math.floor((phase.sent / phase.total) * 100)) : 0;
      const done = phase.total > 0 && phase.sent >= phase.total;
      return done
        ? '上传完毕，等待服务器确认…'
        : `正在上传：${pct}%（${fileSize(phase.sent)} / ${fileSize(phase.total)}）`;
    }
    case 'uploaded':
      return `已上传 ${phase.count} 个文件`;
    case 'failed':
      return '上传未完成，所选文件仍保留，可重试。';
  }
}

/** The file input of an action's form, what was chosen, and how its upload is going, in words. */
export function EvidencePickerField({ id, picker }: { id: string; picker: EvidencePicker }) {
  const { files, phase, refusal } = picker;
  const status = phaseText(phase);
  const shrunk = phase.kind === 'uploading' || phase.kind === 'uploaded' ? phase.shrunk : [];
  return (
    <>
      <input
        id={id}
        name="file"
        type="file"
        multiple
        style={{ minHeight: `${TAP}px`, maxWidth: '100%' }}
        onChange={(e) => picker.choose((e.target as HTMLInputElement).files)}
      />
      {files.length > 0 && (
        <p class="muted" style={{ margin: 0, overflowWrap: 'anywhere' }} data-chosen-files>
          已选择：{files.map((x) => `${x.name}（${fileSize(x.size)}）`).join('、')}
        </p>
      )}
      {status && (
        <p class="muted" style={{ margin: 0 }} role="status" aria-live="polite" data-upload-status={phase.kind}>
          {status}
        </p>
      )}
      {shrunk.length > 0 && (
        <p class="muted small" style={{ margin: 0, overflowWrap: 'anywhere' }} data-shrunk>
          已压缩照片：{shrunk.join('、')}
        </p>
      )}
      {refusal && (
        <p class="field-error" role="alert" style={{ overflowWrap: 'anywhere' }} data-file-refusal>
          {refusal}
        </p>
      )}
    </>
  );
}

// ———————————————————————————————————— showing ————————————————————————————————————

const tapButton = { minHeight: `${TAP}px`, minWidth: `${TAP}px` };

/** A picture over the page, a PDF in the browser's viewer in a frame; 下载 and 关闭 always at hand. */
function Viewer({
  itemId,
  file,
  onClose,
  onError,
}: {
  itemId: string;
  file: EvidenceRef;
  onClose: () => void;
  onError: (e: ApiError) => void;
}) {
  const kind = previewKind(file);
  const [url, setUrl] = useState<string | null>(null);
  const [blob, setBlob] = useState<Blob | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const close = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    let live = true;
    let made: string | null = null;
    fetchEvidence(itemId, file, true).then(
      (b) => {
        if (!live) return;
        made = URL.createObjectURL(b);
        setBlob(b);
        setUrl(made);
      },
      (e: ApiError) => live && (setFailed(e.message), onError(e)),
    );
    return () => {
      live = false;
      if (made) URL.revokeObjectURL(made);
    };
  }, [itemId, file.sha256]);

  useEffect(() => {
    // Back to what opened it when it closes, for the keyboard and screen readers.
    const opener = document.activeElement as HTMLElement | null;
    close.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    document.addEventListener('keydown', onKey);
    // The page behind does not scroll under the finger while the file is open.
    const overflow = document.body.style.overflow;
    document.body.style.overflow = 'hidden';
    return () => {
      document.removeEventListener('keydown', onKey);
      document.body.style.overflow = overflow;
      opener?.focus();
    };
  }, []);

  return (
    <div
      class="file-viewer"
      role="dialog"
      aria-modal="true"
      aria-label={`预览：${file.name}`}
      data-viewer={kind ?? ''}
      onClick={(e) => e.target === e.currentTarget && onClose()}
      style={{
        position: 'fixed',
        inset: '0',
        zIndex: 1000,
        background: '#141a24',
        display: 'flex',
        flexDirection: 'column',
        padding: '8px',
        boxSizing: 'border-box',
      }}
    >
      <div style={{ display: 'flex', alignItems: 'center', gap: '8px', color: '#fff', flexWrap: 'wrap' }}>
        <strong style={{ flex: '1 1 200px', minWidth: 0, overflowWrap: 'anywhere' }}>{file.name}</strong>
        <span style={{ display: 'flex', gap: '8px', marginLeft: 'auto' }}>
          {kind === 'pdf' && url && (
            // A phone's webview may draw no PDF in a frame: the browser's own tab can.
            <a
              href={url}
              target="_blank"
              rel="noopener"
              style={{ ...tapButton, color: '#fff', display: 'inline-flex', alignItems: 'center', padding: '0 6px' }}
              data-viewer-open
            >
              新窗口打开
            </a>
          )}
          <button
            type="button"
            style={tapButton}
            disabled={!blob}
            onClick={() => blob && saveBlob(blob, file.name)}
            data-viewer-download
          >
            下载
          </button>
          <button type="button" ref={close} style={tapButton} onClick={onClose} data-viewer-close>
            关闭
          </button>
        </span>
      </div>
      <div
        style={{
          flex: '1',
          minHeight: 0,
          display: 'flex',
          alignItems: 'center',
          justifyContent: 'center',
          marginTop: '8px',
        }}
        onClick={(e) => e.target === e.currentTarget && onClose()}
      >
        {failed ? (
          <p style={{ color: '#fff' }} role="alert">
            无法打开：{failed}
          </p>
        ) : !url ? (
          <p style={{ color: '#fff' }} role="status">
            正在打开…
          </p>
        ) : kind === 'image' ? (
          <img
            src={url}
            alt={file.name}
            style={{ maxWidth: '100%', maxHeight: '100%', objectFit: 'contain', background: '#fff' }}
          />
        ) : (
          <iframe
            src={url}
            title={file.name}
            style={{ width: '100%', height: '100%', border: '0', background: '#fff' }}
          />
        )}
      </div>
    </div>
  );
}

/**
 * One evidence file: its name opens it (a picture or PDF in the page, anything else downloads),
 * 下载 saves it under its own name.
 */
export function EvidenceFileEntry({
  itemId,
  file,
  onError,
  children,
}: {
  itemId: string;
  file: EvidenceRef;
  onError: (e: ApiError) => void;
  children?: ComponentChildren;
}) {
  const [viewing, setViewing] = useState(false);
  const [busy, setBusy] = useState(false);
  const kind = previewKind(file);
  const save = () => {
    setBusy(true);
    downloadEvidence(itemId, file)
      .catch(onError)
      .finally(() => setBusy(false));
  };
  return (
    <li
      data-file={file.name}
      data-sha256={file.sha256}
      style={{
        display: 'flex',
        flexWrap: 'wrap',
        alignItems: 'center',
        gap: '0 8px',
        minWidth: 0,
        padding: '2px 0',
        borderBottom: '1px solid #eef1f6',
      }}
    >
      <div style={{ flex: '1 1 12em', minWidth: 0 }}>
        <button
          type="button"
          class="link"
          style={{ minHeight: `${TAP}px`, textAlign: 'left', overflowWrap: 'anywhere', maxWidth: '100%' }}
          onClick={() => (kind ? setViewing(true) : save())}
          title={kind ? '在页面中查看' : '下载'}
          data-file-open
        >
          {file.name}
        </button>
        {children && (
          <div style={{ overflowWrap: 'anywhere', marginTop: '-6px', paddingBottom: '4px' }}>{children}</div>
        )}
      </div>
      <span style={{ display: 'inline-flex', gap: '6px', marginLeft: 'auto' }}>
        {kind && (
          <button type="button" style={tapButton} onClick={() => setViewing(true)} data-file-preview>
            预览
          </button>
        )}
        <button type="button" style={tapButton} disabled={busy} onClick={save} data-file-download>
          {busy ? '下载中…' : '下载'}
        </button>
      </span>
      {viewing && <Viewer itemId={itemId} file={file} onClose={() => setViewing(false)} onError={onError} />}
    </li>
  );
}

/** A list of evidence files, each with its preview and download; `meta` is shown after a file's name. */
export function EvidenceFiles<T extends EvidenceRef>({
  itemId,
  files,
  onError,
  meta,
  keyOf = (f) => f.sha256,
}: {
  itemId: string;
  files: T[];
  onError: (e: ApiError) => void;
  meta?: (file: T) => ComponentChildren;
  keyOf?: (file: T) => string;
}) {
  return (
    <ul class="files evidence-files" style={{ listStyle: 'none', padding: 0, margin: '6px 0 0' }}>
      {files.map((f) => (
        <EvidenceFileEntry key={keyOf(f)} itemId={itemId} file={f} onError={onError}>
          {meta?.(f)}
        </EvidenceFileEntry>
      ))}
    </ul>
  );
}

/** The files an event of the timeline names: those with a hash open and download, an older record's bare name is shown as it is. */
export function AttachmentList({
  itemId,
  attachments,
  onError,
}: {
  itemId: string;
  attachments: Array<{ name: string; sha256?: string; size?: number; mime?: string }>;
  onError: (e: ApiError) => void;
}) {
  const stored = attachments.filter((a): a is EvidenceRef & { sha256: string } => !!a.sha256);
  const bare = attachments.filter((a) => !a.sha256);
  const size = (f: { size?: number }) => f.size !== undefined && <span class="muted">（{fileSize(f.size)}）</span>;
  return (
    <>
      {stored.length > 0 && <EvidenceFiles itemId={itemId} files={stored} onError={onError} meta={size} />}
      {bare.length > 0 && (
        <ul class="files">
          {bare.map((a, i) => (
            <li key={`${a.name}-${i}`}>
              {a.name}
              {size(a)}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
