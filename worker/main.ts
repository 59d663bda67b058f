import { workerOptions, workflowCode } from '../app/compose';
import { loadConfig } from '../lib/config';
import { refuseExposedProduction } from '../lib/exposure';
import { connectClient, connectNative } from '../lib/temporal-connect';
import { createDb } from '../lib/db';
import { ensureOutboxDispatcher } from '../workflows/client/items';
import { createMailer } from '../lib/mailer';
import { createWorker } from './create';

/** A worker process: `DATABASE_URL`, `TEMPORAL_ADDRESS`, `TEMPORAL_TASK_QUEUE` from the environment. */
const config = loadConfig();
refuseExposedProduction(config, 'worker');
if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required for a worker process');
const db = createDb(config.DATABASE_URL);
const connection = await connectNative(config);
const { client } = await connectClient(config);
const mailer = config.SMTP_URL
  ? createMailer(config.SMTP_URL, { ratePerSecond: config.MAIL_RATE_PER_SECOND })
  : undefined;
if (!mailer) console.warn('SMTP_URL is not set: notifications are recorded and shown in the app, but not mailed');
const code = await workflowCode(config);
// Production runs the bundle built with the deploy (README, "Running in production").
if (code.prebuilt) console.log(`worker runs ${code.description}`);
else console.warn(`worker runs ${code.description}`);
const worker = await createWorker(
  workerOptions(config, { connection, db, temporal: client, workflowBundle: code.bundle, mailer }),
);
await ensureOutboxDispatcher(client, config.TEMPORAL_TASK_QUEUE);
console.log(`worker ready on task queue ${config.TEMPORAL_TASK_QUEUE}`);
await worker.run();
mailer?.close();
await db.$disconnect();
await connection.close();
await client.connection.close();
