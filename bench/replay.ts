/**
 * Replay cost: the time to replay every recorded history (the CI determinism gate), against the
 * baseline of merely reading and decoding the same histories in the same run.
 */
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT } from '../lib/root';
import { bundleWorkflows } from '../worker/create';

export async function runReplay(rounds: number) {
  const dir = path.join(ROOT, 'tests', 'replay', 'histories');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  const t0 = performance.now();
  const bundle = await bundleWorkflows();
  const bundleMs = performance.now() - t0;
  let events = 0;
  let decodeMs = 0;
  let replayMs = 0;
  let failures = 0;
  for (let r = 0; r < rounds; r++) {
    const d0 = performance.now();
    const histories = await Promise.all(
      files.map(async (f) => ({
        workflowId: f.replace(/\.json$/, ''),
        history: historyFromJSON(JSON.parse(await readFile(path.join(dir, f), 'utf8'))),
      })),
    );
    decodeMs += performance.now() - d0;
    events = histories.reduce((n, h) => n + (h.history.events?.length ?? 0), 0);
    const r0 = performance.now();
    for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, histories))
      if (result.error) failures++;
    replayMs += performance.now() - r0;
  }
  const rows = [
    { what: 'bundle workflow code (once)', ms: Math.round(bundleMs), detail: '' },
    {
      what: 'read + decode histories (baseline)',
      ms: Math.round(decodeMs / rounds),
      detail: `${files.length} histories, ${events} events`,
    },
    {
      what: 'replay them all',
      ms: Math.round(replayMs / rounds),
      detail: `${(replayMs / rounds / events).toFixed(2)} ms/event; ratio to baseline ${(replayMs / decodeMs).toFixed(1)}×; ${failures} failures`,
    },
  ];
  return {
    rows,
    correct: failures === 0,
    json: {
      histories: files.length,
      events,
      bundleMs,
      decodeMs: decodeMs / rounds,
      replayMs: replayMs / rounds,
      failures,
    },
  };
}
