import type { Config } from './config';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', '[::1]']);

function hostOf(address: string): string {
  const m = /^\[([^\]]+)\]/.exec(address);
  return m ? (m[1] as string) : (address.split(':')[0] ?? address);
}

/**
 * What a production process refuses to start with: anything that would leave Temporal, the
 * database or the tokens open to whoever can reach them. Empty means it may start. Pure, so the
 * rules are tested one by one.
 */
export function productionProblems(config: Config, role: 'api' | 'worker'): string[] {
  const problems: string[] = [];
  if (role === 'api' && !config.AUTH_SECRET && !config.AUTH_JWKS_URL)
    problems.push('AUTH_SECRET or AUTH_JWKS_URL must be set: tokens could not be verified');
  if (!config.PAYLOAD_KEY)
    problems.push('PAYLOAD_KEY must be set: item contents would be stored in clear text in Temporal');
  if (!config.DATABASE_URL) {
    problems.push('DATABASE_URL must be set: the embedded PostgreSQL is for development only');
  } else {
    const db = new URL(config.DATABASE_URL);
    if (!db.password) problems.push('DATABASE_URL has no password: the database must require authentication');
    const ssl = db.searchParams.get('sslmode');
    if (!LOOPBACK.has(db.hostname) && !['require', 'verify-ca', 'verify-full'].includes(ssl ?? '')) {
      problems.push(
        `DATABASE_URL points at ${db.hostname} without sslmode=require/verify-full: credentials and data would cross the network in clear text`,
      );
    }
  }
  const temporalHost = hostOf(config.TEMPORAL_ADDRESS);
  const temporalAuth = (config.TEMPORAL_TLS_CERT && config.TEMPORAL_TLS_KEY) || config.TEMPORAL_API_KEY;
  if (!LOOPBACK.has(temporalHost) && !temporalAuth) {
    problems.push(
      `TEMPORAL_ADDRESS ${config.TEMPORAL_ADDRESS} is not on this machine and neither TLS client certificates (TEMPORAL_TLS_CERT/KEY) nor TEMPORAL_API_KEY is set: anyone reaching that port could read and drive every case`,
    );
  }
  if (role === 'api' && !config.PUBLIC_URL.startsWith('https://'))
    problems.push('PUBLIC_URL must be https:// in production: links in mail carry acknowledgement tokens');
  return problems;
}

/** Called first thing by every production entry point. */
export function refuseExposedProduction(config: Config, role: 'api' | 'worker'): void {
  if (config.DUBAN_ENV !== 'production') return;
  const problems = productionProblems(config, role);
  if (problems.length === 0) return;
  console.error(`refusing to start (DUBAN_ENV=production):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(78);
}
