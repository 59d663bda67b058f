/**
 * OpenTelemetry traces, exported by OTLP/HTTP (JSON) to the collector configured in
 * OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, and off when neither is set.
 *
 * Off means off: the SDK and the exporter are imported only by `startTracing` with an endpoint,
 * and every helper here returns straight to its caller while tracing has not been started. What
 * stays loaded is `@opentelemetry/api`, whose calls are no-ops without a provider.
 *
 * A process starts tracing once, at its entry (api/server.ts, worker/main.ts, scripts/dev.ts),
 * before it builds its Temporal client, worker or app: those look here to decide whether to add
 * their interceptors and hooks. The OTel API keeps its provider in a process-wide global, so the
 * state here is process-wide too.
 *
 * Traces begin at API requests: a root span is sampled only when it is an HTTP server span, and
 * everything else follows its parent. So the worker's own calls at boot (starting the outbox
 * dispatcher), Schedules and the dispatcher's idle rounds every two seconds make no traces,
 * and a trace never grows for as long as a long-lived workflow runs.
 */
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
} from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { Sampler, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Config } from './config';

export interface Tracing {
  /** Where spans go; the worker's `exporter` sink hands the workflow sandbox's spans to it too. */
  readonly spanProcessor: SpanProcessor;
  readonly resource: Resource;
  /** Sends every finished span now (the exporter batches them, up to 5 s apart). */
  flush(): Promise<void>;
  /** Flushes, stops exporting and unregisters the globals (a test starts and stops it again). */
  shutdown(): Promise<void>;
}

let started: Tracing | undefined;

/** The OTLP/HTTP traces address the config gives, if any: tracing is on exactly when there is one. */
export function tracesEndpoint(config: Config): string | undefined {
  if (config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (config.OTEL_EXPORTER_OTLP_ENDPOINT) return `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
  return undefined;
}

/**
 * Starts exporting traces when the config names an endpoint; otherwise does nothing and loads
 * nothing. `serviceName` is the default for OTEL_SERVICE_NAME.
 */
export async function startTracing(config: Config, serviceName: string): Promise<Tracing | undefined> {
  const url = tracesEndpoint(config);
  if (!url) return undefined;
  if (started) return started;
  const [base, { OTLPTraceExporter }] = await Promise.all([
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
  ]);
  return register(new base.BatchSpanProcessor(new OTLPTraceExporter({ url })), config.OTEL_SERVICE_NAME ?? serviceName);
}

/**
 * Starts tracing into the given span processor instead of a collector: for a benchmark that
 * collects the spans in memory (bench/breakdown.ts). Processes of the product never call it.
 */
export async function startLocalTracing(spanProcessor: SpanProcessor, serviceName: string): Promise<Tracing> {
  if (started) return started;
  return register(spanProcessor, serviceName);
}

async function register(spanProcessor: SpanProcessor, serviceName: string): Promise<Tracing> {
  const [{ NodeTracerProvider }, base, { Resource }, semconv] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/semantic-conventions'),
  ]);
  const resource = new Resource({ [semconv.ATTR_SERVICE_NAME]: serviceName });
  const requestRoots: Sampler = {
    shouldSample: (_context, _traceId, _name, kind) => ({
      decision: kind === SpanKind.SERVER ? base.SamplingDecision.RECORD_AND_SAMPLED : base.SamplingDecision.NOT_RECORD,
    }),
    toString: () => 'RequestRootsSampler',
  };
  const provider = new NodeTracerProvider({
    resource,
    sampler: new base.ParentBasedSampler({ root: requestRoots }),
    spanProcessors: [spanProcessor],
  });
  // The AsyncLocalStorage context manager and the W3C trace-context propagator, process-wide.
  provider.register();
  started = {
    spanProcessor,
    resource,
    flush: () => provider.forceFlush(),
    async shutdown() {
      started = undefined;
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
  return started;
}

/** The tracing this process started, if it did. */
export function activeTracing(): Tracing | undefined {
  return started;
}

/**
 * Runs `fn` in a client span (a call to PostgreSQL, to the SMTP server) under the current one;
 * just runs it while tracing is off.
 */
export function withSpan<T>(name: string, attributes: Attributes, fn: () => Promise<T>): Promise<T> {
  if (!started) return fn();
  return trace.getTracer('duban').startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await fn();
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** A W3C trace-context carrier (`traceparent`, maybe `tracestate`), as stored with queued work. */
export type TraceCarrier = Record<string, string>;

/**
 * The current span's context, to be stored with work that another process does later (a notice
 * the outbox mails); undefined while tracing is off or when the current trace is not sampled.
 */
export function currentTraceCarrier(): TraceCarrier | undefined {
  if (!started) return undefined;
  const span = trace.getSpanContext(context.active());
  if (!span || !(span.traceFlags & TraceFlags.SAMPLED)) return undefined;
  const carrier: TraceCarrier = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ? carrier : undefined;
}

/** Runs `fn` in the trace a stored carrier names, so its spans join the action that queued the work. */
export function inStoredTrace<T>(carrier: unknown, fn: () => T): T {
  if (!started || !carrier || typeof carrier !== 'object') return fn();
  return context.with(propagation.extract(ROOT_CONTEXT, carrier), fn);
}
