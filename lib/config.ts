import { z } from 'zod';

/** Every setting comes from the environment, parsed once at boot; a bad value stops the process. */
const ConfigSchema = z.object({
  DATABASE_URL: z.string().url().optional(),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('duban-items'),
  API_HOST: z.string().default('127.0.0.1'),
  API_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  AUTH_SECRET: z.string().min(32, 'AUTH_SECRET must be at least 32 characters').optional(),
  MAX_DECLINES: z.coerce.number().int().min(0).max(10).default(2),
  DATA_DIR: z.string().default('.data'),
  DEMO_DATA: z.enum(['on', 'off']).default('on'),
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).optional(),
  /** e.g. smtp://user:pass@mail.example.gov.cn:587; unset in the embedded default, which runs a local sink. */
  SMTP_URL: z.string().url().optional(),
  MAIL_FROM: z.string().min(3).default('督查督办系统 <duban@localhost>'),
  MAIL_RATE_PER_SECOND: z.coerce.number().int().min(1).max(1000).default(20),
  /** Where people open the console: the link in every message. */
  PUBLIC_URL: z.string().url().default('http://127.0.0.1:3000'),
  /** After this long a message claimed by a worker that died is sent again (the duplicate window's far end). */
  NOTIFY_STALE_SENDING_MS: z.coerce.number().int().min(1000).default(120_000),
});
export type Config = z.infer<typeof ConfigSchema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
