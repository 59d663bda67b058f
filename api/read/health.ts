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
