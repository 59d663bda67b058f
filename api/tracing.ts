/**
 * A server span per HTTP request, named by its route's pattern (`POST /api/items/:id/actions`,
 * never the raw URL: ids, and the 确认收到 link's token, are in paths), in whose context the
 * handler's Temporal calls run, so that the client's spans, the workflow's and the activities'
 * all join its trace. Added only while the process traces (lib/tracing.ts).
 *
 * Under it, `stage serialise`: from preSerialization to onSend, the response's serialisation by
 * its schema (a reply sent as a string or a buffer has no such stage), for the cost breakdown
 * (bench/breakdown.ts).
 *
 * Attribute names are OpenTelemetry's HTTP semantic conventions. A caller's `traceparent` is not
 * continued: the API faces browsers, which must not choose our trace ids or sampling.
 */
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AsyncResource } from 'node:async_hooks';

const kSpan = Symbol('traceSpan');
const kScope = Symbol('traceScope');
const kSerialise = Symbol('traceSerialise');
type Traced = FastifyRequest & { [kSpan]?: Span; [kScope]?: AsyncResource; [kSerialise]?: Span };

export function traceRequests(app: FastifyInstance): void {
  const tracer = trace.getTracer('duban-api');
  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    const span = tracer.startSpan(
      route ? `${request.method} ${route}` : request.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          ...(route ? { 'http.route': route } : {}),
          'duban.request_id': request.id,
        },
      },
      ROOT_CONTEXT,
    );
    (request as Traced)[kSpan] = span;
    context.with(trace.setSpan(ROOT_CONTEXT, span), () => {
      // The body arrives on the socket's own async context: the span's is entered again before
      // validation, as api/request-log.ts does for the request's own context.
      const scope = new AsyncResource('duban-trace');
      (request as Traced)[kScope] = scope;
      scope.runInAsyncScope(done, request.raw);
    });
  });
  app.addHook('preValidation', (request, _reply, done) => {
    const scope = (request as Traced)[kScope];
    if (scope) scope.runInAsyncScope(done, request.raw);
    else done();
  });
  app.addHook('preSerialization', (request, _reply, payload, done) => {
    const span = (request as Traced)[kSpan];
    if (span)
      (request as Traced)[kSerialise] = tracer.startSpan('stage serialise', {}, trace.setSpan(ROOT_CONTEXT, span));
    done(null, payload);
  });
  app.addHook('onSend', (request, _reply, payload, done) => {
    (request as Traced)[kSerialise]?.end();
    (request as Traced)[kSerialise] = undefined;
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    const span = (request as Traced)[kSpan];
    if (span) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    const span = (request as Traced)[kSpan];
    if (span?.isRecording()) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'request aborted by the client' });
      span.end();
    }
    done();
  });
}
