/**
 * The prebuilt workflow bundle production workers run (`npm run build:workflows`, worker/bundle.ts):
 * a worker built by the composition root from a config that names a freshly built bundle runs it,
 * and an item moves on it; a bundle built from other workflow sources, or none, is not run.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerOptions, workflowCode } from '../../app/compose';
import type { Db } from '../../lib/db';
import { buildWorkflowBundle, prebuiltWorkflowBundle, workflowSourcesStamp } from '../../worker/bundle';
import { createWorker } from '../../worker/create';
import { leadA } from '../support/actors';
import { testConfig } from '../support/config';
import { act, open } from '../support/items';
import { connectTemporal, freshDatabase, uniqueTaskQueue, type TemporalHandles } from '../support/stack';

let dir: string;
let t: TemporalHandles;
let db: Db;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'duban-bundle-'));
  t = await connectTemporal();
  db = (await freshDatabase()).db;
});

afterAll(async () => {
  await db?.$disconnect();
  await t?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the prebuilt workflow bundle', () => {
  it('is what a worker runs when it is current, and an item moves on it', async () => {
    const file = path.join(dir, 'workflow-bundle.js');
    const { stamp } = await buildWorkflowBundle(file);
    expect(stamp).toBe(await workflowSourcesStamp());
    const taskQueue = uniqueTaskQueue('prebuilt');
    const config = testConfig({ TEMPORAL_TASK_QUEUE: taskQueue, WORKFLOW_BUNDLE: file });
    const code = await workflowCode(config);
    expect(code.prebuilt).toBe(true);
    expect(code.bundle.code).toBe(await readFile(file, 'utf8'));
    const worker = await createWorker(
      workerOptions(config, { connection: t.nativeConnection, db, temporal: t.client, workflowBundle: code.bundle }),
    );
    await worker.runUntil(async () => {
      const item = await open(t.client, taskQueue);
      expect((await act(t.client, item, 'sign', leadA)).status).toBe('signed');
      expect((await db.item.findUniqueOrThrow({ where: { id: item.id } })).status).toBe('signed');
    });
  }, 120_000);

  it('is not run when it was built from other workflow sources, or is missing', async () => {
    const built = await readFile(path.join(dir, 'workflow-bundle.js'), 'utf8');
    const stale = path.join(dir, 'stale.js');
    await writeFile(
      stale,
      built.replace(/duban-workflow-sources=[0-9a-f]+/, 'duban-workflow-sources=0000000000000000'),
    );
    expect(await prebuiltWorkflowBundle(stale)).toEqual({ reason: expect.stringMatching(/other workflow sources/) });
    expect(await prebuiltWorkflowBundle(path.join(dir, 'missing.js'))).toEqual({
      reason: expect.stringMatching(/no prebuilt bundle/),
    });
  });
});
