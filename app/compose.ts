/**
 * One composition root: what the API, the worker and the embedded default build from the parsed
 * config. api/server.ts, worker/main.ts and scripts/dev.ts all call these, and so do the tests
 * and the benchmarks (from `configWith(...)`: the schema's defaults and what they set on purpose),
 * so a setting added to the config schema once reaches every process and every test. It sits
 * above api/, worker/ and lib/, which never import it; only the process entries, tests and
 * benchmarks do.
 */
import type { Client } from '@temporalio/client';
import type { NativeConnection, WorkflowBundle } from '@temporalio/worker';
import path from 'node:path';
import type { AppOptions } from '../api/app';
import type { Services } from '../api/services';
import { loadWorkflowBundle, type WorkflowCode } from '../worker/bundle';
import type { WorkerOptions } from '../worker/create';
import type { Config } from '../lib/config';
import type { Db } from '../lib/db';
import { createEvidenceStore } from '../lib/evidence-store';
import type { Mailer } from '../lib/mailer';
import { temporalOptions } from '../lib/temporal-connect';
import { ROOT } from '../lib/root';

/** The API's services: the database, the Temporal client, and the settings its handlers read. */
export function apiServices(config: Config, deps: { db: Db; temporal: Client }): Services {
  return {
    db: deps.db,
    temporal: deps.temporal,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    maxDeclines: config.MAX_DECLINES,
    temporalTimeoutMs: config.TEMPORAL_TIMEOUT_MS,
  };
}

/** The app's options as configured: tokens, evidence folder, limits. */
export function appOptions(config: Config, services: Services, overrides: { authSecret?: string } = {}): AppOptions {
  const secret = overrides.authSecret ?? config.AUTH_SECRET;
  return {
    services,
    auth: {
      ...(secret ? { secret } : {}),
      ...(config.AUTH_JWKS_URL ? { jwksUrl: config.AUTH_JWKS_URL } : {}),
      ...(config.AUTH_ISSUER ? { issuer: config.AUTH_ISSUER } : {}),
      ...(config.AUTH_AUDIENCE ? { audience: config.AUTH_AUDIENCE } : {}),
      userCacheMs: config.AUTH_USER_CACHE_MS,
    },
    evidence: createEvidenceStore(path.resolve(ROOT, config.DATA_DIR, config.EVIDENCE_DIR)),
    limits: {
      perMinute: config.RATE_LIMIT_PER_MINUTE,
      mailPerMinute: config.RATE_LIMIT_MAIL_PER_MINUTE,
      evidenceBytes: config.EVIDENCE_MAX_BYTES,
    },
    hsts: config.DUBAN_ENV === 'production',
  };
}

/**
 * The workflow code the worker runs: the prebuilt bundle at WORKFLOW_BUNDLE when it was built from
 * the workflow sources as they are, otherwise workflows/ bundled now.
 */
export function workflowCode(config: Config): Promise<WorkflowCode> {
  return loadWorkflowBundle(path.resolve(ROOT, config.WORKFLOW_BUNDLE));
}

/** The worker's options: queue, cache, payload codec, notifications and versioning from the config. */
export function workerOptions(
  config: Config,
  deps: { connection: NativeConnection; db: Db; temporal: Client; workflowBundle: WorkflowBundle; mailer?: Mailer },
): WorkerOptions {
  return {
    connection: deps.connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    db: deps.db,
    workflowBundle: deps.workflowBundle,
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    dataConverter: temporalOptions(config).dataConverter,
    temporal: deps.temporal,
    mailer: deps.mailer,
    notifications: {
      from: config.MAIL_FROM,
      publicUrl: config.PUBLIC_URL,
      staleSendingMs: config.NOTIFY_STALE_SENDING_MS,
    },
    ...(config.WORKER_DEPLOYMENT_NAME && config.WORKER_BUILD_ID
      ? { deployment: { name: config.WORKER_DEPLOYMENT_NAME, buildId: config.WORKER_BUILD_ID } }
      : {}),
  };
}
