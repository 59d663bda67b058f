/**
 * The config the tests build their services, apps and workers from: the schema's defaults
 * (lib/config.ts) with what the tests set on purpose, handed to the composition root
 * (app/compose.ts) exactly as the production processes hand theirs. Nothing is read from the
 * environment the tests run in.
 */
import { configWith, type Config, type ConfigEnv } from '../../lib/config';

export const TEST_SECRET = 'test-secret-test-secret-test-secret-0123';

/** Tests run with payload encryption on, as the product does: one key for clients, workers and worker processes. */
export const TEST_PAYLOAD_KEY = Buffer.alloc(32, 7).toString('base64');

/**
 * What every test sets: its token secret, the payload key, and no user cache (a test changes a
 * user's role and expects the next request to see it).
 */
const TEST_SETTINGS: ConfigEnv = {
  AUTH_SECRET: TEST_SECRET,
  AUTH_USER_CACHE_MS: '0',
  PAYLOAD_KEY: TEST_PAYLOAD_KEY,
};

/** The tests' config with these settings on top; a setting given as undefined is unset. */
export function testConfig(settings: ConfigEnv = {}): Config {
  return configWith({ ...TEST_SETTINGS, ...settings });
}
