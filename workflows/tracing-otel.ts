/**
 * Temporal's OpenTelemetry workflow interceptors, with a tracer that records a span only under a
 * sampled parent. Loaded into a workflow by workflows/tracing-interceptors.ts at its first traced
 * call, never before: the OpenTelemetry SDK's modules are evaluated in the sandbox of a workflow
 * that a traced request reached, and in no other.
 */
/* eslint-disable no-restricted-imports -- the package's lib/ is its build folder, not our adapters: these are its workflow-side modules */
// First: it gives the sandbox the `performance` global that OpenTelemetry's modules read as they load.
import '@temporalio/interceptors-opentelemetry/lib/workflow/runtime';
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  ParentBasedSampler,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { context, trace, TraceFlags, type Tracer } from '@opentelemetry/api';
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import { SpanExporter } from '@temporalio/interceptors-opentelemetry/lib/workflow/span-exporter';
/* eslint-enable no-restricted-imports */

let tracer: Tracer | undefined;

/** The interceptors' own tracer samples every root span; this one only those under a sampled parent. */
function parentSampledTracer(): Tracer {
  tracer ??= new BasicTracerProvider({
    sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }),
    spanProcessors: [new SimpleSpanProcessor(new SpanExporter())],
  }).getTracer('@temporalio/interceptor-workflow');
  return tracer;
}

class Inbound extends OpenTelemetryInboundInterceptor {
  protected override readonly tracer = parentSampledTracer();
}

class Outbound extends OpenTelemetryOutboundInterceptor {
  protected override readonly tracer = parentSampledTracer();
}

export function otelInterceptors() {
  return {
    inbound: new Inbound(),
    outbound: new Outbound(),
    internals: new OpenTelemetryInternalsInterceptor(),
    /** Whether the code running now is inside a sampled span (a traced call's handler). */
    sampledSpanActive(): boolean {
      const span = trace.getSpanContext(context.active());
      return !!span && (span.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
    },
  };
}
