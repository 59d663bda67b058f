/**
 * The demo's 管控力指数: the quarter under way computed over the demo items and published by the
 * demo's supervisor, so the ranking page and a unit's reasons have something to show. Runs once:
 * skipped when any run is published. dev/demo.ts calls it after the items are recorded.
 */
import { shanghaiDate } from '../domain/calendar';
import { quarterOf } from '../domain/control-index';
import { computeRun, publishRunInDb } from '../activities/control-index';
import type { Db } from '../lib/db';
import type { Actor } from '../domain/actors';

export async function loadDemoIndex(db: Db, by: Actor, now = Date.now()): Promise<string | null> {
  const [published] = await db.$queryRaw<Array<{ id: string }>>`
    SELECT id FROM index_runs WHERE status = 'published' LIMIT 1`;
  if (published) return null;
  const today = shanghaiDate(now);
  const run = await computeRun(db, {
    runId: `idx-demo-${quarterOf(today)}`,
    period: quarterOf(today),
    trigger: 'manual',
    by: { userId: by.userId, name: by.name },
    today,
  });
  await publishRunInDb(db, run.id, { userId: by.userId, name: by.name });
  return run.id;
}
