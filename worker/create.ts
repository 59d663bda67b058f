import { type NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { createActivities, type Activities } from '../activities';
import type { Db } from '../lib/db';
import type { Mailer } from '../lib/mailer';
import type { NotificationOptions } from '../activities/notifications';

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

export function createWorker(opts: WorkerOptions): Promise<Worker> {
  return Worker.create({
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
