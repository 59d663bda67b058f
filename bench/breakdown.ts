/**
 * The cost breakdown: where each millisecond of one confirmed action (签收 through the API, one
 * user) and of one item-page read (GET /api/items/:id, the item and its timeline, as the console's
 * item page loads it) goes. Spans are collected in memory (lib/tracing.ts startLocalTracing): the
 * HTTP server span, the `stage …` spans around the product's own work, and the Temporal
 * interceptors' spans of the client, the workflow and the activities. Beside them, the CPU each
 * process of the stack spends per action (/proc) and CPU profiles of the bench process's JS
 * threads (the main thread: API, activities, load; the workflow thread) by area, written to
 * bench-results/ as .cpuprofile files (open them in Chrome's DevTools).
 */
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Actor } from '../domain/actors';
import type { EmbeddedStack } from '../dev/embedded-stack';
import { ROOT } from '../lib/root';
import { signToken } from '../lib/tokens';
import { startLocalTracing } from '../lib/tracing';
import {
  cpuPerAction,
  stackCpuBetween,
  stackCpuByPid,
  startCpuProfile,
  summariseProfile,
  threadCpu,
} from './cpu-profile';
import { BENCH_SECRET, startOurs } from './ours';
import { openToSign } from './interaction';
import { percentile } from './stats';

const supervisor: Actor = { userId: 'b-sup', name: '督查', role: 'supervisor', unitId: 'dcs' };
const handler: Actor = { userId: 'b-a', name: '经办', role: 'unit_handler', unitId: 'unit-a' };
const WARM_UP = 5;

/** A finished span as the breakdown needs it: its trace, its parent, its name and its times in ms. */
export interface SpanTiming {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startMs: number;
  durationMs: number;
}

const hrMs = ([s, ns]: [number, number]) => s * 1000 + ns / 1e6;
const timing = (s: ReadableSpan): SpanTiming => ({
  traceId: s.spanContext().traceId,
  spanId: s.spanContext().spanId,
  parentSpanId: s.parentSpanId,
  name: s.name,
  startMs: hrMs(s.startTime),
  durationMs: hrMs(s.duration),
});

export interface StageRow {
  stage: string;
  /** In how many of the traces the stage appears. */
  traces: number;
  p50: number;
  mean: number;
  /** Mean of the stage over the mean of the request's own (server span) total. */
  share: number;
}

/**
 * One row per span name over the traces that have a root (the HTTP server span): the stage's time
 * per trace (a name seen twice in one trace counts its sum), its p50 and mean over the traces that
 * have it, and its share of the request's total. Rows are the tree of stages, each indented under
 * the one it ran in, siblings in the order they start; stages nest, so shares do not add up to 100 %.
 */
export function stageTable(spans: SpanTiming[]): StageRow[] {
  const traces = new Map<string, SpanTiming[]>();
  for (const s of spans) traces.set(s.traceId, [...(traces.get(s.traceId) ?? []), s]);
  const per = new Map<string, { ms: number[]; offsets: number[]; parent?: string }>();
  const totals: number[] = [];
  for (const trace of traces.values()) {
    const root = trace.find((s) => !s.parentSpanId);
    if (!root) continue;
    totals.push(root.durationMs);
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const sums = new Map<string, { ms: number; offset: number; parent?: string }>();
    for (const s of trace) {
      const prior = sums.get(s.name);
      const parent = s.parentSpanId ? byId.get(s.parentSpanId)?.name : undefined;
      sums.set(s.name, {
        ms: (prior?.ms ?? 0) + s.durationMs,
        offset: Math.min(prior?.offset ?? Infinity, s.startMs - root.startMs),
        parent: prior?.parent ?? parent,
      });
    }
    for (const [name, v] of sums) {
      const row = per.get(name) ?? { ms: [], offsets: [], parent: v.parent };
      row.ms.push(v.ms);
      row.offsets.push(v.offset);
      per.set(name, row);
    }
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / (xs.length || 1);
  const total = mean(totals);
  // Depth first from the request: each stage under the one it ran in, siblings as they start.
  const children = (parent: string | undefined) =>
    [...per]
      .filter(
        ([name, v]) =>
          (v.parent !== undefined && per.has(v.parent) ? v.parent : undefined) === parent && name !== parent,
      )
      .sort((a, b) => mean(a[1].offsets) - mean(b[1].offsets));
  const rows: StageRow[] = [];
  const seen = new Set<string>();
  const visit = (parent: string | undefined, depth: number) => {
    for (const [name, v] of children(parent)) {
      if (seen.has(name)) continue;
      seen.add(name);
      rows.push({
        stage: `${'  '.repeat(depth)}${name}`,
        traces: v.ms.length,
        p50: percentile(
          [...v.ms].sort((a, b) => a - b),
          50,
        ),
        mean: mean(v.ms),
        share: mean(v.ms) / total,
      });
      visit(name, depth + 1);
    }
  };
  visit(undefined, 0);
  return rows;
}

const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
const round1 = (x: number) => Math.round(x * 10) / 10;
const printable = (rows: StageRow[], client: number[]) => [
  ...rows.map((r) => ({
    stage: r.stage,
    traces: r.traces,
    'p50 ms': round1(r.p50),
    'mean ms': round1(r.mean),
    'share of request': pct(r.share),
  })),
  {
    stage: '(the load generator’s round trip, fetch)',
    traces: client.length,
    'p50 ms': round1(
      percentile(
        [...client].sort((a, b) => a - b),
        50,
      ),
    ),
    'mean ms': round1(client.reduce((a, b) => a + b, 0) / (client.length || 1)),
    'share of request': '',
  },
];

export async function runBreakdown(stack: EmbeddedStack, samples: number) {
  const { InMemorySpanExporter, SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  const exporter = new InMemorySpanExporter();
  // Before the worker and the app are built: they add their interceptors and hooks only while tracing.
  const tracing = await startLocalTracing(new SimpleSpanProcessor(exporter), 'duban-bench');
  const { db } = stack;
  try {
    await db.user.createMany({
      data: [supervisor, handler].map((a) => ({ id: a.userId, name: a.name, role: a.role, unitId: a.unitId })),
      skipDuplicates: true,
    });
    const ours = await startOurs(stack, 'bench-breakdown');
    // The API's client as a traced process builds it (lib/temporal-connect.ts): its Updates get spans.
    (ours.client.workflow.options.interceptors as WorkflowClientInterceptor[]).push(
      new OpenTelemetryWorkflowClientInterceptor(),
    );
    const handlerToken = signToken({ userId: handler.userId }, BENCH_SECRET);
    const supervisorToken = signToken({ userId: supervisor.userId }, BENCH_SECRET);
    let failed = 0;
    let ids: string[] = [];
    const request = async (method: 'GET' | 'POST', url: string, token: string) => {
      const t0 = performance.now();
      const res = await fetch(url, {
        method,
        // An Idempotency-Key with each action, as the console sends one.
        headers: {
          authorization: `Bearer ${token}`,
          ...(method === 'POST' ? { 'content-type': 'application/json', 'idempotency-key': randomUUID() } : {}),
        },
        ...(method === 'POST' ? { body: '{}' } : {}),
      });
      await res.arrayBuffer();
      if (res.status !== 200) failed++;
      return performance.now() - t0;
    };
    /** Spans collected since the last call, once the worker's sink has handed over the workflow's. */
    const collect = async () => {
      await new Promise((r) => setTimeout(r, 500));
      await tracing.flush();
      const spans = exporter.getFinishedSpans().map(timing);
      exporter.reset();
      return spans;
    };
    const phases = await ours.worker.runUntil(async () => {
      // Opened directly (no API request, so no trace), then a few actions and reads to warm up;
      // half as many again for the profiled pass.
      const profiled = Math.ceil(samples / 2);
      ids = await openToSign(ours.client, 'bench-breakdown', 'BD', WARM_UP + samples + profiled, supervisor);
      const [warm, measured, forProfile] = [
        ids.slice(0, WARM_UP),
        ids.slice(WARM_UP, WARM_UP + samples),
        ids.slice(WARM_UP + samples),
      ];
      for (const id of warm) await request('POST', `${ours.base}/api/items/${id}/sign`, handlerToken);
      for (const id of warm) await request('GET', `${ours.base}/api/items/${id}`, supervisorToken);
      await collect();

      const cpu0 = [stackCpuByPid(), threadCpu()] as const;
      const actionMs: number[] = [];
      for (const id of measured)
        actionMs.push(await request('POST', `${ours.base}/api/items/${id}/sign`, handlerToken));
      const cpu1 = [stackCpuByPid(), threadCpu()] as const;
      const actionSpans = await collect();
      const cpu2 = [stackCpuByPid(), threadCpu()] as const;
      const readMs: number[] = [];
      for (const id of measured) readMs.push(await request('GET', `${ours.base}/api/items/${id}`, supervisorToken));
      const cpu3 = [stackCpuByPid(), threadCpu()] as const;
      const readSpans = await collect();
      // The profiler costs CPU of its own (its sampling thread, the samples' stacks): a pass of its own.
      const profile = await startCpuProfile();
      for (const id of forProfile) await request('POST', `${ours.base}/api/items/${id}/sign`, handlerToken);
      for (const id of forProfile) await request('GET', `${ours.base}/api/items/${id}`, supervisorToken);
      const profiles = await profile.stop();
      await collect();
      return {
        actionMs,
        readMs,
        actionSpans,
        readSpans,
        cpu: [cpu0, cpu1, cpu2, cpu3] as const,
        profile: profiles,
      };
    });
    await ours.app.close();

    const n = phases.actionMs.length;
    const [c0, c1, c2, c3] = phases.cpu;
    const none = new Map<string, number>();
    const perAction = (from: Map<string, number>, to: Map<string, number>) => ({ from, to });
    const cpuRows = (column: string, actions: ReturnType<typeof perAction>, reads: ReturnType<typeof perAction>) => {
      const readMs = new Map(cpuPerAction(reads.from, reads.to, n).map((r) => [r.key, r.perAction]));
      return cpuPerAction(actions.from, actions.to, n)
        .filter((r) => r.perAction > 0 || (readMs.get(r.key) ?? 0) > 0)
        .map((r) => ({
          [column]: r.key,
          'CPU ms per 签收': round1(r.perAction),
          'CPU ms per item read': round1(readMs.get(r.key) ?? 0),
        }));
    };
    const processRows = cpuRows(
      'process',
      perAction(none, stackCpuBetween(c0[0], c1[0])),
      perAction(none, stackCpuBetween(c2[0], c3[0])),
    );
    const threadRows = cpuRows('thread of the bench process', perAction(c0[1], c1[1]), perAction(c2[1], c3[1]));
    const dir = path.join(ROOT, 'bench-results');
    await mkdir(dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const profiles = await Promise.all(
      phases.profile.map(async ({ thread, profile }, i) => {
        const file = path.join(dir, `breakdown-${stamp}-${i === 0 ? 'main' : `worker${i}`}.cpuprofile`);
        await writeFile(file, JSON.stringify(profile));
        return { thread, file: path.relative(ROOT, file), areas: summariseProfile(profile, ROOT) };
      }),
    );

    const action = stageTable(phases.actionSpans);
    const read = stageTable(phases.readSpans);
    const p50 = (xs: number[]) =>
      percentile(
        [...xs].sort((a, b) => a - b),
        50,
      );
    const correct = failed === 0 && n === samples && ids.length === WARM_UP + samples + Math.ceil(samples / 2);
    return {
      correct,
      actionRows: printable(action, phases.actionMs),
      readRows: printable(read, phases.readMs),
      processRows,
      threadRows,
      // A thread that only idled (the SDK keeps a spare one) is left out.
      profiles: profiles
        .filter((p) => p.areas.some((a) => a.area !== 'idle' && a.ms >= 50))
        .map((p) => ({
          thread: p.thread,
          file: p.file,
          rows: p.areas.slice(0, 15).map((a) => ({
            area: a.area,
            'self ms': Math.round(a.ms),
            'share of busy time': Number.isNaN(a.share) ? '' : pct(a.share),
          })),
        })),
      json: {
        samples,
        failed,
        actionP50: p50(phases.actionMs),
        readP50: p50(phases.readMs),
        action,
        read,
        processes: processRows,
        threads: threadRows,
        profiles,
        correct,
      },
    };
  } finally {
    await tracing.shutdown();
  }
}
