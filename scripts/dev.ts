/**
 * The product on its embedded default, in one process: embedded PostgreSQL and the Temporal dev
 * server (data under .data/, kept across restarts), a worker, the API; demo data on first start.
 * Any of DATABASE_URL / TEMPORAL_ADDRESS set in the environment is used instead.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildApp } from '../api/app';
import { purgeAudit } from '../api/audit';
import { apiServices, appOptions, workerOptions, workflowCode } from '../app/compose';
import { loadConfig } from '../lib/config';
import { createDb } from '../lib/db';
import {
  DEMO_SUPERVISOR,
  demoUsers,
  loadDemoContacts,
  loadDemoItems,
  loadDemoPlans,
  loadDemoUnits,
  loadDemoUsers,
} from '../dev/demo';
import { loadDemoFanOut } from '../dev/demo-fanout';
import { loadDemoIndex } from '../dev/demo-index';
import { createEvidenceStore } from '../lib/evidence-store';
import { connectClient, connectNative } from '../lib/temporal-connect';
import { startTracing, tracesEndpoint } from '../lib/tracing';
import { ensureOutboxDispatcher } from '../workflows/client/items';
import { ensureReconcileSchedule } from '../workflows/client/reconcile';
import { createMailer } from '../lib/mailer';
import { startSmtpSink } from '../dev/smtp-sink';
import { startEmbeddedPostgres, type EmbeddedPg } from '../dev/embedded-postgres';
import { migrate } from '../lib/migrate';
import { setUpSearchAttributesOrExit } from '../lib/search-attributes-setup';
import { startTemporalDevServer, type DevServer } from '../dev/temporal-dev-server';
import { signToken } from '../lib/tokens';
import { ROLE_LABELS } from '../domain/actors';
import { ROOT } from '../lib/root';
import { createWorker } from '../worker/create';
import { createRegistry, metricsAddress, registerHttpMetrics, registerProductGauges } from '../lib/metrics';
import { startMetricsServer } from '../lib/metrics-server';
import { readiness } from '../lib/readiness';
import { installRuntime } from '../lib/temporal-runtime';

const env = loadConfig();
if (env.DUBAN_ENV === 'production') {
  console.error(
    'scripts/dev.ts runs the embedded stack, which is for development only; in production run api/server.ts and worker/main.ts (README, "Running in production").',
  );
  process.exit(78);
}
const dataDir = path.resolve(ROOT, env.DATA_DIR);
await mkdir(dataDir, { recursive: true });
const log = (msg: string) => console.log(`[duban] ${msg}`);

/** A secret generated on first start and kept in the data folder (the embedded default only). */
async function keptSecret(name: string, make: () => string): Promise<string> {
  const file = path.join(dataDir, name);
  if (!existsSync(file)) await writeFile(file, make(), { mode: 0o600 });
  return (await readFile(file, 'utf8')).trim();
}
const config = {
  ...env,
  AUTH_SECRET: env.AUTH_SECRET ?? (await keptSecret('auth-secret', () => randomBytes(32).toString('hex'))),
  PAYLOAD_KEY: env.PAYLOAD_KEY ?? (await keptSecret('payload-key', () => randomBytes(32).toString('base64'))),
};

let pg: EmbeddedPg | undefined;
let databaseUrl = config.DATABASE_URL;
if (!databaseUrl) {
  const port = config.PG_PORT;
  log(`starting embedded PostgreSQL on 127.0.0.1:${port} (data in ${path.join(dataDir, 'postgres')})`);
  pg = await startEmbeddedPostgres({ dir: path.join(dataDir, 'postgres'), port, quiet: true });
  await pg.createDatabase('duban');
  databaseUrl = pg.url('duban');
}
const applied = await migrate(databaseUrl);
log(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database schema is up to date');

let temporalServer: DevServer | undefined;
let temporalAddress = config.TEMPORAL_ADDRESS;
if (!process.env.TEMPORAL_ADDRESS) {
  const port = config.TEMPORAL_PORT;
  log(`starting Temporal dev server on 127.0.0.1:${port} (data in ${path.join(dataDir, 'temporal.db')})`);
  temporalServer = await startTemporalDevServer({
    port,
    uiPort: config.TEMPORAL_UI_PORT,
    dbFile: path.join(dataDir, 'temporal.db'),
  });
  temporalAddress = temporalServer.address;
}

// One process, one metrics port: the API's requests, the product's gauges and the SDK's worker metrics.
const metricsAt = metricsAddress(config, 'embedded');
const sdkMetricsUrl = await installRuntime({ level: 'WARN', sdkMetrics: metricsAt !== null });
let sink: Awaited<ReturnType<typeof startSmtpSink>> | undefined;
let smtpUrl = config.SMTP_URL;
const mailDir = path.join(dataDir, 'mail');
if (!smtpUrl) {
  sink = await startSmtpSink({ port: config.SMTP_SINK_PORT, dir: mailDir });
  smtpUrl = sink.url;
}
const mailer = createMailer(smtpUrl, { ratePerSecond: config.MAIL_RATE_PER_SECOND });
// Before the Temporal client, the worker and the app, which add their spans only when tracing is on.
const tracing = await startTracing(config, 'duban');
if (tracing) log(`traces: OTLP/HTTP to ${tracesEndpoint(config)}`);
const db = createDb(databaseUrl);
const nativeConnection = await connectNative(config, temporalAddress);
const { client, connection } = await connectClient(config, temporalAddress);
// The dev server has them from its flags; an external server may not (a real one starts with none).
await setUpSearchAttributesOrExit(connection, config.TEMPORAL_NAMESPACE, 'scripts/dev.ts', async () => {
  await temporalServer?.stop();
  await pg?.stop();
});
const worker = await createWorker(
  workerOptions(config, {
    connection: nativeConnection,
    db,
    temporal: client,
    workflowBundle: (await workflowCode(config)).bundle,
    mailer,
  }),
);
const workerDone = worker.run();
await ensureOutboxDispatcher(client, config.TEMPORAL_TASK_QUEUE);
await ensureReconcileSchedule(client, config.TEMPORAL_TASK_QUEUE, config.RECONCILE_INTERVAL_MINUTES);

const secret = config.AUTH_SECRET;
const options = appOptions(config, apiServices(config, { db, temporal: client }));
const users = await demoUsers();
const registry = createRegistry();
const app = await buildApp({
  ...options,
  // The terminal shows warnings only, unless LOG_LEVEL asks for more (a line per request at info).
  logger: { level: process.env.LOG_LEVEL ? config.LOG_LEVEL : 'warn' },
  demoSignIn: { users, secret },
  ...(metricsAt ? { metrics: registerHttpMetrics(registry) } : {}),
});
if (metricsAt) registerProductGauges(registry, db);
const metrics = metricsAt
  ? await startMetricsServer({
      ...metricsAt,
      registry,
      sdkMetricsUrl,
      ready: () => readiness({ db, connection, namespace: config.TEMPORAL_NAMESPACE }),
    })
  : undefined;
const address = await app.listen({ host: config.API_HOST, port: config.API_PORT });

await loadDemoUnits(db);
await loadDemoContacts(db);
await loadDemoUsers(db);
await purgeAudit(db, config.AUDIT_RETENTION_DAYS);
if (config.DEMO_DATA === 'on') {
  try {
    if (
      await loadDemoItems(
        db,
        client,
        config.TEMPORAL_TASK_QUEUE,
        config.MAX_DECLINES,
        createEvidenceStore(options.evidence.dir),
      )
    )
      log('loaded demo data: 22 annual tasks as one problem list, in several states');
    if (await loadDemoPlans(db, client, config.TEMPORAL_TASK_QUEUE))
      log(
        'loaded demo plans: seed 002 (18 标志性成果, 莲都) and seed 003 (22 重点任务, 深圳) with monitoring schedules; one cycle published',
      );
    if (await loadDemoFanOut(db, client, config.TEMPORAL_TASK_QUEUE, config.MAX_DECLINES))
      log(
        'loaded demo 举一反三: the 浙里食安 problem (共性) fanned out to 莲都 bureaus; a 安全生产 problem to 深圳 units',
      );
    // After the fan-out, so its answers count in the index.
    const indexRun = await loadDemoIndex(db, DEMO_SUPERVISOR);
    if (indexRun) log(`loaded demo 管控力指数: the quarter under way computed and published (${indexRun})`);
  } catch (err) {
    log(`demo data could not be loaded completely: ${(err as Error).message}`);
  }
}

console.log(`
督查督办 is running.
  Console:      ${address}/   (sign in by picking a demo user, or with a token below)
  API:          ${address}/api   (OpenAPI: ${address}/api/openapi.json)
  Metrics:      ${metrics ? `${metrics.url}/metrics   (readiness: ${metrics.url}/ready; not on the public port)` : 'off (METRICS_ADDRESS=off)'}
  Temporal UI:  ${temporalServer?.uiUrl ?? '(external Temporal at ' + temporalAddress + ')'}
  Temporal:     ${temporalAddress}   e.g. .tools/venv/bin/temporal workflow list --address ${temporalAddress} --query 'ItemStatus="rectifying"'
  PostgreSQL:   ${databaseUrl.replace(/:[^:@/]+@/, ':***@')}
  Mail:         ${sink ? `local SMTP sink ${smtpUrl}; every message is kept as an .eml file in ${mailDir}` : smtpUrl.replace(/:[^:@/]+@/, ':***@')}

Demo tokens (valid 8 hours), e.g. curl -H "Authorization: Bearer <token>" ${address}/api/items
${users.map((u) => `  ${u.name}（${ROLE_LABELS[u.role]}）\n    ${signToken(u, secret)}`).join('\n')}
More users and tokens: npm run user -- --help

Press Ctrl+C to stop; data is kept in ${dataDir}.
`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  log('stopping…');
  await app.close();
  await metrics?.close();
  // Temporal's runtime may already have begun the shutdown on the same signal.
  if (worker.getState() === 'RUNNING') worker.shutdown();
  await workerDone.catch(() => {});
  mailer.close();
  await sink?.close();
  await db.$disconnect();
  await connection.close();
  await nativeConnection.close();
  await tracing?.shutdown();
  await temporalServer?.stop();
  await pg?.stop();
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
