/** An API process for production: every endpoint from the environment, nothing embedded. */
import { Client, Connection } from '@temporalio/client';
import { buildApp } from './app';
import { loadConfig } from '../lib/config';
import { createDb } from '../lib/db';
import { migrate } from '../lib/migrate';

const config = loadConfig();
if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required');
if (!config.AUTH_SECRET) throw new Error('AUTH_SECRET is required (at least 32 characters)');
await migrate(config.DATABASE_URL);
const db = createDb(config.DATABASE_URL);
// Lazy: the API starts, and answers 503, while Temporal is still unreachable.
const connection = Connection.lazy({ address: config.TEMPORAL_ADDRESS });
const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
const app = await buildApp({
  services: { db, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, maxDeclines: config.MAX_DECLINES, temporalTimeoutMs: 15_000 },
  authSecret: config.AUTH_SECRET,
  logger: { level: 'info' },
});
await app.listen({ host: config.API_HOST, port: config.API_PORT });
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    await app.close();
    await db.$disconnect();
    await connection.close();
    process.exit(0);
  });
}
