import { type NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { createActivities, type Activities } from '../activities';
import type { Db } from '../lib/db';
import type { Mailer } from '../lib/mailer';
import type { NotificationOptions } from '../activities/notifications';
import { activeTracing } from '../lib/tracing';
import type { SerializableSpan } from '@temporalio/interceptors-opentelemetry';

export { bundleWorkflows } from './bundle';

export interface WorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue: string;
  db: Db;
  workflowBundle: WorkflowBundle;
  maxCachedWorkflows?: number;
  mailer?: Mailer;
  notifications?: NotificationOptions;
  /** For activities that start workflows (items opened from red monitoring indicators). */
  temporal?: Client;
  /** The payload codec (encryption); must match the clients'. */
  dataConverter?: DataConverter;
  /** Worker versioning: this worker is that version of that deployment. */
  deployment?: { name: string; buildId: string };
  /** The activities to register; by default built from db, mailer, notifications and temporal (a drill wraps them). */
  activities?: Activities;
}

export async function createWorker(opts: WorkerOptions): Promise<Worker> {
  return Worker.create({
    ...(await tracingOptions()),
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: opts.taskQueue,
    workflowBundle: opts.workflowBundle,
    activities:
      opts.activities ??
      createActivities({
        db: opts.db,
        ...(opts.mailer ? { mailer: opts.mailer } : {}),
        ...(opts.notifications ? { notifications: opts.notifications } : {}),
        ...(opts.temporal ? { temporal: opts.temporal } : {}),
      }),
    // A deploy must not cut a running activity off mid-write.
    shutdownGraceTime: '10 seconds',
    ...(opts.dataConverter ? { dataConverter: opts.dataConverter } : {}),
    ...(opts.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: opts.maxCachedWorkflows } : {}),
    ...(opts.deployment
      ? {
          workerDeploymentOptions: {
            useWorkerVersioning: true,
            version: { deploymentName: opts.deployment.name, buildId: opts.deployment.buildId },
            // Items live for months: they move to each new version and rely on patched() and the
            // replay gate, as the other workflows do. (Pinning the short ones would need a
            // per-workflow option that an unversioned worker's server refuses.)
            defaultVersioningBehavior: 'AUTO_UPGRADE' as const,
          },
        }
      : {}),
  });
}

/**
 * Spans for activities (the activity's span joins the workflow's trace through its headers), and
 * the sink that carries the workflow sandbox's spans out (workflows/tracing-interceptors.ts, in
 * every bundle). A worker that does not trace still takes that sink's calls, and drops them: a
 * traced API may send it traced Updates. Loaded only while the process traces (lib/tracing.ts).
 */
async function tracingOptions(): Promise<Pick<Parameters<typeof Worker.create>[0], 'interceptors' | 'sinks'>> {
  const tracing = activeTracing();
  if (!tracing) return { sinks: { exporter: { export: { fn: () => {} } } } };
  const otel = await import('@temporalio/interceptors-opentelemetry');
  const exporter = otel.makeWorkflowExporter(tracing.spanProcessor, tracing.resource);
  return {
    interceptors: {
      activity: [
        (ctx) => ({
          inbound: new otel.OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new otel.OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
    sinks: {
      exporter: {
        export: {
          // The SDK's exporter puts the whole WorkflowInfo on each span (search attributes, memo,
          // last result, ...): the ids are what a trace needs.
          fn: (info, spans: SerializableSpan[]) =>
            exporter.export.fn(
              pick(info, ['workflowId', 'runId', 'workflowType', 'taskQueue', 'namespace', 'attempt']),
              spans,
            ),
        },
      },
    },
  };
}

const pick = <T extends object, K extends keyof T>(o: T, keys: K[]) =>
  Object.fromEntries(keys.map((k) => [k, o[k]])) as T;
