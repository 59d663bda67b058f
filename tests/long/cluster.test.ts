/**
 * Long drill (npm run drills): the product on a Temporal cluster as production runs one. The
 * server v1.32.2 built from its Go module (dev/temporal-cluster.ts), on PostgreSQL (persistence
 * and SQL visibility, schema by its sql tool), frontend, matching, two history processes and the
 * system worker as separate processes; the namespace created with the CLI and nothing else: the
 * product's worker registers its search attributes. Two worker processes and two API processes;
 * clients take items through their lifecycle over HTTP (retrying with the same Idempotency-Key,
 * as the console does) while other items' rungs fall due; a few seconds before they do, one
 * history process and one worker are killed with SIGKILL. Every action confirmed exactly once,
 * PostgreSQL's sequence equal to the workflow's, every rung once, and the CLI's lists equal to
 * PostgreSQL. Prints its figures.
 */
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../domain/actors';
import { shanghaiDate } from '../../domain/calendar';
import { DEFAULT_POLICY, type Policy } from '../../domain/policy';
import { SEARCH_ATTRIBUTES } from '../../domain/search-attributes';
import type { Db } from '../../lib/db';
import { missingSearchAttributes } from '../../lib/search-attributes-setup';
import { freePort } from '../../dev/ports';
import { startTemporalCluster, type TemporalCluster } from '../../dev/temporal-cluster';
import { openItem } from '../../workflows/client/items';
import { itemWorkflowId } from '../../workflows/ids';
import * as people from '../support/actors';
import { bearer, seedUnits, seedUsers, TEST_SECRET } from '../support/api';
import { DUE } from '../support/dates';
import { newItemId, spec } from '../support/items';
import { connectTemporal, freshDatabase, uniqueTaskQueue, type TemporalHandles } from '../support/stack';
import { kill9, startApiProcess, startWorkerProcess } from '../support/worker-process';

/** Concurrent HTTP clients, each taking one item after another from open to closed. */
const CLIENTS = 8;
/** Items left open whose one rung falls due a few seconds after the kill. */
const RUNGS = 20;
const KILL_BEFORE_DUE_MS = 8_000;
/** Load goes on this long after the rungs' due time. */
const LOAD_AFTER_DUE_MS = 25_000;

let dir: string;
let cluster: TemporalCluster;
let t: TemporalHandles;
let db: Db;
const apis: string[] = [];
const workers: ChildProcess[] = [];
const children: ChildProcess[] = [];
let missingBefore: string[] = [];
let missingAfterFirstWorker: string[] = [];
const taskQueue = uniqueTaskQueue('cluster');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'duban-cluster-'));
  // Builds the server on the first run (about 10 minutes), then takes about a minute.
  cluster = await startTemporalCluster({ dir, log: (line) => console.log(`[cluster] ${line}`) });
  const fresh = await freshDatabase();
  db = fresh.db;
  await seedUnits(db);
  await seedUsers(db, Object.values(people));
  t = await connectTemporal(cluster.address);
  missingBefore = await missingSearchAttributes(t.connection, cluster.namespace);
  const env = {
    DATABASE_URL: fresh.url,
    TEMPORAL_ADDRESS: cluster.address,
    TEMPORAL_NAMESPACE: cluster.namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    AUTH_SECRET: TEST_SECRET,
    // The drill's few users act far faster than people do.
    RATE_LIMIT_PER_MINUTE: '100000',
    RATE_LIMIT_MAIL_PER_MINUTE: '100000',
  };
  // The first worker registers the search attributes before it polls; the others find them.
  const first = await startWorkerProcess(env);
  workers.push(first);
  children.push(first);
  missingAfterFirstWorker = await missingSearchAttributes(t.connection, cluster.namespace);
  const [second, ...apiProcs] = await Promise.all([
    startWorkerProcess(env),
    ...[await freePort(), await freePort()].map(async (port) => {
      const proc = await startApiProcess({ ...env, API_PORT: String(port), API_HOST: '127.0.0.1' });
      apis.push(`http://127.0.0.1:${port}`);
      return proc;
    }),
  ]);
  workers.push(second!);
  children.push(second!, ...apiProcs);
}, 1_800_000);

afterAll(async () => {
  for (const c of children) await kill9(c);
  await db?.$disconnect();
  await t?.close();
  await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Sent {
  sentAt: number;
  confirmedAt: number;
  attempts: number;
}
const sent: Sent[] = [];

/**
 * One action over HTTP as the console sends it: the same Idempotency-Key until it is confirmed
 * (a 5xx, a dropped connection or "still in progress" are retried), alternating the two APIs.
 */
let turn = 0;
async function call(urlPath: string, actor: Actor, body: unknown): Promise<Record<string, unknown>> {
  const key = `cluster:${urlPath}:${createHash('sha256').update(JSON.stringify(body)).digest('hex')}`;
  const sentAt = Date.now();
  for (let attempt = 1; Date.now() - sentAt < 180_000; attempt++) {
    const api = apis[turn++ % apis.length]!;
    try {
      const res = await fetch(`${api}${urlPath}`, {
        method: 'POST',
        headers: { ...bearer(actor), 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      if (res.ok) {
        sent.push({ sentAt, confirmedAt: Date.now(), attempts: attempt });
        return JSON.parse(text) as Record<string, unknown>;
      }
      if (res.status < 500 && !text.includes('request_in_progress'))
        throw new Error(`${urlPath} refused: ${res.status} ${text}`);
    } catch (err) {
      if ((err as Error).message.includes('refused:')) throw err;
    }
    await sleep(Math.min(2_000, 200 * attempt));
  }
  throw new Error(`${urlPath}: not confirmed within 180 s`);
}

const STEPS: Array<[string, Actor, unknown]> = [
  ['sign', people.leadA, {}],
  ['filePlan', people.leadA, { plan: '整改方案' }],
  ['submit', people.leadA, { summary: '申请销号' }],
  ['verifyPass', people.verifier, { opinion: '通过' }],
];

/** Each history shard's range id, from the cluster's persistence. */
async function shardRanges(): Promise<Map<number, number>> {
  const client = new pg.Client({ connectionString: cluster.postgres.url('temporal') });
  await client.connect();
  try {
    const rows = (await client.query<{ shard_id: number; range_id: string }>('SELECT shard_id, range_id FROM shards'))
      .rows;
    return new Map(rows.map((r) => [r.shard_id, Number(r.range_id)]));
  } finally {
    await client.end();
  }
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

describe('the product on a Temporal cluster (PostgreSQL, services as separate processes)', () => {
  it('keeps every action and every rung exactly once through the loss of a history process and a worker', async () => {
    // Set-up against a real server: it had none of them; the first worker registered them all.
    expect(missingBefore.sort()).toEqual(Object.keys(SEARCH_ATTRIBUTES).sort());
    expect(missingAfterFirstWorker).toEqual([]);

    // Rungs: due on the first minute boundary at least 75 s away, today made a working day (the
    // calendar is data) so that the closure deadline is today at that minute (as tests/long/timer-kill).
    const dueAt = Math.ceil((Date.now() + 75_000) / 60_000) * 60_000;
    const today = shanghaiDate(Date.now());
    if (shanghaiDate(dueAt) !== today)
      return expect.fail('too close to midnight in Shanghai: run the drill again in a few minutes');
    await db.calendarYear.create({
      data: {
        year: Number(today.slice(0, 4)),
        holidays: [],
        workdays: [{ date: today, name: 'drill' }],
        source: 'drill',
        updatedBy: 'drill',
      },
    });
    const policy: Policy = {
      ...DEFAULT_POLICY,
      id: 'drill-cluster',
      workdayEnd: new Date(dueAt + 8 * 3600_000).toISOString().slice(11, 16),
      ladder: [{ key: 'closure-urge', step: 'closure', offset: 0, action: 'urge', targets: ['handler'] }],
    };
    const rungIds: string[] = [];
    for (let i = 0; i < RUNGS; i++) {
      const item = await openItem(t.client, taskQueue, {
        id: newItemId(),
        problemListId: null,
        spec: spec({ dueDate: today }),
        createdBy: people.supervisor,
        config: { maxDeclines: 2 },
        policy,
      });
      rungIds.push(item.id);
    }

    // Load over HTTP until after the rungs are due; the kill lands in the middle of it.
    const loadStart = Date.now();
    const loadUntil = dueAt + LOAD_AFTER_DUE_MS;
    const itemIds: string[] = [];
    let n = 0;
    const clients = Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < loadUntil) {
        const created = await call('/api/items', people.supervisor, {
          title: `集群演练 ${n++}`,
          leadUnitId: 'unit-a',
          dueDate: DUE,
        });
        const id = (created.item as { id: string }).id;
        itemIds.push(id);
        for (const [action, actor, body] of STEPS) await call(`/api/items/${id}/${action}`, actor, body);
      }
    });
    await sleep(dueAt - KILL_BEFORE_DUE_MS - Date.now());
    const shardsBefore = await shardRanges();
    const killAt = Date.now();
    await Promise.all([cluster.kill('history-1'), kill9(workers[0]!)]);
    expect(await db.itemEvent.count({ where: { itemId: { in: rungIds }, action: 'escalate' } })).toBe(0);
    await Promise.all(clients);
    const loadEnd = Date.now();
    // The killed process owned shards: the survivor took them over (a shard's range id grows when
    // a new owner acquires it).
    const shardsAfter = await shardRanges();
    const moved = [...shardsBefore].filter(([id, range]) => (shardsAfter.get(id) ?? range) > range).length;
    expect(moved).toBeGreaterThan(0);

    // Every rung fires on the survivors.
    await expect
      .poll(() => db.itemEvent.count({ where: { itemId: { in: rungIds }, action: 'escalate' } }), {
        timeout: 120_000,
        interval: 1_000,
      })
      .toBeGreaterThanOrEqual(RUNGS);
    await sleep(3_000);

    // Every action confirmed exactly once: one event per transition, in order.
    const items = await db.item.findMany({ where: { id: { in: itemIds } } });
    expect(items).toHaveLength(itemIds.length);
    expect(items.every((i) => i.status === 'closed')).toBe(true);
    const events = await db.itemEvent.findMany({ where: { itemId: { in: itemIds } }, orderBy: { seq: 'asc' } });
    const byItem = new Map<string, string[]>();
    for (const e of events) byItem.set(e.itemId, [...(byItem.get(e.itemId) ?? []), e.action]);
    for (const id of itemIds)
      expect(byItem.get(id)?.filter((a) => a !== 'escalate')).toEqual([
        'create',
        'sign',
        'filePlan',
        'submit',
        'verifyPass',
      ]);
    // PostgreSQL's sequence is the workflow's: nothing recorded that Temporal does not hold.
    for (const item of [...items, ...(await db.item.findMany({ where: { id: { in: rungIds } } }))]) {
      const wf = await t.client.workflow.getHandle(itemWorkflowId(item.id)).query<{ seq: number }>('item');
      expect(wf.seq, item.id).toBe(item.seq);
    }

    // Every rung once, none early, each notice requested once.
    const rungs = await db.itemEvent.findMany({ where: { itemId: { in: rungIds }, action: 'escalate' } });
    const perItem = new Map<string, number>();
    for (const e of rungs) perItem.set(e.itemId, (perItem.get(e.itemId) ?? 0) + 1);
    expect(perItem.size).toBe(RUNGS);
    expect([...perItem.values()].every((c) => c === 1)).toBe(true);
    const lateness = rungs.map((e) => {
      const p = e.payload as { firedAt: string; dueAt: string };
      return Date.parse(p.firedAt) - Date.parse(p.dueAt);
    });
    expect(Math.min(...lateness)).toBeGreaterThanOrEqual(0);
    expect(
      await db.notificationRequest.count({ where: { subjectKind: 'item', subjectId: { in: rungIds }, kind: 'urge' } }),
    ).toBe(RUNGS);

    // The CLI's lists (SQL visibility, written behind the histories) agree with PostgreSQL.
    const cliIds = async (status: string) =>
      (await cluster.cli(['workflow', 'list', '--query', `ItemStatus="${status}"`, '--limit', '10000', '-o', 'jsonl']))
        .split('\n')
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as { execution: { workflowId: string } }).execution.workflowId)
        .sort();
    const cliCount = async (status: string) =>
      Number(/(\d+)/.exec(await cluster.cli(['workflow', 'count', '--query', `ItemStatus="${status}"`]))?.[1]);
    const closedInPg = items.map((i) => itemWorkflowId(i.id)).sort();
    await expect.poll(() => cliIds('closed'), { timeout: 60_000, interval: 1_000 }).toEqual(closedInPg);
    expect(await cliCount('closed')).toBe(await db.item.count({ where: { status: 'closed' } }));
    const openInPg = (await db.item.findMany({ where: { status: 'assigned' } }))
      .map((i) => itemWorkflowId(i.id))
      .sort();
    expect(openInPg).toEqual(rungIds.map(itemWorkflowId).sort());
    expect(await cliIds('assigned')).toEqual(openInPg);

    const latencies = sent.map((s) => s.confirmedAt - s.sentAt);
    const inFlight = sent.filter((s) => s.sentAt <= killAt && s.confirmedAt > killAt);
    const retried = sent.filter((s) => s.attempts > 1);
    lateness.sort((a, b) => a - b);
    console.log(
      [
        `cluster drill: ${itemIds.length} items opened and closed over HTTP (${sent.length} actions, ${CLIENTS} clients), ${RUNGS} rungs`,
        `  throughput ${(sent.length / ((loadEnd - loadStart) / 1000)).toFixed(1)} actions/s; latency p50 ${pct(latencies, 50)} ms, p99 ${pct(latencies, 99)} ms, max ${Math.max(...latencies)} ms`,
        `  history-1 and worker 1 killed (SIGKILL) ${KILL_BEFORE_DUE_MS / 1000} s before the rungs were due (${moved} of ${shardsBefore.size} shards moved to history-2): ${inFlight.length} actions in flight, the last confirmed ${inFlight.length ? Math.max(...inFlight.map((s) => s.confirmedAt)) - killAt : 0} ms after the kill; ${retried.length} actions needed a retry`,
        `  rungs: ${RUNGS} fired once each, lateness p50 ${pct(lateness, 50)} ms, max ${lateness[lateness.length - 1]} ms`,
        `  machine: ${os.cpus().length} cores, load average ${os
          .loadavg()
          .map((l) => l.toFixed(1))
          .join(' / ')} at the end (other work included)`,
      ].join('\n'),
    );
  }, 900_000);
});
