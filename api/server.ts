/** An API process for production: every endpoint from the environment, nothing embedded. */
import { buildApp } from './app';
import { purgeAudit } from './audit';
import { apiServices, appOptions } from '../app/compose';
import { loadConfig } from '../lib/config';
import { createDb } from '../lib/db';
import { refuseExposedProduction } from '../lib/exposure';
import { migrate } from '../lib/migrate';
import { connectClient } from '../lib/temporal-connect';
import { startTracing, tracesEndpoint } from '../lib/tracing';
import { createRegistry, metricsAddress, registerHttpMetrics, registerProductGauges } from '../lib/metrics';
import { startMetricsServer } from '../lib/metrics-server';
import { ready } from './read/health';

const config = loadConfig();
refuseExposedProduction(config, 'api');
if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required');
if (!config.AUTH_SECRET && !config.AUTH_JWKS_URL)
  throw new Error('AUTH_SECRET (at least 32 characters) or AUTH_JWKS_URL is required');
await migrate(config.DATABASE_URL);
// Before the Temporal client and the app, which add their spans only when tracing is on.
const tracing = await startTracing(config, 'duban-api');
const db = createDb(config.DATABASE_URL);
// Lazy: the API starts, and answers 503, while Temporal is still unreachable.
const { client: temporal, connection } = await connectClient(config, undefined, true);
const services = apiServices(config, { db, temporal });
// Metrics on a port of their own, never the public one (README, "Metrics").
const metricsAt = metricsAddress(config, 'api');
if (metricsAt?.port === config.API_PORT)
  throw new Error(`METRICS_ADDRESS must not be the API's public port ${config.API_PORT}`);
const registry = createRegistry();
const app = await buildApp({
  ...appOptions(config, services),
  logger: { level: config.LOG_LEVEL },
  ...(metricsAt ? { metrics: registerHttpMetrics(registry) } : {}),
});
if (metricsAt) registerProductGauges(registry, db);
const metrics = metricsAt
  ? await startMetricsServer({ ...metricsAt, registry, ready: () => ready(services) })
  : undefined;
await app.listen({ host: config.API_HOST, port: config.API_PORT });
app.log.info(`metrics: ${metrics ? `${metrics.url}/metrics` : 'off'}`);
app.log.info(`traces: ${tracing ? `OTLP/HTTP to ${tracesEndpoint(config)}` : 'off'}`);
const purge = async () => {
  const n = await purgeAudit(db, config.AUDIT_RETENTION_DAYS).catch(
    (err: unknown) => (app.log.error({ err }, 'audit purge failed'), 0),
  );
  if (n) app.log.info(`audit: ${n} entries past ${config.AUDIT_RETENTION_DAYS} days removed`);
};
await purge();
setInterval(() => void purge(), 24 * 3600_000).unref();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    await app.close();
    await metrics?.close();
    await db.$disconnect();
    await connection.close();
    await tracing?.shutdown();
    process.exit(0);
  });
}
