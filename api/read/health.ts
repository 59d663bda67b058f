import { readiness, type Readiness } from '../../lib/readiness';
import type { Services } from '../services';

/** Whether PostgreSQL and Temporal answer now (Temporal within two seconds). */
export async function health(s: Services): Promise<{ database: boolean; temporal: boolean }> {
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
}

/** Whether this API process can serve: lib/readiness.ts's checks against its own clients and namespace. */
export function ready(s: Services): Promise<Readiness> {
  return readiness({ db: s.db, connection: s.temporal.connection, namespace: s.temporal.options.namespace });
}
