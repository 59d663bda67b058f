import { z } from 'zod';

/** How long the API waits for Temporal on one call before it answers 503 (`TEMPORAL_TIMEOUT_MS`). */
export const DEFAULT_TEMPORAL_TIMEOUT_MS = 15_000;

const Port = z.coerce.number().int().min(0).max(65535);

/** Every setting comes from the environment, parsed once at boot; a bad value stops the process. */
const ConfigSchema = z.object({
  DATABASE_URL: z.string().url().optional(),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('duban-items'),
  /** How long the API waits for Temporal on one call (start, update, query) before it answers 503. */
  TEMPORAL_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(DEFAULT_TEMPORAL_TIMEOUT_MS),
  /** The embedded default only: its PostgreSQL's port when DATABASE_URL is unset (also where the CLIs look). */
  PG_PORT: Port.default(54329),
  /** The embedded default only: its Temporal dev server's port when TEMPORAL_ADDRESS is unset. */
  TEMPORAL_PORT: Port.default(7233),
  /** The embedded default only: the dev server's web UI; unset, TEMPORAL_PORT + 1000. */
  TEMPORAL_UI_PORT: Port.optional(),
  /** The embedded default only: its local SMTP sink's port when SMTP_URL is unset. */
  SMTP_SINK_PORT: Port.default(2525),
  API_HOST: z.string().default('127.0.0.1'),
  API_PORT: Port.default(3000),
  /** development (the embedded default) or production (refuses to start with anything exposed or unset). */
  DUBAN_ENV: z.enum(['development', 'production']).default('development'),
  AUTH_SECRET: z.string().min(32, 'AUTH_SECRET must be at least 32 characters').optional(),
  /** An organisation's single sign-on: tokens signed by the keys published here are accepted too. */
  AUTH_JWKS_URL: z.string().url().optional(),
  AUTH_ISSUER: z.string().min(1).optional(),
  AUTH_AUDIENCE: z.string().min(1).optional(),
  /** How long a user's role and unit are cached: a disabled user is locked out within this. */
  AUTH_USER_CACHE_MS: z.coerce.number().int().min(0).max(600_000).default(5000),
  /** AES-256 key (base64 of 32 bytes) that encrypts every Temporal payload; old keys still decode. */
  PAYLOAD_KEY: z.string().optional(),
  PAYLOAD_KEYS_OLD: z.string().optional(),
  /** TLS or an API key for a Temporal server that is not on this machine. */
  TEMPORAL_TLS_CERT: z.string().optional(),
  TEMPORAL_TLS_KEY: z.string().optional(),
  TEMPORAL_TLS_CA: z.string().optional(),
  TEMPORAL_API_KEY: z.string().optional(),
  /** Where evidence files are kept (content-addressed); relative to DATA_DIR unless absolute. */
  EVIDENCE_DIR: z.string().default('evidence'),
  EVIDENCE_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024 * 1024)
    .default(20 * 1024 * 1024),
  /** 等保 2.0 asks for at least 180 days of audit records. */
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(180, 'AUDIT_RETENTION_DAYS must be at least 180').default(180),
  /**
   * Requests per token and minute. Sized for a day of real work (README, Configuration): a
   * handler taking 50 items an hour through the console makes about 850 requests an hour, at
   * most some 70 in its busiest minute; this is the whole hour's work in one minute.
   */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(1200),
  /**
   * Requests that send mail (opening items, actions, problem lists) per token and minute: the
   * 200 actions of 50 items taken from signing to submission fit in one minute. A replayed
   * stored answer (Idempotency-Key) counts in neither limit.
   */
  RATE_LIMIT_MAIL_PER_MINUTE: z.coerce.number().int().min(1).default(300),
  MAX_DECLINES: z.coerce.number().int().min(0).max(10).default(2),
  DATA_DIR: z.string().default('.data'),
  DEMO_DATA: z.enum(['on', 'off']).default('on'),
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).optional(),
  /**
   * The prebuilt workflow bundle (`npm run build:workflows`, run by scripts/setup.sh); relative to
   * the repository unless absolute. A worker runs it when it was built from the workflow sources
   * as they are, and otherwise bundles workflows/ itself at boot.
   */
  WORKFLOW_BUNDLE: z.string().min(1).default('generated/workflow-bundle.js'),
  /**
   * Worker versioning (Temporal worker deployments): both set, the worker polls as version
   * `<name>.<build id>` and gets work only once that version is made current (README, "Deploying
   * new workflow code").
   */
  WORKER_DEPLOYMENT_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,100}$/, 'letters, digits, _ and - only')
    .optional(),
  WORKER_BUILD_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,100}$/, 'letters, digits, _ . and - only')
    .optional(),
  /** e.g. smtp://user:pass@mail.example.gov.cn:587; unset in the embedded default, which runs a local sink. */
  SMTP_URL: z.string().url().optional(),
  MAIL_FROM: z.string().min(3).default('督查督办系统 <duban@localhost>'),
  MAIL_RATE_PER_SECOND: z.coerce.number().int().min(1).max(1000).default(20),
  /** Where people open the console: the link in every message. */
  PUBLIC_URL: z.string().url().default('http://127.0.0.1:3000'),
  /** After this long a message claimed by a worker that died is sent again (the duplicate window's far end). */
  NOTIFY_STALE_SENDING_MS: z.coerce.number().int().min(1000).default(120_000),
  /**
   * OpenTelemetry traces (lib/tracing.ts), off unless one of these is set: the OTLP/HTTP
   * collector's base address (`/v1/traces` is appended, as the OTel spec says) or the traces
   * address itself. The standard OTEL_EXPORTER_OTLP_HEADERS etc. are read by the exporter.
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().url().optional(),
  /** The service.name spans carry; unset, duban-api, duban-worker or duban (the embedded default). */
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  /** How often the reconciliation (rows against workflows, rungs against notices) runs: its Schedule's interval. */
  RECONCILE_INTERVAL_MINUTES: z.coerce.number().int().min(1).max(1440).default(15),
  /** The API's and the worker's JSON logs: debug adds the SDK's workflow and activity starts and ends. */
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /**
   * Where this process serves Prometheus metrics (and /ready, /live): host:port, never the API's
   * public port; unset, 127.0.0.1 and a fixed port per kind of process (lib/metrics.ts); `off`
   * serves none.
   */
  METRICS_ADDRESS: z
    .string()
    .regex(/^(off|\[[0-9A-Fa-f:.]+\]:\d{1,5}|[^\s:[\]]+:\d{1,5})$/, 'host:port, [v6]:port, or off')
    .optional(),
});

const VersionedSchema = ConfigSchema.refine((c) => !c.WORKER_DEPLOYMENT_NAME === !c.WORKER_BUILD_ID, {
  message: 'set both WORKER_DEPLOYMENT_NAME and WORKER_BUILD_ID, or neither',
  path: ['WORKER_BUILD_ID'],
}).transform((c) => ({ ...c, TEMPORAL_UI_PORT: c.TEMPORAL_UI_PORT ?? c.TEMPORAL_PORT + 1000 }));
export type Config = z.output<typeof VersionedSchema>;
/** Settings as the environment spells them, by name: what `configWith` takes. */
export type ConfigEnv = { [K in keyof z.input<typeof ConfigSchema>]?: string };

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = VersionedSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/**
 * The schema's defaults with these settings and nothing from the environment: how tests and
 * benchmarks build the config they hand to the composition root (app/compose.ts).
 */
export function configWith(settings: ConfigEnv = {}): Config {
  return loadConfig(settings);
}
