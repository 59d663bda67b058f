import type { Client } from '@temporalio/client';
import { buildApp, type App } from '../../api/app';
import type { Actor } from '../../domain/actors';
import type { Db } from '../../lib/db';
import { connectTemporal, freshDatabase, startTestWorker, type TemporalHandles } from './stack';
import { signToken } from '../../lib/tokens';

export const TEST_SECRET = 'test-secret-test-secret-test-secret-0123';

export function bearer(actor: Actor, secret = TEST_SECRET): Record<string, string> {
  return { authorization: `Bearer ${signToken(actor, secret)}` };
}

export async function testApp(db: Db, temporal: Client, taskQueue: string, temporalTimeoutMs = 15_000): Promise<App> {
  return buildApp({ services: { db, temporal, taskQueue, maxDeclines: 2, temporalTimeoutMs }, authSecret: TEST_SECRET });
}

export async function seedUnits(db: Db): Promise<void> {
  await db.unit.createMany({
    data: [
      { id: 'dcs', name: '市委督查室', parentId: null, kind: 'supervision' },
      { id: 'unit-a', name: '市民政局', parentId: null, kind: 'bureau' },
      { id: 'unit-b', name: '市财政局', parentId: null, kind: 'bureau' },
      { id: 'unit-c', name: '市公安局', parentId: null, kind: 'bureau' },
      { id: 'unit-x', name: '市教育局', parentId: null, kind: 'bureau' },
    ],
    skipDuplicates: true,
  });
}

/**
 * Everything a refused request must leave untouched. Escalations are left out: the ladder of
 * items opened by earlier tests keeps firing on its own timers meanwhile.
 */
export async function dbFingerprint(db: Db) {
  const [items, events, lists] = await Promise.all([
    db.item.findMany({ orderBy: { id: 'asc' } }),
    db.itemEvent.count({ where: { action: { not: 'escalate' } } }),
    db.problemList.count(),
  ]);
  return JSON.stringify({ items: items.map((i) => [i.id, i.status, i.dueDate, i.leadUnitId, i.returnCount, i.declineCount]), events, lists });
}

export interface ApiStack {
  t: TemporalHandles;
  db: Db;
  app: App;
  close(): Promise<void>;
}

/** The whole stack for an API test file: its own database with the test units, a worker on its own task queue, the app. */
export async function startApiStack(taskQueue: string): Promise<ApiStack> {
  const t = await connectTemporal();
  const { db } = await freshDatabase();
  await seedUnits(db);
  const worker = await startTestWorker(t, db, taskQueue);
  const running = worker.run();
  const app = await testApp(db, t.client, taskQueue);
  return {
    t,
    db,
    app,
    async close() {
      await app.close();
      worker.shutdown();
      await running;
      await db.$disconnect();
      await t.close();
    },
  };
}
