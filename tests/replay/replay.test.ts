import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { workflowBundle } from '../support/stack';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

async function histories() {
  const dir = path.join(here, 'histories');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(
    files.map(async (f) => ({
      workflowId: f.replace(/\.json$/, ''),
      history: JSON.parse(await readFile(path.join(dir, f), 'utf8')),
    })),
  );
}

beforeAll(() => {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // Installed already by another test in this process.
  }
});

describe('replay of recorded histories (the determinism gate)', () => {
  it('replays every recorded history against the current workflow code', async () => {
    const all = await histories();
    expect(all.length).toBeGreaterThanOrEqual(8);
    expect(all.some((h) => h.workflowId.startsWith('pre-ladder-'))).toBe(true);
    // Records by local activity, and an item that began so and moved to ordinary activities.
    expect(all.some((h) => h.workflowId.startsWith('pre-record-'))).toBe(true);
    expect(all.some((h) => h.workflowId === 'crossing-record-after-accept')).toBe(true);
    const bundle: WorkflowBundle = await workflowBundle();
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, all)) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
  });

  it('fails on a deliberately non-deterministic change', async () => {
    const all = await histories();
    const broken = await bundleWorkflowCode({
      workflowsPath: require.resolve('./broken/workflows.ts'),
      logger: new DefaultLogger('ERROR'),
    });
    const item = all.find((h) => h.workflowId === 'full-loop-two-returns');
    expect(item).toBeDefined();
    await expect(Worker.runReplayHistory({ workflowBundle: broken }, item!.history, item!.workflowId)).rejects.toThrow(
      /nondetermin|DeterminismViolation/i,
    );
  });
});
