import { workerOptions, workflowCode } from '../app/compose';
import { loadConfig } from '../lib/config';
import { refuseExposedProduction } from '../lib/exposure';
import { connectClient, connectNative } from '../lib/temporal-connect';
import { createDb } from '../lib/db';
import { ensureOutboxDispatcher } from '../workflows/client/items';
import { ensureReconcileSchedule } from '../workflows/client/reconcile';
import { ensureControlIndexSchedule } from '../workflows/client/control-index-schedule';
import { createMailer } from '../lib/mailer';
import { setUpSearchAttributesOrExit } from '../lib/search-attributes-setup';
import { createWorker } from './create';
import { startTracing, tracesEndpoint } from '../lib/tracing';
import { createRegistry, metricsAddress } from '../lib/metrics';
import { startMetricsServer } from '../lib/metrics-server';
import { readiness } from '../lib/readiness';
import { installRuntime, runtimeLogger } from '../lib/temporal-runtime';

/** A worker process: `DATABASE_URL`, `TEMPORAL_ADDRESS`, `TEMPORAL_TASK_QUEUE` from the environment. */
const config = loadConfig();
refuseExposedProduction(config, 'worker');
if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required for a worker process');
// Before any native connection: JSON logs, and the SDK's metrics when this process serves metrics.
const metricsAt = metricsAddress(config, 'worker');
const sdkMetricsUrl = await installRuntime({
  level: config.LOG_LEVEL.toUpperCase() as Uppercase<typeof config.LOG_LEVEL>,
  sdkMetrics: metricsAt !== null,
});
const log = runtimeLogger();
// Before the Temporal client and the worker, which add their interceptors only when tracing is on.
const tracing = await startTracing(config, 'duban-worker');
if (tracing) log.info(`traces: OTLP/HTTP to ${tracesEndpoint(config)}`);
const db = createDb(config.DATABASE_URL);
const connection = await connectNative(config);
const { client } = await connectClient(config);
await setUpSearchAttributesOrExit(client.connection, config.TEMPORAL_NAMESPACE, 'worker');
const mailer = config.SMTP_URL
  ? createMailer(config.SMTP_URL, { ratePerSecond: config.MAIL_RATE_PER_SECOND })
  : undefined;
if (!mailer) log.warn('SMTP_URL is not set: notifications are recorded and shown in the app, but not mailed');
const code = await workflowCode(config);
// Production runs the bundle built with the deploy (README, "Running in production").
if (code.prebuilt) log.info(`worker runs ${code.description}`);
else log.warn(`worker runs ${code.description}`);
const worker = await createWorker(
  workerOptions(config, { connection, db, temporal: client, workflowBundle: code.bundle, mailer }),
);
await ensureOutboxDispatcher(client, config.TEMPORAL_TASK_QUEUE);
await ensureReconcileSchedule(client, config.TEMPORAL_TASK_QUEUE, config.RECONCILE_INTERVAL_MINUTES);
await ensureControlIndexSchedule(client, config.TEMPORAL_TASK_QUEUE);
const metrics = metricsAt
  ? await startMetricsServer({
      ...metricsAt,
      registry: createRegistry(),
      sdkMetricsUrl,
      ready: () => readiness({ db, connection: client.connection, namespace: config.TEMPORAL_NAMESPACE }),
    })
  : undefined;
log.info(`worker ready on task queue ${config.TEMPORAL_TASK_QUEUE}`, { metrics: metrics?.url ?? 'off' });
await worker.run();
await metrics?.close();
mailer?.close();
await db.$disconnect();
await connection.close();
await client.connection.close();
await tracing?.shutdown();
