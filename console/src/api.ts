/** The API from the browser: the token from sign-in on every request, errors as sentences. */
import { errorText } from './error-text';

const TOKEN_KEY = 'duban.token';

export function getToken(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}
export function setToken(token: string | null): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

export interface FieldError {
  field: string;
  reason: string;
}

/**
 * What the server said, in words for a person; `fields` maps a form field to its problem; `body`
 * is the answer as sent (a 400's own message, a 409's state, stateLabel and allowedActions).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: Record<string, string> = {},
    readonly body: Record<string, unknown> | null = null,
  ) {
    super(message);
  }
}

/**
 * A refused sign-in in words: an expired token is not an invalid one (the API's 401 says which in
 * its message: 身份验证失败：令牌已过期 / 令牌格式错误 / 令牌签名无效 …; the code is `unauthorized` for all).
 */
export function signInProblem(message: string): string {
  const reason = message.replace(/^身份验证失败：/, '');
  if (/已过期/.test(reason)) return '登录已过期，请重新登录';
  if (/用户不存在或已停用/.test(reason)) return '该账号不存在或已停用，请联系系统管理员';
  return `登录凭据无效，请重新登录（${reason}）`;
}

type Listener = () => void;
const onUnauthorized = new Set<Listener>();
export function whenSignedOut(fn: Listener): () => void {
  onUnauthorized.add(fn);
  return () => onUnauthorized.delete(fn);
}

function describe(status: number, body: Record<string, unknown> | null, path = ''): ApiError {
  const message = typeof body?.message === 'string' ? body.message : `服务器返回错误（${status}）`;
  const fields: Record<string, string> = {};
  const listed = (Array.isArray(body?.fields) ? body.fields : []) as FieldError[];
  for (const f of listed) fields[f.field.replace(/^(body|querystring|params)\./, '')] = f.reason;
  switch (status) {
    case 400:
      return new ApiError(
        status,
        errorText(
          message,
          listed.map((f) => f.reason).filter((r): r is string => typeof r === 'string'),
        ),
        fields,
        body,
      );
    case 401:
      return new ApiError(status, signInProblem(message), {}, body);
    case 403:
      return new ApiError(status, `没有权限：${message}`);
    case 404:
      // Items and plans answer an unknown id and a hidden one alike; other resources say what is missing.
      return new ApiError(status, notFoundText(path, message));
    case 409:
      return new ApiError(
        status,
        `操作未执行：${message}${typeof body?.stateLabel === 'string' ? `（当前状态：${body.stateLabel}）` : ''}。页面已刷新为最新状态，您填写的内容仍保留。`,
        {},
        body,
      );
    case 413:
      return new ApiError(status, `文件或内容过大：${message}`);
    case 415:
      return new ApiError(status, `文件类型不支持：${message}`);
    case 429:
      return new ApiError(status, message);
    case 503:
      return new ApiError(status, `服务暂时不可用，请稍后重试：${message}`);
    default:
      return new ApiError(status, message);
  }
}

/** What a 404 says: the thing looked for, in words (an unknown id and a hidden one read alike). */
function notFoundText(path: string, message: string): string {
  if (path.startsWith('/api/contacts')) return message;
  if (path.startsWith('/api/fan-outs')) return '找不到该举一反三，或您无权查看';
  if (path.startsWith('/api/index')) return '找不到该指数记录，或您无权查看';
  if (path.startsWith('/api/classification')) return '找不到该分类';
  return '找不到该事项，或您无权查看';
}

async function send(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  const token = getToken();
  const init: RequestInit = { method, headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } };
  if (body instanceof FormData || body instanceof Blob) init.body = body;
  else if (typeof body === 'string' && headers['content-type']) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, '无法连接服务器，请检查网络后重试');
  }
  if (!res.ok) {
    const parsed = (await res.json().catch(() => null)) as Record<string, unknown> | null;
    const err = describe(res.status, parsed, path);
    if (res.status === 401 && path !== '/api/demo/sign-in') onUnauthorized.forEach((fn) => fn());
    throw err;
  }
  return res;
}

export async function get<T>(path: string): Promise<T> {
  return (await send('GET', path)).json() as Promise<T>;
}

/**
 * A state change: a fresh Idempotency-Key per attempt the user makes, so a double click or a
 * retried request has one effect.
 */
export async function post<T>(path: string, body?: unknown, idempotencyKey?: string): Promise<T> {
  return (
    await send('POST', path, body, idempotencyKey ? { 'idempotency-key': idempotencyKey } : {})
  ).json() as Promise<T>;
}

export async function put<T>(path: string, body: unknown): Promise<T> {
  return (await send('PUT', path, body)).json() as Promise<T>;
}

export async function patch<T>(path: string, body: unknown): Promise<T> {
  return (await send('PATCH', path, body)).json() as Promise<T>;
}

export async function del<T>(path: string): Promise<T> {
  return (await send('DELETE', path)).json() as Promise<T>;
}

/** A CSV file's text, as the import routes take it. */
export async function postCsv<T>(path: string, text: string): Promise<T> {
  return (await send('POST', path, text, { 'content-type': 'text/csv; charset=utf-8' })).json() as Promise<T>;
}

/** A file's bytes as the body, with its type (an .xlsx, a CSV): the import routes read it whole. */
export async function postFile<T>(path: string, file: Blob, type: string): Promise<T> {
  return (await send('POST', path, file, { 'content-type': type })).json() as Promise<T>;
}

export async function upload<T>(path: string, files: File[]): Promise<T> {
  const form = new FormData();
  for (const f of files) form.append('file', f, f.name);
  return (await send('POST', path, form)).json() as Promise<T>;
}

/** Fetches a file with the token and hands it to the browser as a download. */
export async function download(path: string, fallbackName: string): Promise<void> {
  const res = await send('GET', path);
  const disposition = res.headers.get('content-disposition') ?? '';
  // The UTF-8 name (RFC 5987, a Chinese file name) before the ASCII stand-in beside it.
  const name =
    /filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1] ??
    /filename\*?="?([^";]+)"?/.exec(disposition)?.[1] ??
    fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = decodeURIComponent(name);
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function newKey(): string {
  return crypto.randomUUID();
}

export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
