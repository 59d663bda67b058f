// The activity of bench/bare-recorded-workflow.ts: one row per (workflow, action), written once
// however often it is retried, as the item's record is. The table is the benchmark's own.
import type { Db } from '../lib/db';
import type { BareRecordActivities } from './bare-recorded-workflow';

export async function bareRecordActivities(db: Db): Promise<BareRecordActivities> {
  await db.$executeRawUnsafe(
    'CREATE TABLE IF NOT EXISTS bench_bare_records (workflow_id text NOT NULL, action text NOT NULL, PRIMARY KEY (workflow_id, action))',
  );
  return {
    async recordRow(workflowId, action) {
      await db.$executeRaw`INSERT INTO bench_bare_records (workflow_id, action) VALUES (${workflowId}, ${action}) ON CONFLICT DO NOTHING`;
    },
  };
}

/** How many rows the workflows whose ids start with `prefix` recorded for `action`. */
export async function bareRecorded(db: Db, prefix: string, action: string): Promise<number> {
  const rows = await db.$queryRaw<Array<{ n: bigint }>>`
    SELECT count(*) AS n FROM bench_bare_records WHERE starts_with(workflow_id, ${prefix}) AND action = ${action}`;
  return Number(rows[0]?.n ?? 0);
}
