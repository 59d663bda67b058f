import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shanghaiDate, shiftWorkingDays } from '../../domain/calendar';
import { parseItem } from '../../domain/item-schema';
import { RUNG_ACTIONS } from '../../domain/policy';
import { calendarOf, shippedYears } from '../../lib/calendar-store';
import type { Db } from '../../lib/db';
import { createEvidenceStore } from '../../lib/evidence-store';
import { loadDemoContacts, loadDemoItems, loadDemoUnits, loadDemoUsers } from '../../dev/demo';
import {
  connectTemporal,
  freshDatabase,
  startTestWorker,
  uniqueTaskQueue,
  type TemporalHandles,
} from '../support/stack';

/** Issue 16, problem 2: the demo data uses real dates; no item shows its ladder fired all at once. */
const cal = calendarOf(shippedYears());
const taskQueue = uniqueTaskQueue('demo-dates');
let t: TemporalHandles;
let db: Db;
let worker: Worker;
let running: Promise<void>;
let evidenceDir: string;

beforeAll(async () => {
  t = await connectTemporal();
  db = (await freshDatabase()).db;
  worker = await startTestWorker(t, db, taskQueue);
  running = worker.run();
  evidenceDir = await mkdtemp(path.join(tmpdir(), 'demo-evidence-'));
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await db?.$disconnect();
  await t?.close();
  if (evidenceDir) await rm(evidenceDir, { recursive: true, force: true });
});

describe('the demo data', () => {
  it('opens items due in the future, and its overdue ones as backdated imports that sent nothing from before them', async () => {
    await loadDemoUnits(db);
    await loadDemoContacts(db);
    await loadDemoUsers(db);
    expect(await loadDemoItems(db, t.client, taskQueue, 2, createEvidenceStore(evidenceDir))).toBe(true);
    const today = shanghaiDate(Date.now());
    const earliest = shiftWorkingDays(cal, today, 1).date;
    const rows = await db.item.findMany({ where: { problemListId: 'DEMO-2026' }, orderBy: { id: 'asc' } });
    expect(rows).toHaveLength(22);
    const backdated = rows.filter((r) => parseItem(r.snapshot).deadlines?.assignedOn !== today);
    expect(backdated.map((r) => r.id)).toEqual(['DEMO-2026-08', 'DEMO-2026-09']);
    for (const r of rows) {
      if (backdated.includes(r)) expect(r.dueDate < today).toBe(true);
      else expect(r.dueDate >= earliest).toBe(true);
    }
    // Give the workflows a moment: a rung due on opening fires at once.
    await new Promise((r) => setTimeout(r, 2000));
    expect(
      await db.notificationRequest.count({
        where: { subjectKind: 'item', subjectId: { in: rows.map((r) => r.id) }, kind: { in: [...RUNG_ACTIONS] } },
      }),
    ).toBe(0);
    for (const r of backdated) {
      const item = parseItem((await db.item.findUniqueOrThrow({ where: { id: r.id } })).snapshot);
      expect(item.deadlines!.fired.length).toBeGreaterThan(0);
      expect(item.deadlines!.fired.every((f) => f.notApplicable)).toBe(true);
      expect(item.deadlines!.light).not.toBe('green');
    }
  }, 180_000);
});
