/**
 * npm run bench -- [lifecycle] [timers] [fanout] [monitoring] [--items=500] [--concurrency=20] [--timers=500] [--recipients=1000] [--rate=1000] [--units=1000] [replay] [--rounds=5] [interaction] [--samples=200] [history] [--resubmissions=20] [reads] [--rows=100000] [--requests=300] [memory] [--open=5000] [--cache=100]
 * Runs the named benchmarks (all by default) on one embedded stack, prints one table per
 * benchmark, writes JSON under bench-results/, and fails if any correctness check failed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../lib/tools';
import { runLifecycle } from './lifecycle';
import { startEmbeddedStack } from '../lib/embedded-stack';
import { table } from './stats';
import { runTimers } from './timers';
import { runFanout } from './fanout';
import { runMonitoring } from './monitoring';
import { runReplay } from './replay';
import { runInteraction } from './interaction';
import { runHistory } from './history';
import { runReads } from './reads';
import { runMemory } from './memory';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const chosen = args.filter((a) => !a.startsWith('--'));
const want = (name: string) => chosen.length === 0 || chosen.includes(name);

const stack = await startEmbeddedStack();
const results: Record<string, unknown> = { machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version } };
let ok = true;
try {
  if (want('lifecycle')) {
    const N = flag('items', 1000);
    const C = flag('concurrency', 20);
    const r = await runLifecycle(stack, N, C);
    console.log(`\n1. Lifecycle: ${N} items × 5 confirmed steps over HTTP, concurrency ${C}; baseline bare Temporal, same Updates\n`);
    console.log(table(r.rows));
    console.log();
    console.log(table(r.summary));
    console.log(`\n1b. The knee: the same loop at rising concurrency; latency climbs (step p50 over twice that of one client) at ${r.kneeAt}\n`);
    console.log(table(r.knee));
    results.lifecycle = r.json;
    ok &&= r.correct;
  }
  if (want('timers')) {
    const N = flag('timers', 1000);
    const r = await runTimers(stack, N);
    console.log(`\n2. Timer lateness: ${N} items whose rung falls due in the same second (real dev server), then again across a worker restart\n`);
    console.log(table(r.rows));
    results.timers = r.json;
    ok &&= r.correct;
  }
  if (want('fanout')) {
    const N = flag('recipients', 1000);
    const rate = flag('rate', 1000);
    const r = await runFanout(stack, N, rate);
    console.log(`\n3. Fan-out: one event to ${N} recipients through a local SMTP server (sender rate limit ${rate}/s)\n`);
    console.log(table(r.rows));
    results.fanout = r.json;
    ok &&= r.correct;
  }
  if (want('monitoring')) {
    const sizes = args.find((a) => a.startsWith('--units='))?.split('=')[1]?.split(',').map(Number) ?? [100, 500, 2000];
    const r = await runMonitoring(stack, sizes, flag('concurrency', 20));
    console.log(`\n4. Fan-out: a monitoring cycle over ${sizes.join(', ')} units × 10 indicators, every report through the API\n`);
    console.log(table(r.rows));
    results.monitoring = r.json;
    ok &&= r.correct;
  }
  if (want('interaction')) {
    const samples = flag('samples', 200);
    const r = await runInteraction(stack, [1, 10, 50], samples);
    console.log(`\n6. Interaction latency: 签收 confirmed through the API by 1, 10 and 50 users at once (${samples} actions each), against the same Update on bare workflows\n`);
    console.log(table(r.rows));
    results.interaction = r.json;
    ok &&= r.correct;
  }
  if (want('history')) {
    const n = flag('resubmissions', 20);
    const r = await runHistory(stack, n);
    console.log(`\n7. History per item: open a simulated year (time-skipping server), monthly reports, ${n} resubmissions, then closed\n`);
    console.log(table(r.rows));
    results.history = r.json;
    ok &&= r.correct;
  }
  if (want('memory')) {
    const cache = flag('cache', 100);
    const r = await runMemory(stack, [100, 1000, flag('open', 5000)], [null, cache]);
    console.log(`\n10. Worker memory: a worker process with open items waiting on their deadlines, default workflow cache and a cache of ${cache}\n`);
    console.log(table(r.rows));
    results.memory = r.json;
    ok &&= r.correct;
  }
  if (want('reads')) {
    // Last: its 100,000 items stay in the database and would weigh on the others.
    const N = flag('rows', 100_000);
    const r = await runReads(stack, N, 10, flag('requests', 300), flag('concurrency', 10));
    console.log(`\n8. Reads at scale: ${N} items and ${N * 10} events (seeded in ${(r.seedMs / 1000).toFixed(0)} s); API vs bare Fastify + pg running the same SQL, concurrency ${flag('concurrency', 10)}\n`);
    console.log(table(r.rows));
    console.log(`\n9. The console on the same data (headless Chromium, cold cache) and its size\n`);
    console.log(table(r.consoleRows));
    results.reads = r.json;
    ok &&= r.correct;
  }
  if (want('replay')) {
    const r = await runReplay(flag('rounds', 5));
    console.log(`\n5. Replay cost: every recorded history replayed against the current workflow code (the CI gate)\n`);
    console.log(table(r.rows));
    results.replay = r.json;
    ok &&= r.correct;
  }
} finally {
  await stack.stop();
}
const dir = path.join(ROOT, 'bench-results');
await mkdir(dir, { recursive: true });
const file = path.join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
await writeFile(file, JSON.stringify(results, null, 2));
console.log(`\nresults written to ${path.relative(ROOT, file)}${ok ? '' : '\nA CORRECTNESS CHECK FAILED'}`);
process.exit(ok ? 0 : 1);
