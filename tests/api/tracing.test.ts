/**
 * Traces: with OTEL_EXPORTER_OTLP_ENDPOINT set, one action through HTTP is one trace, from the
 * API's server span through the Temporal client, the workflow and the activity to PostgreSQL,
 * and on to the SMTP conversation the outbox has later for the notice it asked for, each span
 * the child of the one that caused it. The spans are collected by an OTLP/HTTP receiver on
 * loopback, as a collector (Jaeger, Tempo, the OTel collector) would receive them.
 */
import { Worker } from '@temporalio/worker';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../api/app';
import { workerOptions } from '../../app/compose';
import type { Db } from '../../lib/db';
import { createMailer, type Mailer } from '../../lib/mailer';
import { startTracing, type Tracing } from '../../lib/tracing';
import { createWorker } from '../../worker/create';
import { ensureOutboxDispatcher } from '../../workflows/client/items';
import { outboxDispatcherId } from '../../workflows/outbox-dispatcher';
import * as people from '../support/actors';
import { leadA, supervisor } from '../support/actors';
import { bearer, seedUnits, seedUsers, testApp } from '../support/api';
import { testConfig } from '../support/config';
import { declareYearsAhead, DUE } from '../support/dates';
import { otlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp';
import { OFFICE_HOURS, testSmtp, type TestSmtp } from '../support/smtp';
import {
  connectTemporal,
  freshDatabase,
  TEST_DATA_CONVERTER,
  uniqueTaskQueue,
  workflowBundle,
  type TemporalHandles,
} from '../support/stack';
import { waitFor } from '../support/wait';

const SERVER = 2;
const CLIENT = 3;
const taskQueue = uniqueTaskQueue('traces');

let receiver: OtlpReceiver;
let tracing: Tracing;
let t: TemporalHandles;
let db: Db;
let smtp: TestSmtp;
let mailer: Mailer;
let worker: Worker;
let running: Promise<void>;
let app: App;
let base: string;

beforeAll(async () => {
  receiver = await otlpReceiver();
  const config = testConfig({
    TEMPORAL_TASK_QUEUE: taskQueue,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_SERVICE_NAME: 'duban-traces-test',
  });
  // First, as a process entry does: the client, worker and app built next add their spans.
  tracing = (await startTracing(config, 'duban'))!;
  t = await connectTemporal();
  db = (await freshDatabase()).db;
  await seedUnits(db);
  await seedUsers(db, Object.values(people));
  await declareYearsAhead(db);
  await db.contact.create({
    data: { id: 'c-a-h', unitId: 'unit-a', role: 'handler', name: '张经办', email: 'zhang@mz.example.gov.cn' },
  });
  smtp = await testSmtp();
  mailer = createMailer(smtp.url, { ratePerSecond: 1000, timeoutMs: 2000 });
  const options = workerOptions(config, {
    connection: t.nativeConnection,
    db,
    temporal: t.client,
    workflowBundle: await workflowBundle(),
    mailer,
  });
  // The outbox's clock in office hours, so the 交办通知 (not urgent) goes out whatever the day.
  worker = await createWorker({ ...options, notifications: { ...options.notifications!, now: () => OFFICE_HOURS } });
  running = worker.run();
  await ensureOutboxDispatcher(t.client, taskQueue);
  app = await testApp(db, t.client, taskQueue);
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await t?.client.workflow
    .getHandle(outboxDispatcherId(taskQueue))
    .terminate('test over')
    .catch(() => {});
  await app?.close();
  worker?.shutdown();
  await running;
  mailer?.close();
  await smtp?.stop();
  await tracing?.shutdown();
  await receiver?.close();
  await db?.$disconnect();
  await t?.close();
});

/** A request over HTTP; its X-Request-Id finds its server span. */
async function post(path: string, actor: typeof supervisor, body: unknown) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { ...bearer(actor), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, requestId: res.headers.get('x-request-id')!, json: (await res.json()) as any };
}

/** The trace of the request with this id, once it holds every span named (the workers' spans come later). */
async function traceOf(requestId: string, names: string[]): Promise<ReceivedSpan[]> {
  return waitFor(async () => {
    await tracing.flush();
    const server = receiver.spans.find((s) => s.kind === SERVER && s.attributes['duban.request_id'] === requestId);
    const trace = server ? receiver.spans.filter((s) => s.traceId === server.traceId) : [];
    return names.every((n) => trace.some((s) => s.name === n)) ? trace : undefined;
  }, 30_000);
}

/** The one span of that name in the trace, and it is the child of `parent`. */
function childOf(trace: ReceivedSpan[], name: string, parent: ReceivedSpan): ReceivedSpan {
  const spans = trace.filter((s) => s.name === name);
  expect(spans, name).toHaveLength(1);
  expect(spans[0]!.parentSpanId, `${name}'s parent`).toBe(parent.spanId);
  return spans[0]!;
}

const item = {
  title: '某小区消防通道被占用',
  description: '专项督查发现：3号楼消防通道堆放杂物',
  category: 'inspection',
  priority: 'high',
  source: '2026年消防安全专项督查',
  leadUnitId: 'unit-a',
  coUnitIds: [],
  dueDate: DUE,
};

describe('traces with OTEL_EXPORTER_OTLP_ENDPOINT set', () => {
  let itemId: string;

  it('opening an item: API, update-with-start, workflow, activity, PostgreSQL, and the 交办通知 mailed later', async () => {
    const opened = await post('/api/items', supervisor, item);
    expect(opened.status, JSON.stringify(opened.json)).toBe(201);
    itemId = opened.json.item.id;
    const trace = await traceOf(opened.requestId, [
      'HandleUpdate:recorded',
      'RunActivity:recordTransition',
      'INSERT items, item_events',
      'SMTP send',
    ]);
    const server = trace.find((s) => s.kind === SERVER)!;
    expect(server).toMatchObject({
      name: 'POST /api/items',
      service: 'duban-traces-test',
      attributes: { 'http.route': '/api/items', 'http.response.status_code': 201 },
    });
    expect(server.parentSpanId).toBeUndefined();
    // The API's stages (api/items-service.ts) are spans of their own: the start is one of them.
    const client = childOf(trace, 'UpdateWithStartWorkflow:recorded', childOf(trace, 'stage temporal.start', server));
    expect(client.attributes).toMatchObject({ temporalWorkflowId: `item-${itemId}` });
    childOf(trace, 'HandleUpdate:recorded', client);
    // The creation is recorded by the workflow's main function, under its RunWorkflow span (which
    // ends with the item, months later: not exported yet); the activity runs in the worker.
    const scheduled = trace.find((s) => s.name === 'StartActivity:recordTransition')!;
    expect(scheduled.parentSpanId).toBeDefined();
    const ran = childOf(trace, 'RunActivity:recordTransition', scheduled);
    expect(ran.attributes).toMatchObject({ temporalWorkflowId: `item-${itemId}` });
    const recorded = childOf(trace, 'stage record', ran);
    const write = childOf(trace, 'INSERT items, item_events', recorded);
    expect(write).toMatchObject({ kind: CLIENT, attributes: { 'db.system': 'postgresql' } });
    // The dispatcher, another workflow, mailed the notice seconds later: its SMTP span joins the
    // trace of the action that asked for it, under the activity's stage that recorded the request.
    const mail = childOf(trace, 'SMTP send', recorded);
    expect(mail).toMatchObject({ kind: CLIENT, attributes: { 'server.port': smtp.port } });
    expect(smtp.received.map((m) => m.subject)).toContainEqual(expect.stringContaining('交办通知'));
  });

  it('a unit signs: API, Update, the handler, the activity it awaits, PostgreSQL, each under the one before', async () => {
    const signed = await post(`/api/items/${itemId}/sign`, leadA, { note: '已签收' });
    expect(signed.status, JSON.stringify(signed.json)).toBe(200);
    const trace = await traceOf(signed.requestId, ['INSERT items, item_events']);
    const server = trace.find((s) => s.kind === SERVER)!;
    expect(server).toMatchObject({
      name: 'POST /api/items/:id/sign',
      attributes: { 'http.route': '/api/items/:id/sign', 'http.response.status_code': 200 },
    });
    const client = childOf(trace, 'StartWorkflowUpdate:act', childOf(trace, 'stage temporal.update', server));
    const handler = childOf(trace, 'HandleUpdate:act', client);
    // Local or ordinary: the span names are the same either way.
    const scheduled = childOf(trace, 'StartActivity:recordTransition', handler);
    const ran = childOf(trace, 'RunActivity:recordTransition', scheduled);
    childOf(trace, 'INSERT items, item_events', childOf(trace, 'stage record', ran));
    // No raw URL anywhere: ids and tokens are in paths.
    expect(JSON.stringify(trace)).not.toContain(`/api/items/${itemId}`);
  });

  it('replays the traced item’s history on a worker that does not trace (tracing never changes what a workflow does)', async () => {
    const history = await t.client.workflow.getHandle(`item-${itemId}`).fetchHistory();
    expect(JSON.stringify(history)).toContain('_tracer-data');
    await Worker.runReplayHistory(
      {
        workflowBundle: await workflowBundle(),
        dataConverter: TEST_DATA_CONVERTER,
        sinks: { exporter: { export: { fn: () => {} } } },
      },
      history,
      `item-${itemId}`,
    );
  });

  it('keeps the rest out: the dispatcher’s rounds, begun by no request, make no trace', async () => {
    await tracing.flush();
    const roots = receiver.spans.filter((s) => !s.parentSpanId);
    expect(roots.length).toBeGreaterThanOrEqual(2);
    expect(roots.every((s) => s.kind === SERVER)).toBe(true);
    expect(receiver.spans.some((s) => s.name.includes('dispatchOutbox'))).toBe(false);
  });
});
