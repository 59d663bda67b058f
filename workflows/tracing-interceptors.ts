/**
 * The workflow side of tracing (lib/tracing.ts), bundled into the workflow code of every worker,
 * tracing or not (worker/bundle.ts): workflow code must run the same on every worker that may
 * replay it, so nothing here depends on a worker's settings, only on the calls' Temporal headers,
 * which are in the history. Where the spans go is the worker's business (its `exporter` sink,
 * worker/create.ts).
 *
 * A call that carries no sampled trace context (the header Temporal's OpenTelemetry client
 * interceptor writes) goes straight to the workflow, exactly as without this module: so every
 * history recorded before it replays as it ran, and a workflow nobody traces (a Schedule's, the
 * outbox dispatcher, anything while tracing is off) never evaluates the OpenTelemetry SDK in its
 * sandbox. The first traced start, signal or accepted Update loads Temporal's interceptors
 * (workflows/tracing-otel.ts) into that workflow; from then on its outbound calls made inside a
 * sampled span are traced too. Queries and Update validators never load them: a query or a
 * refused Update leaves nothing in history, so it must not change what a later replay does.
 */
import { defaultPayloadConverter, type Headers } from '@temporalio/common';
import type {
  Next,
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptorsFactory,
  WorkflowInternalsInterceptor,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import type * as TracingOtel from './tracing-otel';

/** Where @temporalio/interceptors-opentelemetry puts the W3C trace context in a call's headers. */
const TRACE_HEADER = '_tracer-data';

/** Whether the call's headers carry a sampled trace context (`traceparent`'s flags, bit 0). */
function sampled(headers: Headers): boolean {
  const payload = headers[TRACE_HEADER];
  if (!payload) return false;
  let traceparent: unknown;
  try {
    traceparent = defaultPayloadConverter.fromPayload<{ traceparent?: unknown }>(payload)?.traceparent;
  } catch {
    return false; // not a header we know how to read: the call is not traced
  }
  return typeof traceparent === 'string' && (parseInt(traceparent.split('-')[3] ?? '0', 16) & 1) === 1;
}

type Otel = ReturnType<typeof TracingOtel.otelInterceptors>;
let otel: Otel | undefined;

function loaded(): Otel {
  // Required here, not imported: its modules are evaluated only in a workflow a traced call reached.
  otel ??= (require('./tracing-otel') as typeof TracingOtel).otelInterceptors();
  return otel;
}

type In = WorkflowInboundCallsInterceptor;
type Out = WorkflowOutboundCallsInterceptor;

const inbound: In = {
  execute: (input, next: Next<In, 'execute'>) =>
    sampled(input.headers) ? loaded().inbound.execute(input, next) : next(input),
  handleSignal: (input, next: Next<In, 'handleSignal'>) =>
    sampled(input.headers) ? loaded().inbound.handleSignal(input, next) : next(input),
  handleUpdate: (input, next: Next<In, 'handleUpdate'>) =>
    sampled(input.headers) ? loaded().inbound.handleUpdate(input, next) : next(input),
};

/** Inside a sampled span only, which exists only once a traced call loaded the interceptors. */
const traced = () => otel?.sampledSpanActive() === true;

const outbound: Out = {
  scheduleActivity: (input, next: Next<Out, 'scheduleActivity'>) =>
    traced() ? otel!.outbound.scheduleActivity(input, next) : next(input),
  scheduleLocalActivity: (input, next: Next<Out, 'scheduleLocalActivity'>) =>
    traced() ? otel!.outbound.scheduleLocalActivity(input, next) : next(input),
  startChildWorkflowExecution: (input, next: Next<Out, 'startChildWorkflowExecution'>) =>
    traced() ? otel!.outbound.startChildWorkflowExecution(input, next) : next(input),
  continueAsNew: (input, next: Next<Out, 'continueAsNew'>) =>
    traced() ? otel!.outbound.continueAsNew(input, next) : next(input),
  signalWorkflow: (input, next: Next<Out, 'signalWorkflow'>) =>
    traced() ? otel!.outbound.signalWorkflow(input, next) : next(input),
};

const internals: WorkflowInternalsInterceptor = {
  dispose: (input, next: Next<WorkflowInternalsInterceptor, 'dispose'>) =>
    otel ? void otel.internals.dispose(input, next) : next(input),
};

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [inbound],
  outbound: [outbound],
  internals: [internals],
});
