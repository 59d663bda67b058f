/**
 * The worker's CPU per workflow start (issue 20): each workflow the worker starts, or replays
 * after it left the cache, evaluates the workflow code's modules in its own sandbox. This times
 * that step alone (the SDK's reusable-context workflow creator, as the worker uses it: a sandbox
 * per item workflow, then disposed), in the same run, for the bundle without and with the
 * preloaded modules (worker/bundle.ts PRELOADED_MODULES), alternating rounds.
 *   npx tsx bench/worker-start-cost.ts [--rounds=5] [--starts=200]
 */
import { ReusableVMWorkflowCreator } from '@temporalio/worker/lib/workflow/reusable-vm';
import { parseWorkflowCode } from '@temporalio/worker/lib/worker';
import type { WorkflowBundle } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { bundleWorkflows } from '../worker/bundle';

const arg = (name: string, d: number) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? d);
const rounds = arg('rounds', 5);
const starts = arg('starts', 200);

async function creator(bundle: WorkflowBundle) {
  return ReusableVMWorkflowCreator.create(parseWorkflowCode(bundle.code) as never, 5000, new Set(), undefined as never);
}

const variants = {
  'per workflow (before)': await creator(await bundleWorkflows({ preload: false })),
  'preloaded (after)': await creator(await bundleWorkflows()),
};
const cpu: Record<string, number[]> = {};
for (let r = 0; r < rounds + 1; r++) {
  for (const [name, c] of r % 2 ? Object.entries(variants) : Object.entries(variants).reverse()) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < starts; i++) {
      const runId = randomUUID();
      const wf = await c.createWorkflow({
        info: {
          workflowType: 'itemWorkflow',
          workflowId: `w-${i}`,
          runId,
          namespace: 'default',
          taskQueue: 'q',
          unsafe: {},
        },
        randomnessSeed: [1, 2, 3, 4],
        now: Date.now(),
        showStackTraceSources: false,
      } as never);
      await wf.dispose();
    }
    if (r === 0) continue; // warm-up
    const u = process.cpuUsage(c0);
    (cpu[name] ??= []).push((u.user + u.system) / 1000 / starts);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`${starts} sandboxes per round, ${rounds} rounds`);
for (const name of Object.keys(variants))
  console.log(`${name}: CPU ${median(cpu[name]!).toFixed(2)} ms per workflow start (median of rounds)`);
process.exit(0);
