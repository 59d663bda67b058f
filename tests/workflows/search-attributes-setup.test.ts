/**
 * Set-up against a Temporal server that has none of the product's search attributes (a dev
 * server started without its flags, as a real server starts): the worker process registers
 * them before it polls, and refuses to start, saying why, when it cannot. The same on a real
 * cluster is in tests/long/cluster.test.ts.
 */
import { msToTs } from '@temporalio/common/lib/time';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEARCH_ATTRIBUTES } from '../../domain/search-attributes';
import type { Db } from '../../lib/db';
import { freePort } from '../../dev/ports';
import { startTemporalDevServer, type DevServer } from '../../dev/temporal-dev-server';
import {
  ensureSearchAttributes,
  missingSearchAttributes,
  SearchAttributeSetupError,
} from '../../lib/search-attributes-setup';
import { open } from '../support/items';
import { connectTemporal, freshDatabase, uniqueTaskQueue, type TemporalHandles } from '../support/stack';
import { waitFor } from '../support/wait';
import { kill9, startWorkerProcess } from '../support/worker-process';
import type { ChildProcess } from 'node:child_process';

const ALL = Object.keys(SEARCH_ATTRIBUTES).sort();
let server: DevServer;
let t: TemporalHandles;
let db: Db;
let url: string;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  server = await startTemporalDevServer({ port: await freePort(), searchAttributes: false });
  t = await connectTemporal(server.address);
  ({ db, url } = await freshDatabase());
}, 120_000);

afterAll(async () => {
  for (const w of workers) await kill9(w);
  await db?.$disconnect();
  await t?.close();
  await server?.stop();
});

describe('search attributes on a server that lacks them', () => {
  it('refuses to start a worker on a namespace that does not exist, naming it, and creates none', async () => {
    const started = startWorkerProcess({
      DATABASE_URL: url,
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: 'no-such-office',
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue('sa'),
    });
    await expect(started).rejects.toThrow(
      /exited early \(78\)[\s\S]*命名空间 no-such-office 不存在[\s\S]*does not exist/,
    );
    await expect(t.connection.workflowService.describeNamespace({ namespace: 'no-such-office' })).rejects.toThrow(
      /not found/i,
    );
  });

  it('refuses, naming it, when one is registered with another type, and adds nothing', async () => {
    const namespace = 'clash';
    await t.connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    await t.connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: { Light: proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT },
    });
    const err = await ensureSearchAttributes(t.connection, namespace).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SearchAttributeSetupError);
    expect((err as SearchAttributeSetupError).reason).toBe('wrong-type');
    expect((err as Error).message).toMatch(
      /Light 已注册为 Int，需要 Keyword[\s\S]*Light is Int, the product needs Keyword/,
    );
    expect((await missingSearchAttributes(t.connection, namespace)).sort()).toEqual(ALL);
    const listed = await t.connection.operatorService.listSearchAttributes({ namespace });
    expect(Object.keys(listed.customAttributes ?? {})).toEqual(['Light']);
  });

  it('lets the worker process register them before it polls; items then work and are found by them', async () => {
    expect((await missingSearchAttributes(t.connection, 'default')).sort()).toEqual(ALL);
    const taskQueue = uniqueTaskQueue('sa');
    workers.push(
      await startWorkerProcess({ DATABASE_URL: url, TEMPORAL_ADDRESS: server.address, TEMPORAL_TASK_QUEUE: taskQueue }),
    );
    expect(await missingSearchAttributes(t.connection, 'default')).toEqual([]);
    // Upserting them is what failed every workflow task before: an item opens and is recorded.
    const item = await open(t.client, taskQueue);
    expect(item.status).toBe('assigned');
    expect((await db.item.findUniqueOrThrow({ where: { id: item.id } })).status).toBe('assigned');
    await waitFor(
      async () =>
        (await t.client.workflow.count(`ItemStatus = "assigned" AND LeadUnit = "unit-a"`)).count === 1 || undefined,
    );
    // A second worker finds them there and adds nothing.
    expect(await ensureSearchAttributes(t.connection, 'default')).toEqual([]);
  }, 120_000);
});
