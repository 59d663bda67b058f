/**
 * Structured request logs: one JSON line per request (Fastify's pino), carrying the request id
 * (the caller's X-Request-Id when it looks like one, echoed back in the response) and the
 * workflows the request reached, so a line in the API's log leads to the workflow's history and
 * to the worker's lines about it (the SDK puts workflowId on those).
 */
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

/** What a caller's request id may be: a UUID, a trace id, a load balancer's id; anything else is replaced. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's id: the caller's X-Request-Id when sane, otherwise a new UUID. */
export function requestId(req: Pick<IncomingMessage, 'headers'>): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}

interface RequestContext {
  workflowIds: string[];
}
const context = new AsyncLocalStorage<RequestContext>();
const kContext = Symbol('requestContext');
const kScope = Symbol('requestScope');
type WithContext = FastifyRequest & { [kContext]?: RequestContext; [kScope]?: AsyncResource };

/** Called where a request sends a workflow a start or an Update: the request's log line names it. */
export function noteWorkflow(workflowId: string): void {
  const ctx = context.getStore();
  if (ctx && !ctx.workflowIds.includes(workflowId)) ctx.workflowIds.push(workflowId);
}

/**
 * The request's context for everything it calls. Its body arrives on the socket's own async
 * context, so the scope is entered again before validation (as @fastify/request-context does).
 */
export function requestContextHooks(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    const ctx: RequestContext = { workflowIds: [] };
    (request as WithContext)[kContext] = ctx;
    context.run(ctx, () => {
      const scope = new AsyncResource('duban-request');
      (request as WithContext)[kScope] = scope;
      scope.runInAsyncScope(done, request.raw);
    });
  });
  app.addHook('preValidation', (request, _reply, done) => {
    const scope = (request as WithContext)[kScope];
    if (scope) scope.runInAsyncScope(done, request.raw);
    else done();
  });
}

/** The route's pattern, or for an unknown path the path itself, cut short and without its query. */
function routeOf(request: FastifyRequest): string {
  const pattern = request.routeOptions.url;
  if (pattern) return pattern;
  const path = request.url.split('?')[0] ?? '';
  return path.length > 200 ? `${path.slice(0, 200)}…` : path;
}

/**
 * One line per request, when it is answered, instead of Fastify's two (received, completed):
 * method, route pattern (never the raw URL: the 确认收到 link's token is in its path), status,
 * time, the workflows reached; 5xx at error level.
 */
export class RequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const workflowIds = (request as WithContext)[kContext]?.workflowIds ?? [];
    const line = {
      method: request.method,
      route: routeOf(request),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      ...(workflowIds.length === 1 ? { workflowId: workflowIds[0] } : workflowIds.length ? { workflowIds } : {}),
      ...(error ? { err: error } : {}),
    };
    if (error || reply.statusCode >= 500) reply.log.error(line, 'request completed');
    else reply.log.info(line, 'request completed');
  }
}
