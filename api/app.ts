import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyReply, type FastifyServerOptions } from 'fastify';
import { z } from 'zod';
import { jsonSchemaTransform, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { EvidenceStore } from '../lib/evidence-store';
import { createVerifier, type VerifierOptions } from '../lib/tokens';
import { actorCache } from '../lib/users';
import { auditPlugin, writeAudit, writeClientErrorAudit } from './audit';
import { declareErrors, responseSerializerCompiler } from './contract';
import { authPlugin, publicRoutes } from './auth';
import { isStoredReplay } from './idempotency';
import {
  AppError,
  badRequest,
  clientErrorResponse,
  errorHandler,
  frameworkError,
  unsafeInput,
  uriTooLong,
} from './errors';
import type { Services } from './services';
import { consoleRoutes } from './console';
import { auditRoutes } from './routes/audit';
import { contactRoutes } from './routes/contacts';
import { dashboardRoutes } from './routes/dashboard';
import { demoRoutes, type DemoSignIn } from './routes/demo';
import { evidenceRoutes } from './routes/evidence';
import { fanOutRoutes } from './routes/fan-outs';
import { bulkRoutes } from './routes/bulk';
import { itemRoutes } from './routes/items';
import { metaRoutes } from './routes/meta';
import { monitoringRoutes } from './routes/monitoring';
import { ackRoutes, notificationRoutes } from './routes/notifications';
import { problemListRoutes } from './routes/problem-lists';
import { reconciliationRoutes } from './routes/reconciliation';
import { settingsRoutes } from './routes/settings';
import { userRoutes } from './routes/users';
import { notUtf8 } from './imports';
import { looksLikeZip, XLSX_CONTENT_TYPE } from '../lib/xlsx';
import { activeTracing } from '../lib/tracing';
import { traceRequests } from './tracing';
import type { HttpMetrics } from '../lib/metrics';
import { httpMetricsHook } from './metrics';
import { requestContextHooks, requestId, RequestLog } from './request-log';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route may send mail (opening items, actions): a tighter rate limit per token. */
    sendsMail?: boolean;
  }
}

export interface Limits {
  /** Requests per token (per address without one) and minute. */
  perMinute: number;
  /** Of those, requests that send mail. */
  mailPerMinute: number;
  /** Largest JSON or CSV body. */
  bodyBytes: number;
  evidenceBytes: number;
  evidenceFiles: number;
  /** Failed authentications per address and 10 minutes before the address must wait. */
  authFailures: number;
}

export const DEFAULT_LIMITS: Limits = {
  perMinute: 600,
  mailPerMinute: 120,
  bodyBytes: 1024 * 1024,
  evidenceBytes: 20 * 1024 * 1024,
  evidenceFiles: 10,
  authFailures: 100,
};

/** The router's limit on one path parameter: past it, 414. */
const MAX_PARAM_LENGTH = 100;

/** Where the interactive API documentation is served (from the same OpenAPI document). */
export const DOCS_PATH = '/api/docs';

export interface AppOptions {
  services: Services;
  auth: VerifierOptions & { userCacheMs?: number };
  evidence: EvidenceStore;
  limits?: Partial<Limits>;
  /** Add Strict-Transport-Security (behind TLS in production). */
  hsts?: boolean;
  logger?: FastifyServerOptions['logger'];
  /** Picking a demo user instead of pasting a token: the embedded default only. */
  demoSignIn?: DemoSignIn;
  /** The built console to serve (default console/dist). */
  consoleDist?: string;
  /** Where to count and time the requests (the process's metrics, lib/metrics.ts); none in most tests. */
  metrics?: HttpMetrics;
}

const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

/** Builds the HTTP app around injected clients; server.ts listens, tests use inject() or listen on port 0. */
export async function buildApp(opts: AppOptions) {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  // Every validation message a client can see, in Chinese (the product's own messages already are).
  z.config(z.locales.zhCN());
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: limits.bodyBytes,
    genReqId: requestId,
    logController: new RequestLog(),
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // A malformed escape or an over-long path parameter never reaches a route: answered in the
    // product's error shape and audited like every other refusal.
    frameworkErrors: (err, request, reply: FastifyReply) => {
      const error = frameworkError(err);
      void writeAudit(opts.services.db, request, error.statusCode).finally(() =>
        reply.status(error.statusCode).send(error.body()),
      );
    },
    // What Node's HTTP parser refuses (a request line with a backslash, headers over 16 KB, a
    // timeout) never becomes a request: answered in the product's shape and audited by address.
    clientErrorHandler: (err, socket) => {
      if ((err as NodeJS.ErrnoException).code === 'ECONNRESET' || socket.destroyed) return;
      const { status, text } = clientErrorResponse((err as NodeJS.ErrnoException).code);
      void writeClientErrorAudit(
        opts.services.db,
        socket.remoteAddress ?? null,
        status,
        (err as NodeJS.ErrnoException).code ?? 'unknown',
      );
      if (socket.writable) socket.write(text);
      socket.destroy(err);
    },
  }).withTypeProvider<ZodTypeProvider>();
  requestContextHooks(app);
  if (activeTracing()) traceRequests(app);
  if (opts.metrics) httpMetricsHook(app, opts.metrics);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(responseSerializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    // The router sends a GET whose parameter passes its length limit here: it is a 414 all the same.
    if (path.split('/').some((segment) => segment.length > MAX_PARAM_LENGTH)) {
      const error = uriTooLong();
      return reply.status(error.statusCode).send(error.body());
    }
    const shown = path.length > 200 ? `${path.slice(0, 200)}…` : path;
    return reply.status(404).send({ error: 'not_found', message: `没有这个接口：${request.method} ${shown}` });
  });

  // A CSV that is not UTF-8 (Excel's GBK or UTF-16) is refused as such, before its NULs are (imports.ts).
  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string' }, (_req, body, done) => {
    const refusal = notUtf8(String(body));
    if (refusal) done(refusal, undefined);
    else done(null, body);
  });
  // An .xlsx (批量交办) arrives as its bytes; it is read by lib/xlsx.ts where it is used.
  app.addContentTypeParser(XLSX_CONTENT_TYPE, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  // Some systems send an .xlsx as application/octet-stream: taken as one when it is a zip (PK\x03\x04).
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) => {
    if (Buffer.isBuffer(body) && looksLikeZip(body)) done(null, body);
    else
      done(new AppError(415, 'unsupported_media_type', '不支持的内容类型：application/octet-stream 只接受 .xlsx 文件'));
  });
  // Actions without a payload may be sent with no body at all.
  app.addHook('preValidation', async (request) => {
    if (request.method === 'POST' && request.body === undefined && !request.isMultipart()) request.body = {};
    // A NUL or a lone surrogate anywhere (path, query, body) cannot be stored by PostgreSQL nor
    // carried faithfully through JSON: refused here, before any handler or workflow sees it.
    const unsafe = unsafeInput({ params: request.params, querystring: request.query, body: request.body });
    if (unsafe) throw badRequest([unsafe]);
  });
  // No CORS headers are ever sent: browsers refuse cross-origin calls; the console is same-origin.
  app.addHook('onSend', async (_request, reply, payload) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) if (!reply.hasHeader(k)) reply.header(k, v);
    if (opts.hsts) reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    return payload;
  });

  await app.register(swagger, {
    openapi: {
      // 3.1: JSON Schema 2020-12, where a nullable enum lists null (3.0's `nullable` does not).
      openapi: '3.1.0',
      info: { title: '督查督办 API', version: '0.2.0', description: '督查督办闭环：立项交办、签收、整改、销号' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(multipart, { limits: { fileSize: limits.evidenceBytes, files: limits.evidenceFiles } });
  declareErrors(app);
  await app.register(authPlugin, {
    verify: createVerifier(opts.auth),
    resolve: actorCache(opts.services.db, opts.auth.userCacheMs ?? 5000),
    failures: { max: limits.authFailures, windowMs: 10 * 60_000 },
  });
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    max: (request) => (request.routeOptions.config?.sendsMail ? limits.mailPerMinute : limits.perMinute),
    timeWindow: 60_000,
    keyGenerator: (request) =>
      `${request.actor ? `u:${request.actor.userId}` : `ip:${request.ip}`}|${request.routeOptions.config?.sendsMail ? 'mail' : 'any'}`,
    // A retry answered from the stored outcome of its Idempotency-Key is not counted: it repeats
    // nothing (the console retries with the same key after a lost answer).
    allowList: (request) =>
      request.method === 'POST' && request.headers['idempotency-key'] !== undefined
        ? isStoredReplay(
            opts.services.db,
            request.actor?.userId,
            request.headers['idempotency-key'],
            'POST',
            request.url,
            request.body,
          )
        : false,
    errorResponseBuilder: (_request, context) =>
      new AppError(429, 'too_many_requests', `请求过于频繁，请 ${Math.ceil(context.ttl / 1000)} 秒后再试`),
  });
  await app.register(auditPlugin, { db: opts.services.db });
  await app.register(metaRoutes, { services: opts.services });
  await app.register(itemRoutes, { services: opts.services });
  await app.register(bulkRoutes, { services: opts.services });
  await app.register(evidenceRoutes, {
    services: opts.services,
    store: opts.evidence,
    maxBytes: limits.evidenceBytes,
    maxFiles: limits.evidenceFiles,
  });
  await app.register(problemListRoutes, { services: opts.services });
  await app.register(settingsRoutes, { services: opts.services });
  await app.register(notificationRoutes, { services: opts.services });
  await app.register(ackRoutes, { services: opts.services });
  await app.register(auditRoutes, { services: opts.services });
  await app.register(userRoutes, { services: opts.services });
  await app.register(contactRoutes, { services: opts.services });
  await app.register(monitoringRoutes, {
    services: opts.services,
    evidence: { store: opts.evidence, maxBytes: limits.evidenceBytes, maxFiles: limits.evidenceFiles },
  });
  await app.register(fanOutRoutes, {
    services: opts.services,
    evidence: { store: opts.evidence, maxBytes: limits.evidenceBytes, maxFiles: limits.evidenceFiles },
  });
  await app.register(dashboardRoutes, { services: opts.services });
  await app.register(reconciliationRoutes, { services: opts.services });
  await app.register((await import('./routes/control-index')).controlIndexRoutes, { services: opts.services });
  await app.register((await import('./routes/backtests')).backtestRoutes, { services: opts.services });
  await app.register((await import('./routes/classes')).classesRoutes, { services: opts.services });
  if (opts.demoSignIn) await app.register(demoRoutes, opts.demoSignIn);
  await app.register(consoleRoutes, opts.consoleDist ? { dist: opts.consoleDist } : {});
  app.get('/api/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
  await app.register(async (docs) => {
    publicRoutes(docs);
    await docs.register(swaggerUi, {
      routePrefix: DOCS_PATH,
      staticCSP: true,
      // Its own scripts only, but its inline styles allowed; and no upgrade to https, which would
      // blank the page wherever the API is served over plain http (the embedded default).
      transformStaticCSP: (header: string) =>
        header
          .replace(/upgrade-insecure-requests;?\s*/g, '')
          .replace(
            /style-src ([^;]*)/,
            (_m, v: string) => `style-src ${v.includes("'unsafe-inline'") ? v : `${v} 'unsafe-inline'`}`,
          ),
      uiConfig: { deepLinking: false },
    });
  });
  await app.ready();
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
