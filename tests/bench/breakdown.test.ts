import { describe, expect, it } from 'vitest';
import { stageTable, type SpanTiming } from '../../bench/breakdown';
import { areaOf, stackCpuBetween, summariseProfile } from '../../bench/cpu-profile';

/** One request: the server span, auth, then the Update with the record under it. */
const request = (traceId: string, total: number, update: number): SpanTiming[] => [
  { traceId, spanId: `${traceId}-r`, name: 'POST /api/items/:id/sign', startMs: 0, durationMs: total },
  {
    traceId,
    spanId: `${traceId}-u`,
    parentSpanId: `${traceId}-r`,
    name: 'stage temporal.update',
    startMs: 2,
    durationMs: update,
  },
  { traceId, spanId: `${traceId}-a`, parentSpanId: `${traceId}-r`, name: 'stage auth', startMs: 1, durationMs: 1 },
  { traceId, spanId: `${traceId}-w`, parentSpanId: `${traceId}-u`, name: 'stage record', startMs: 3, durationMs: 2 },
  { traceId, spanId: `${traceId}-x`, parentSpanId: `${traceId}-w`, name: 'INSERT', startMs: 3, durationMs: 1 },
  { traceId, spanId: `${traceId}-y`, parentSpanId: `${traceId}-w`, name: 'INSERT', startMs: 4, durationMs: 1 },
];

describe('the stage table', () => {
  it('lists the stages as a tree under the request, siblings as they start, with their share of the request', () => {
    const rows = stageTable([...request('t1', 10, 6), ...request('t2', 30, 20)]);
    expect(rows.map((r) => r.stage)).toEqual([
      'POST /api/items/:id/sign',
      '  stage auth',
      '  stage temporal.update',
      '    stage record',
      '      INSERT',
    ]);
    const update = rows.find((r) => r.stage.trim() === 'stage temporal.update')!;
    expect(update).toMatchObject({ traces: 2, mean: 13, share: 13 / 20 });
    // A name seen twice in one request counts its sum.
    expect(rows.find((r) => r.stage.trim() === 'INSERT')!.mean).toBe(2);
  });

  it('leaves out spans of a trace whose request span is missing', () => {
    const orphan = request('t3', 10, 5).slice(1);
    expect(stageTable(orphan)).toEqual([]);
  });
});

describe('the CPU profile by area', () => {
  const frame = (url: string, functionName = 'f') => ({ url, functionName });
  it('names our folders, packages (a scope as one), fetch, WebAssembly, GC and idle', () => {
    expect(areaOf(frame('file:///repo/api/items-service.ts'), '/repo')).toBe('api/');
    expect(areaOf(frame('file:///repo/node_modules/@prisma/client/runtime/x.js'), '/repo')).toBe('@prisma');
    expect(areaOf(frame('file:///repo/node_modules/fastify/lib/route.js'), '/repo')).toBe('fastify');
    expect(areaOf(frame('node:internal/deps/undici/undici'), '/repo')).toBe('fetch (undici: the load generator)');
    expect(areaOf(frame('node:internal/streams/writable'), '/repo')).toBe('node internals');
    expect(areaOf(frame('wasm://wasm/007708f6'), '/repo')).toBe('WebAssembly');
    expect(areaOf(frame('', '(garbage collector)'), '/repo')).toBe('GC');
    expect(areaOf(frame('', '(idle)'), '/repo')).toBe('idle');
  });

  it('shares the busy time among the areas, idle left out', () => {
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('', '(idle)') },
        { id: 2, callFrame: frame('file:///repo/domain/item.ts') },
        { id: 3, callFrame: frame('', '(garbage collector)') },
      ],
      startTime: 0,
      endTime: 0,
      samples: [1, 1, 2, 3, 2],
      timeDeltas: [0, 1000, 1000, 1000, 1000, 1000],
    };
    const areas = Object.fromEntries(summariseProfile(profile, '/repo').map((a) => [a.area, a]));
    expect(areas['idle']!.ms).toBe(2);
    expect(areas['domain/']).toMatchObject({ ms: 2, share: 2 / 3 });
    expect(areas['GC']).toMatchObject({ ms: 1, share: 1 / 3 });
  });
});

describe('CPU per process group between two readings', () => {
  it('counts a new process from zero and drops one that exited instead of subtracting its past', () => {
    const pg = (cpuMs: number) => ({ group: 'PostgreSQL (all processes)', cpuMs });
    const before = new Map([
      [10, pg(100)],
      [11, pg(500)],
    ]);
    const after = new Map([
      [10, pg(130)],
      [12, pg(5)],
    ]);
    expect(stackCpuBetween(before, after).get('PostgreSQL (all processes)')).toBe(35);
  });
});
