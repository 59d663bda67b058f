import path from 'node:path';
import type { Config } from '../lib/config';
import { createEvidenceStore } from '../lib/evidence-store';
import { ROOT } from '../lib/tools';
import type { AppOptions } from './app';
import type { Services } from './items-service';

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
