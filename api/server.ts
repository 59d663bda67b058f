/** An API process for production: every endpoint from the environment, nothing embedded. */
import { buildApp } from './app';
import { purgeAudit } from './audit';
import { apiServices, appOptions } from '../app/compose';
import { loadConfig } from '../lib/config';
import { createDb } from '../lib/db';
import { refuseExposedProduction } from '../lib/exposure';
import { migrate } from '../lib/migrate';
import { connectClient } from '../lib/temporal-connect';

const config = loadConfig();
refuseExposedProduction(config, 'api');
if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required');
if (!config.AUTH_SECRET && !config.AUTH_JWKS_URL)
  throw new Error('AUTH_SECRET (at least 32 characters) or AUTH_JWKS_URL is required');
await migrate(config.DATABASE_URL);
const db = createDb(config.DATABASE_URL);
// Lazy: the API starts, and answers 503, while Temporal is still unreachable.
const { client: temporal, connection } = await connectClient(config, undefined, true);
const services = apiServices(config, { db, temporal });
const app = await buildApp({ ...appOptions(config, services), logger: { level: 'info' } });
await app.listen({ host: config.API_HOST, port: config.API_PORT });
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
    await db.$disconnect();
    await connection.close();
    process.exit(0);
  });
}
