/**
 * Worker versioning (Temporal worker deployments) on the real dev server, driven by the official
 * CLI as an operator would: v1 made current serves a new item; an
 * item opened on v1 moves to v2 when v2 becomes current (items auto-upgrade and rely on
 * patched()), and its history says which version completed each task.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../lib/db';
import { toolPath } from '../../dev/tools';
import { itemWorkflowId } from '../../workflows/ids';
import { recordedUpdate } from '../../workflows/messages';
import { leadA } from '../support/actors';
import { act, open } from '../support/items';
import {
  connectTemporal,
  freshDatabase,
  startTestWorker,
  uniqueTaskQueue,
  type TemporalHandles,
} from '../support/stack';

let t: TemporalHandles;
let db: Db;
const taskQueue = uniqueTaskQueue('versioned');
const deployment = `duban-${taskQueue}`;

beforeAll(async () => {
  t = await connectTemporal();
  db = (await freshDatabase()).db;
});

afterAll(async () => {
  await db?.$disconnect();
  await t?.close();
});

function versionedWorker(buildId: string): Promise<Worker> {
  return startTestWorker(t, db, taskQueue, { WORKER_DEPLOYMENT_NAME: deployment, WORKER_BUILD_ID: buildId });
}

/** `temporal worker deployment set-current-version`, retried until the version's pollers have registered it. */
async function makeCurrent(buildId: string): Promise<void> {
  const until = Date.now() + 30_000;
  for (;;) {
    try {
      await promisify(execFile)(toolPath('temporal'), [
        'worker',
        'deployment',
        'set-current-version',
        '--address',
        t.address,
        '--deployment-name',
        deployment,
        '--build-id',
        buildId,
        '--yes',
      ]);
      return;
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** The deployment version that completed each workflow task of the item, in order. */
async function versionsOf(itemId: string): Promise<string[]> {
  const history = await t.client.workflow.getHandle(itemWorkflowId(itemId)).fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const done = e.workflowTaskCompletedEventAttributes;
    return done ? [done.deploymentVersion?.buildId ?? done.workerDeploymentVersion ?? '?'] : [];
  });
}

describe('worker versioning', () => {
  it('sends work to the current version, and moves a running item to the next one', async () => {
    const v1 = await versionedWorker('v1');
    const v2 = await versionedWorker('v2');
    const running1 = v1.run();
    let running2: Promise<void> | undefined;
    try {
      await makeCurrent('v1');
      const item = await open(t.client, taskQueue);
      await act(t.client, item, 'sign', leadA);
      expect(new Set(await versionsOf(item.id))).toEqual(new Set(['v1']));
      const described = await t.client.workflow.getHandle(itemWorkflowId(item.id)).describe();
      expect(described.raw.workflowExecutionInfo?.versioningInfo?.behavior).toBe(2); // AUTO_UPGRADE

      running2 = v2.run();
      await makeCurrent('v2');
      // The new current version reaches the task queue's routing within moments; each task
      // (here a read-your-writes Update, which changes nothing) goes where the routing says.
      const handle = t.client.workflow.getHandle(itemWorkflowId(item.id));
      const until = Date.now() + 30_000;
      while ((await handle.describe()).raw.workflowExecutionInfo?.versioningInfo?.deploymentVersion?.buildId !== 'v2') {
        if (Date.now() > until) throw new Error('the item never moved to v2');
        await handle.executeUpdate(recordedUpdate);
        await new Promise((r) => setTimeout(r, 300));
      }
      await act(t.client, item, 'filePlan', leadA, { plan: '整改方案' });
      const versions = await versionsOf(item.id);
      expect(versions[0]).toBe('v1');
      expect(versions[versions.length - 1]).toBe('v2');
      expect((await db.item.findUniqueOrThrow({ where: { id: item.id } })).status).toBe('rectifying');
    } finally {
      v1.shutdown();
      if (running2) v2.shutdown();
      await Promise.all([running1, running2]);
    }
  }, 120_000);
});
