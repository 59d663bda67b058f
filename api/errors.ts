import {
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  isGrpcServiceError,
  type Client,
} from '@temporalio/client';
import { status as grpcStatus } from '@grpc/grpc-js';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { Action } from '../domain/commands';
import { STATUS_LABELS, type Refusal, type Status } from '../domain/item';
import { REFUSAL_TYPE } from '../workflows/messages';

export interface FieldError {
  field: string;
  reason: string;
}

/** An expected failure with its HTTP status; the body is what the client is told. */
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }

  body() {
    return { error: this.code, message: this.message, ...this.extra };
  }
}

export const badRequest = (fields: FieldError[], message = '请求参数有误') =>
  new AppError(400, 'bad_request', message, { fields });
export const unauthorized = (reason: string) => new AppError(401, 'unauthorized', `身份验证失败：${reason}`);
export const forbidden = (message = '您无权执行此操作') => new AppError(403, 'forbidden', message);
export const notFound = (message = '事项不存在') => new AppError(404, 'not_found', message);
export const unavailable = (what: 'temporal' | 'database') =>
  new AppError(
    503,
    'unavailable',
    what === 'temporal' ? '工作流服务暂时不可用，请稍后重试' : '数据库暂时不可用，请稍后重试',
    { dependency: what },
  );

export function conflict(message: string, status: Status, allowedActions: Action[], code = 'not_allowed_in_state') {
  return new AppError(409, 'conflict', message, {
    reason: code,
    state: status,
    stateLabel: STATUS_LABELS[status],
    allowedActions,
  });
}

/** A domain refusal, from the API's own pre-check or from the workflow's validator. */
export function fromRefusal(refusal: Omit<Refusal, 'ok'>): AppError {
  switch (refusal.code) {
    case 'forbidden':
      return forbidden(refusal.message);
    case 'invalid':
      return badRequest(
        [{ field: refusal.field ? `body.${refusal.field}` : 'body', reason: refusal.message }],
        refusal.message,
      );
    default:
      return conflict(refusal.message, refusal.status, refusal.allowedActions, refusal.code);
  }
}

const UNREACHABLE_DB_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '08001',
  '08006',
  'P1001',
  'P1002',
  'P1017',
  'P2024',
]);

function chain(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e = err, i = 0; e && i < 8; e = (e as { cause?: unknown }).cause, i++) out.push(e);
  return out;
}

export function isDatabaseUnavailable(err: unknown): boolean {
  return chain(err).some((e) => {
    const x = e as { code?: unknown; name?: unknown; message?: unknown; errno?: unknown; kind?: unknown };
    if (typeof x.code === 'string' && UNREACHABLE_DB_CODES.has(x.code)) return true;
    if (x.name === 'PrismaClientInitializationError') return true;
    const msg = typeof x.message === 'string' ? x.message : '';
    return /ECONNREFUSED|Connection terminated|connection timeout|Can't reach database|timeout exceeded when trying to connect|DatabaseNotReachable/i.test(
      msg,
    );
  });
}

export function isTemporalUnavailable(err: unknown): boolean {
  return chain(err).some((e) => {
    if (isGrpcServiceError(e)) return e.code === grpcStatus.UNAVAILABLE || e.code === grpcStatus.DEADLINE_EXCEEDED;
    const x = e as { name?: unknown; message?: unknown };
    return (
      x.name === 'ServiceError' && typeof x.message === 'string' && /unavailable|deadline|connect/i.test(x.message)
    );
  });
}

/**
 * Maps what Temporal said about an update, a start or a signal to the client's answer: the one
 * mapping, applied by `withTemporal` at the call (so a caller can react, say, to a 404) and by
 * the error handler to anything that reaches it unmapped.
 */
export function fromTemporal(err: unknown): AppError | null {
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause as { type?: string; details?: unknown[]; message?: string } | undefined;
    if (cause?.type === REFUSAL_TYPE && cause.details?.[0]) return fromRefusal(cause.details[0] as Refusal);
    if (cause?.type === 'InvalidCommand') return badRequest([{ field: 'body', reason: cause.message ?? '' }]);
  }
  if (err instanceof WorkflowExecutionAlreadyStartedError)
    return new AppError(409, 'conflict', '事项已存在', { reason: 'already_exists' });
  if (err instanceof WorkflowNotFoundError) return notFound();
  // The update's call ran out of time (a loaded server): nothing is lost, the client may retry.
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isTemporalUnavailable(err))
    return unavailable('temporal');
  return null;
}

/**
 * Every call the API makes to Temporal: bounded by a deadline (`timeoutMs`, default the services'
 * `temporalTimeoutMs`), its failures mapped by `fromTemporal` (503 when Temporal is unreachable).
 */
export async function withTemporal<T>(
  s: { temporal: Client; temporalTimeoutMs: number },
  fn: () => Promise<T>,
  timeoutMs = s.temporalTimeoutMs,
): Promise<T> {
  try {
    return await s.temporal.connection.withDeadline(Date.now() + timeoutMs, fn);
  } catch (err) {
    throw fromTemporal(err) ?? err;
  }
}

/** A NUL, or a UTF-16 surrogate without its pair: neither PostgreSQL text nor JSON carries them faithfully. */
export const UNSAFE_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** Deeper than any body the API takes; walked without recursion, so no depth can overflow the stack. */
const MAX_DEPTH = 64;

/**
 * The first place (`body.items.0.title`) where a value holds a NUL or a lone UTF-16 surrogate, or
 * nests deeper than any body the API takes, with the reason in words; null when there is none.
 */
export function unsafeInput(value: unknown): FieldError | null {
  const stack: Array<{ value: unknown; at: string; depth: number }> = [{ value, at: '', depth: 0 }];
  while (stack.length > 0) {
    const { value: v, at, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (UNSAFE_TEXT.test(v)) return { field: at, reason: '含有空字符（NUL）或无效的 Unicode 字符' };
    } else if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
      // A binary body (an .xlsx) is no text to store: its cells are checked once read.
      if (depth >= MAX_DEPTH) return { field: at, reason: `嵌套层数超过 ${MAX_DEPTH} 层` };
      for (const [k, child] of Object.entries(v)) {
        const here = at ? `${at}.${k}` : k;
        if (UNSAFE_TEXT.test(k)) return { field: here, reason: '含有空字符（NUL）或无效的 Unicode 字符' };
        stack.push({ value: child, at: here, depth: depth + 1 });
      }
    }
  }
  return null;
}

/** The raw answer to what Node's HTTP parser refused, in the product's error shape. */
export function clientErrorResponse(code: string | undefined): { status: number; text: string } {
  const [status, reason, error, message] =
    code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'timeout', '请求超时']
      : code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'headers_too_large', '请求头过大']
        : [400, 'Bad Request', 'bad_request', '请求格式错误，无法解析'];
  const body = JSON.stringify({ error, message });
  return {
    status,
    text: `HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
  };
}

/** A unique key PostgreSQL refused: two requests created the same thing at once, and the other won. */
function isDuplicate(err: unknown): boolean {
  return chain(err).some((e) => {
    const x = e as { code?: unknown };
    return x.code === 'P2002' || x.code === '23505';
  });
}
const duplicate = () =>
  new AppError(409, 'conflict', '该记录已存在（可能是同时提交了两次），请刷新后查看', { reason: 'already_exists' });

export const uriTooLong = () => new AppError(414, 'uri_too_long', '请求地址过长');

/** A request the router refused before any route ran (bad escape, over-long parameter). */
export function frameworkError(err: FastifyError): AppError {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') return uriTooLong();
  if (err.code === 'FST_ERR_BAD_URL')
    return new AppError(400, 'bad_request', '请求地址含有无效的转义字符', {
      fields: [{ field: 'url', reason: '无效的百分号转义' }],
    });
  return new AppError(400, 'bad_request', '请求格式错误', { fields: [{ field: 'url', reason: '无法解析' }] });
}

/** What an error means to the client, when it is one the product expects; null for anything else (a 500). */
function knownError(err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  return (
    fromTemporal(err) ?? (isDatabaseUnavailable(err) ? unavailable('database') : isDuplicate(err) ? duplicate() : null)
  );
}

/** The one error handler: expected errors as they are, anything else a 500 with no internals. */
export function errorHandler(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const fields = err.validation.flatMap((v) => {
      const at = [
        err.validationContext ?? 'body',
        ...String(v.instancePath ?? '')
          .split('/')
          .filter(Boolean),
      ].join('.');
      // An unknown key is named as the field it is, not as the object that holds it.
      const keys = v.keyword === 'unrecognized_keys' ? (v.params as { keys?: unknown }).keys : undefined;
      if (Array.isArray(keys) && keys.length > 0)
        return keys.map((k) => ({ field: `${at}.${String(k)}`, reason: `未知字段“${String(k)}”` }));
      return [{ field: at, reason: v.message ?? 'invalid' }];
    });
    return reply.status(400).send(badRequest(fields).body());
  }
  const appError = knownError(err);
  if (appError) {
    request.log.warn({ code: appError.code, reason: appError.message }, 'request refused');
    return reply.status(appError.statusCode).send(appError.body());
  }
  const fe = err as FastifyError;
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Fastify's own client errors: bad JSON, body too large, unsupported media type.
    const message = clientErrorMessage(fe);
    return reply.status(fe.statusCode).send({
      error: clientErrorCode(fe),
      message,
      ...(fe.statusCode === 400 ? { fields: [{ field: 'body', reason: message }] } : {}),
    });
  }
  request.log.error({ err }, 'unexpected error');
  return reply.status(500).send({ error: 'internal', message: '服务器内部错误' });
}

/** The product's own code for Fastify's client errors: clients see no framework internals. */
function clientErrorCode(err: FastifyError): string {
  switch (err.statusCode) {
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'too_many_requests';
    default:
      return err.code === 'FST_FILES_LIMIT' || err.code === 'FST_PARTS_LIMIT' || err.code === 'FST_FIELDS_LIMIT'
        ? 'too_many_parts'
        : 'bad_request';
  }
}

function clientErrorMessage(err: FastifyError): string {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return '请求体过大';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return '不支持的内容类型';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return '请求体为空';
    case 'FST_REQ_FILE_TOO_LARGE':
      return '文件过大';
    case 'FST_FILES_LIMIT':
      return '一次上传的文件数量超过上限';
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return '表单字段过多';
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return '请以 multipart/form-data 上传文件';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return '请求体不是合法的 JSON，或含有 __proto__ 等不允许的键';
    default:
      return err.statusCode === 400 ? `请求格式错误：${err.message}` : err.message;
  }
}
