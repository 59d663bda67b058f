import { readiness, type Readiness } from '../../lib/readiness';
import type { Services } from '../services';

/**
 * How long one answer of the dependency checks serves every caller. The health routes are exempt
 * from the rate limit (a load balancer probing from a shared address must never be told 429), so
 * a flood of probes costs at most one round of checks a second; a probe sees an outage at most
 * this late.
 */
export const HEALTH_CACHE_MS = 1000;

/** One check shared by concurrent callers and reused for HEALTH_CACHE_MS after it settles. */
function cached<T>(run: (s: Services) => Promise<T>): (s: Services) => Promise<T> {
  const last = new WeakMap<Services, { answer: Promise<T>; until: number }>();
  return (s) => {
    const hit = last.get(s);
    if (hit && Date.now() < hit.until) return hit.answer;
    const entry = { answer: run(s), until: Infinity };
    last.set(s, entry);
    void entry.answer.finally(() => (entry.until = Date.now() + HEALTH_CACHE_MS)).catch(() => undefined);
    return entry.answer;
  };
}

/** Whether PostgreSQL and Temporal answer now (Temporal within two seconds). */
export const health = cached(async (s): Promise<{ database: boolean; temporal: boolean }> => {
  const [database, temporal] = await Promise.all([
    s.db.$queryRaw`SELECT 1`.then(
      () => true,
      () => false,
    ),
    s.temporal.connection
      .withDeadline(Date.now() + 2000, () => s.temporal.workflowService.getSystemInfo({}))
      .then(
        () => true,
        () => false,
      ),
  ]);
  return { database, temporal };
});

/** Whether this API process can serve: lib/readiness.ts's checks against its own clients and namespace. */
export const ready = cached((s): Promise<Readiness> =>
  readiness({ db: s.db, connection: s.temporal.connection, namespace: s.temporal.options.namespace }),
);
