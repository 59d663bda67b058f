/**
 * Worker memory: a worker process as production runs it (worker/main.ts), its resident memory
 * with 100, 1,000 and 5,000 open items waiting on their deadlines, at the SDK's default workflow
 * cache and at a set one (WORKER_MAX_CACHED_WORKFLOWS); MB per open item. Each setting gets its
 * own process and task queue; the items are opened through Temporal directly (the API is not
 * what is measured) and checked recorded in PostgreSQL before the process is measured.
 */
import { Client } from '@temporalio/client';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Actor } from '../domain/actors';
import { DEFAULT_POLICY } from '../domain/policy';
import type { EmbeddedStack } from '../dev/embedded-stack';
import { openItem } from '../workflows/client/items';
import { dataConverterFor } from '../lib/payload-codec';
import { startProductProcess } from '../dev/product-process';
import { pool } from './stats';

const supervisor: Actor = { userId: 'm-sup', name: '督查', role: 'supervisor', unitId: 'dcs' };

/** Resident memory of a process, in MiB. */
function rssMiB(pid: number): number {
  return (
    Number(
      execFileSync('ps', ['-o', 'rss=', '-p', String(pid)])
        .toString()
        .trim(),
    ) / 1024
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runMemory(stack: EmbeddedStack, levels: number[], cacheSizes: Array<number | null>) {
  await stack.db.user.createMany({
    data: [{ id: supervisor.userId, name: supervisor.name, role: supervisor.role, unitId: supervisor.unitId }],
    skipDuplicates: true,
  });
  const key = randomBytes(32);
  const dataConverter = dataConverterFor(key);
  const client = new Client({ connection: stack.client.connection, ...(dataConverter ? { dataConverter } : {}) });
  const rows: Array<Record<string, string | number>> = [];
  const json: Record<string, unknown> = {};
  let correct = true;
  for (const cache of cacheSizes) {
    const label = cache === null ? 'default cache' : `cache ${cache}`;
    const taskQueue = `bench-memory-${cache ?? 'default'}`;
    const worker = await startProductProcess(
      'worker/main.ts',
      {
        DATABASE_URL: stack.databaseUrl,
        TEMPORAL_ADDRESS: stack.temporalAddress,
        TEMPORAL_TASK_QUEUE: taskQueue,
        PAYLOAD_KEY: key.toString('base64'),
        ...(cache === null ? {} : { WORKER_MAX_CACHED_WORKFLOWS: String(cache) }),
      },
      'worker ready',
    );
    try {
      await sleep(3000);
      const idle = rssMiB(worker.pid!);
      const points: Array<{ open: number; rssMiB: number }> = [{ open: 0, rssMiB: idle }];
      let opened = 0;
      for (const level of levels) {
        const ids = Array.from({ length: level - opened }, (_, i) => `MEM-${cache ?? 'd'}-${opened + i}`);
        await pool(ids, 50, async (id) => {
          await openItem(client, taskQueue, {
            id,
            problemListId: null,
            spec: {
              title: `内存测试${id}`,
              description: '',
              category: 'inspection',
              priority: 'normal',
              source: '',
              leadUnitId: 'unit-a',
              coUnitIds: [],
              dueDate: '2027-06-30',
            },
            createdBy: supervisor,
            config: { maxDeclines: 2 },
            policy: DEFAULT_POLICY,
          });
        });
        opened = level;
        const recorded = await stack.db.item.count({ where: { id: { startsWith: `MEM-${cache ?? 'd'}-` } } });
        if (recorded !== level) correct = false;
        // Let the worker settle (finished tasks, the cache at rest) before reading its memory.
        await sleep(5000);
        const rss = rssMiB(worker.pid!);
        points.push({ open: level, rssMiB: rss });
        const prev = points[points.length - 2]!;
        rows.push({
          worker: label,
          'open items': level,
          'recorded in PG': recorded,
          'RSS MiB': Math.round(rss),
          'MiB per item (since previous)': (rss - prev.rssMiB) / (level - prev.open),
        });
      }
      json[label] = points;
    } finally {
      const exited = new Promise((r) => worker.once('exit', r));
      worker.kill('SIGTERM');
      await Promise.race([exited, sleep(15_000)]);
      if (worker.exitCode === null) worker.kill('SIGKILL');
    }
  }
  return { rows, json, correct };
}
