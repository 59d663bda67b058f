/**
 * npm run bench -- [breakdown] [lifecycle] [timers] [fanout] [monitoring] [interaction] [opening] [history] [memory] [reads] [replay]
 *   [--items=1000] [--concurrency=20] [--timers=1000] [--recipients=1000] [--rate=1000] [--units=100,500,2000]
 *   [--samples=200] [--resubmissions=20] [--open=5000] [--cache=100] [--rows=100000] [--requests=300] [--rounds=5]
 *   [--no-before]
 * Runs the named benchmarks (all by default) on one embedded stack, prints one table per
 * benchmark, writes JSON under bench-results/, and fails if any correctness check failed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../lib/root';
import { runLifecycle } from './lifecycle';
import { startEmbeddedStack } from '../dev/embedded-stack';
import { table } from './stats';
import { runTimers } from './timers';
import { runFanout } from './fanout';
import { runMonitoring } from './monitoring';
import { runReplay } from './replay';
import { runInteraction } from './interaction';
import { runHistory } from './history';
import { runReads } from './reads';
import { runMemory } from './memory';
import { runBreakdown } from './breakdown';
import { runOpening } from './opening';
import { runControlIndex } from './control-index';
import { issueTable } from './issue-table';

const NAMES = [
  'breakdown',
  'lifecycle',
  'timers',
  'fanout',
  'monitoring',
  'interaction',
  'opening',
  'history',
  'memory',
  'reads',
  'replay',
  'control-index',
  'backtest',
  'fan-out-units',
] as const;
const NUMBER_FLAGS = [
  'items',
  'concurrency',
  'timers',
  'recipients',
  'rate',
  'samples',
  'resubmissions',
  'open',
  'cache',
  'rows',
  'requests',
  'rounds',
];
const USAGE = `usage: npm run bench -- [${NAMES.join('] [')}]
  [--items=1000] [--concurrency=20] (lifecycle, opening; --concurrency also monitoring, reads)
  [--samples=200] (breakdown, interaction)  [--no-before] (lifecycle, interaction: leave out issue 19's before-code)
  [--timers=1000] [--recipients=1000] [--rate=1000] [--units=100,500,2000] [--resubmissions=20]
  [--open=5000] [--cache=100] [--rows=100000] [--requests=300] [--rounds=5]
Runs the named benchmarks (all by default, about 40 minutes) and prints the issue's table at the end.`;

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
// A misspelt name or option would otherwise run every benchmark, or run one with its default.
const wrong = args.filter((a) => {
  if (!a.startsWith('--')) return !(NAMES as readonly string[]).includes(a);
  if (a === '--no-before') return false;
  const [name, value] = a.slice(2).split('=');
  if (name === 'units') return !/^\d+(,\d+)*$/.test(value ?? '');
  return !NUMBER_FLAGS.includes(name ?? '') || !/^\d+$/.test(value ?? '');
});
if (wrong.length > 0) {
  console.error(`unknown benchmark or option: ${wrong.join(' ')}\n${USAGE}`);
  process.exit(2);
}
const flag = (name: string, fallback: number) =>
  Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const chosen = args.filter((a) => !a.startsWith('--'));
const want = (name: string) => chosen.length === 0 || chosen.includes(name);
// --no-before: leave out issue 19's comparison with the workflow code from before its guarantee (halves lifecycle and interaction).
const withBefore = !args.includes('--no-before');

type Table = Array<Record<string, string | number>>;
interface Outcome {
  /** The heading, then each table under it (a string is printed as a heading between tables). */
  print: Array<string | Table>;
  correct: boolean;
  json: unknown;
  /** The line of the closing summary table: the headline figure and the comparison. */
  summary: { figure: string; versus: string };
}

const f1 = (n: number) => n.toFixed(1);
const col = (rows: Table, key: string) =>
  rows.map((r) => (typeof r[key] === 'number' ? Math.round(r[key] as number) : r[key])).join(' / ');

// TEMPORAL_ADDRESS: run against that Temporal (e.g. a cluster from scripts/temporal-cluster.ts), not a dev server.
const stack = await startEmbeddedStack({ temporalAddress: process.env.TEMPORAL_ADDRESS });
const results: Record<string, unknown> = {
  machine: {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
  },
  started: new Date().toISOString(),
};
let ok = true;
const summaryRows: Table = [];

// In this order; reads last but one: its 100,000 items stay in the database and would weigh on the others.
const BENCHMARKS: Array<[string, () => Promise<Outcome>]> = [
  [
    'fan-out-units',
    async () => {
      // --units=2000 (the last size given, as monitoring takes the list).
      const units = Number(
        args
          .find((a) => a.startsWith('--units='))
          ?.split('=')[1]
          ?.split(',')
          .at(-1) ?? 2000,
      );
      const r = await (await import('./fan-out-units')).runFanOutUnits(stack, units);
      return {
        summary: {
          figure: `举一反三 to ${units} units: all asked in ${f1(r.json.askedMs / 1000)} s; history ${r.json.runs.map((x) => x.events).join(' + ')} = ${r.json.totalEvents} events; peak ${r.json.peakPending} pending children`,
          versus: `all answered → sample drawn in ${Math.round(r.json.closeMs)} ms`,
        },
        correct: r.correct,
        json: r.json,
        print: [
          `举一反三: one fan-out to ${units} units (a child workflow per unit, batches of 500, continue-as-new between them), all asked in ${f1(r.json.askedMs / 1000)} s; then all answer and the sample is drawn`,
          r.rows,
        ],
      };
    },
  ],
  [
    'breakdown',
    async () => {
      const samples = flag('samples', 200);
      const r = await runBreakdown(stack, samples);
      const top = r.json.action.filter((x) => x.stage.trim().startsWith('stage ')).sort((a, b) => b.p50 - a.p50)[0];
      return {
        summary: {
          figure: `签收 p50 ${f1(r.json.actionP50)} ms, item read p50 ${f1(r.json.readP50)} ms`,
          versus: top
            ? `largest stage: ${top.stage.trim()} p50 ${f1(top.p50)} ms (${(top.share * 100).toFixed(0)} %)`
            : '—',
        },
        correct: r.correct,
        json: r.json,
        print: [
          `0. Cost breakdown: ${samples} × 签收 through the API by one user, then ${samples} item-page reads (GET /api/items/:id: the item and its timeline), spans collected in memory`,
          r.actionRows,
          '0b. The item-page read, by stage',
          r.readRows,
          '0c. CPU per action by process (/proc utime + stime), same runs (spans collected, no profiler)',
          r.processRows,
          '0d. The bench process by thread (the workflow sandbox is a worker thread; the SDK core and its gRPC are native threads)',
          r.threadRows,
          ...r.profiles.flatMap((p, i) => [
            `0${String.fromCharCode(101 + i)}. CPU profile of the bench process's ${p.thread === 'main' ? 'main thread (API, activities, load generator)' : `thread ${p.thread}`} over a pass of its own (${Math.ceil(samples / 2)} 签收, then as many reads), self time by area, top 15 (${p.file})`,
            p.rows,
          ]),
        ],
      };
    },
  ],
  [
    'lifecycle',
    async () => {
      const [N, C] = [flag('items', 1000), flag('concurrency', 20)];
      const r = await runLifecycle(stack, N, C, withBefore);
      const summary = {
        figure: `${f1(r.json.oursRate)} items/s at c=${C}; knee at c=${r.kneeAt}`,
        versus: `bare ${f1(r.json.bareRate)} items/s: ratio ${r.json.ratio.toFixed(2)}; bare + record activity ${f1(r.json.recordedRate)} items/s${r.json.beforeRate === undefined ? '' : `; before the record-after-accept guarantee ${f1(r.json.beforeRate)} items/s (after/before ${(r.json.guaranteeCost ?? NaN).toFixed(2)})`}`,
      };
      return {
        summary,
        correct: r.correct,
        json: r.json,
        print: [
          `1. Lifecycle: ${N} items × 5 confirmed steps over HTTP, concurrency ${C}; baseline bare Temporal, same Updates`,
          r.rows,
          r.summary,
          `1b. The knee: the same loop at rising concurrency; latency climbs (step p50 over twice that of one client) at ${r.kneeAt}`,
          r.knee,
        ],
      };
    },
  ],
  [
    'timers',
    async () => {
      const N = flag('timers', 1000);
      const r = await runTimers(stack, N);
      const [a, b, bare] = [r.json.steady, r.json.restarted, r.json.bare];
      const summary = {
        figure: `drained ${f1(a.drainPerSecond)}/s, p50 ${f1(a.s.p50 / 1000)} s, p99 ${f1(a.s.p99 / 1000)} s; across a restart ${f1(b.drainPerSecond)}/s, p99 ${f1(b.s.p99 / 1000)} s`,
        versus: `bare timer + one row ${f1(bare.drainPerSecond)}/s, p99 ${f1(bare.s.p99 / 1000)} s: ratio ${r.json.ratio.toFixed(2)} (per stack CPU second ${r.json.cpuRatio.toFixed(2)})`,
      };
      return {
        summary,
        correct: r.correct,
        json: r.json,
        print: [
          `2. Timer lateness: ${N} items whose rung falls due in the same second (real dev server), then again across a worker restart; first, ${N} bare workflows sleeping until one second and each writing one row`,
          r.rows,
          '2b. CPU while each burst drained (due → its last row in PostgreSQL), ms per rung, by process and by thread of the bench process',
          r.cpuRows,
        ],
      };
    },
  ],
  [
    'fanout',
    async () => {
      const [N, rate] = [flag('recipients', 1000), flag('rate', 1000)];
      const r = await runFanout(stack, N, rate);
      const summary = {
        figure: `${f1(r.json.mailsPerSecond)} mails/s, ${r.json.duplicates} duplicates, ${r.json.lost} lost`,
        versus: '—',
      };
      return {
        summary,
        correct: r.correct,
        json: r.json,
        print: [
          `3. Fan-out: one event to ${N} recipients through a local SMTP server (sender rate limit ${rate}/s)`,
          r.rows,
        ],
      };
    },
  ],
  [
    'monitoring',
    async () => {
      const sizes = args
        .find((a) => a.startsWith('--units='))
        ?.split('=')[1]
        ?.split(',')
        .map(Number) ?? [100, 500, 2000];
      const r = await runMonitoring(stack, sizes, flag('concurrency', 20));
      const summary = {
        figure: `due → ranking ${r.json.map((c) => f1(c.publishMs / 1000)).join(' / ')} s at ${sizes.join(' / ')} units; history ${r.json.map((c) => c.historyEvents).join(' / ')} events, ${Math.max(...r.json.map((c) => c.children))} children`,
        versus: '—',
      };
      return {
        summary,
        correct: r.correct,
        json: r.json,
        print: [
          `4. Fan-out: a monitoring cycle over ${sizes.join(', ')} units × 10 indicators, every report through the API`,
          r.rows,
        ],
      };
    },
  ],
  [
    'interaction',
    async () => {
      const samples = flag('samples', 200);
      const r = await runInteraction(stack, [1, 10, 50], samples, withBefore);
      const summary = {
        figure: `p50 ${col(r.rows, 'ours p50')} ms, p99 ${col(r.rows, 'ours p99')} ms at 1 / 10 / 50 users`,
        versus: `bare p50 ${col(r.rows, 'bare p50')} ms: ×${r.rows.map((x) => Number(x['p50 ratio']).toFixed(1)).join(' / ')}; bare Update + record activity p50 ${col(r.rows, 'bare+record p50')} ms${withBefore ? `; before the record-after-accept guarantee p50 ${col(r.rows, 'before p50')} ms` : ''}`,
      };
      return {
        summary,
        correct: r.correct,
        json: r.json,
        print: [
          `6. Interaction latency: 签收 confirmed through the API by 1, 10 and 50 users at once (${samples} actions each), against the same Update on bare workflows`,
          r.rows,
        ],
      };
    },
  ],
  [
    'opening',
    async () => {
      const [N, C] = [flag('items', 1000), flag('concurrency', 20)];
      const r = await runOpening(stack, N, C);
      return {
        summary: {
          figure: `p50 ${Math.round(r.json.oursP50)} ms, ${f1(r.json.oursRate)} items/s at c=${C}`,
          versus: `bare start p50 ${Math.round(r.json.bareP50)} ms, ${f1(r.json.bareRate)}/s: bare p50 / ours p50 ${(r.json.bareP50 / r.json.oursP50).toFixed(2)}`,
        },
        correct: r.correct,
        json: r.json,
        print: [
          `11. Opening items: ${N} items opened through the API, concurrency ${C}, against bare workflow starts`,
          r.rows,
        ],
      };
    },
  ],
  [
    'history',
    async () => {
      const n = flag('resubmissions', 20);
      const r = await runHistory(stack, n);
      const summary = {
        figure: `${r.json.events} events, ${Math.round(r.json.bytes / 1024)} KiB for a busy year`,
        versus: 'limits 50,000 events / 50 MB',
      };
      return {
        summary,
        correct: r.correct,
        json: r.json,
        print: [
          `7. History per item: open a simulated year (time-skipping server), monthly reports, ${n} resubmissions, then closed`,
          r.rows,
        ],
      };
    },
  ],
  [
    'memory',
    async () => {
      const cache = flag('cache', 100);
      const r = await runMemory(stack, [100, 1000, flag('open', 5000)], [null, cache]);
      const summary = {
        figure: `RSS ${col(r.rows, 'RSS MiB')} MiB (default cache, then cache ${cache}) at ${[...new Set(r.rows.map((x) => x['open items']))].join(' / ')} open items`,
        versus: '—',
      };
      return {
        summary,
        correct: r.correct,
        json: r.json,
        print: [
          `10. Worker memory: a worker process with open items waiting on their deadlines, default workflow cache and a cache of ${cache}`,
          r.rows,
        ],
      };
    },
  ],
  [
    'reads',
    async () => {
      const [N, c] = [flag('rows', 100_000), flag('concurrency', 10)];
      const r = await runReads(stack, N, 10, flag('requests', 300), c);
      return {
        summary: {
          figure: `${col(r.rows, 'ours req/s')} req/s (${r.rows.map((x) => x.query).join('; ')})`,
          versus: `bare Fastify + pg: ratios ${r.rows.map((x) => (typeof x['ratio (req/s)'] === 'number' ? x['ratio (req/s)'].toFixed(2) : '—')).join(' / ')}`,
        },
        correct: r.correct,
        json: r.json,
        print: [
          `8. Reads at scale: ${N} items and ${N * 10} events (seeded in ${(r.seedMs / 1000).toFixed(0)} s); API vs bare Fastify + pg running the same SQL, concurrency ${c}`,
          r.rows,
          '9. The console on the same data (headless Chromium, cold cache) and its size',
          r.consoleRows,
        ],
      };
    },
  ],
  [
    'replay',
    async () => {
      const r = await runReplay(flag('rounds', 5));
      const summary = {
        figure: `${Math.round(r.json.replayMs)} ms for ${r.json.events} events`,
        versus: `read + decode ${Math.round(r.json.decodeMs)} ms: ×${f1(r.json.replayMs / r.json.decodeMs)}`,
      };
      return {
        summary,
        correct: r.correct,
        json: r.json,
        print: [
          '5. Replay cost: every recorded history replayed against the current workflow code (the CI gate)',
          r.rows,
        ],
      };
    },
  ],
  [
    'control-index',
    async () => {
      const r = await runControlIndex(stack, flag('items', 100_000));
      const worst = r.rows.reduce((a, x) => Math.max(a, Number(x['total ms'])), 0);
      return {
        summary: {
          figure: `管控力指数 of a quarter, ${r.json.units} units: ≤ ${worst} ms (compute + write)`,
          versus: '—',
        },
        correct: r.correct,
        json: r.json,
        print: [
          `管控力指数: ${r.json.units} units, ${r.json.items} items and ${r.json.events} events over 2025 (seeded in ${(r.seedMs / 1000).toFixed(0)} s); each quarter computed and written as the Schedule's activity does`,
          r.rows,
        ],
      };
    },
  ],
  [
    'backtest',
    async () => {
      const r = await (await import('./backtest')).runBacktest(stack, flag('rows', 100_000));
      const strict = r.rows[0]!;
      return {
        summary: {
          figure: `ladder backtest over a year: ${strict.ms} ms (${r.json.items} items, ${r.json.events} events)`,
          versus: `recorded policy replayed: ${Math.round(r.json.sameMs)} ms, every recorded rung reproduced`,
        },
        correct: r.correct,
        json: r.json,
        print: [
          `Ladder backtest: ${r.json.items} items over 2025 with ${r.json.events} events (${r.json.escalations} recorded rungs), seeded straight into PostgreSQL in ${(r.json.seedMs / 1000).toFixed(0)} s; one backtest of a stricter ladder, then the recorded one, as POST /api/backtests/ladder runs them`,
          r.rows,
        ],
      };
    },
  ],
];

try {
  if (
    BENCHMARKS.map(([name]) => name)
      .sort()
      .join() !== [...NAMES].sort().join()
  )
    throw new Error('bench/index.ts: NAMES and BENCHMARKS differ');
  for (const [name, run] of BENCHMARKS) {
    if (!want(name)) continue;
    const t0 = performance.now();
    try {
      const r = await run();
      for (const part of r.print) console.log(typeof part === 'string' ? `\n${part}\n` : `${table(part)}\n`);
      results[name] = r.json;
      ok &&= r.correct;
      summaryRows.push({
        benchmark: name,
        figure: r.summary.figure,
        'baseline, same run': r.summary.versus,
        correct: r.correct ? 'yes' : 'NO',
      });
    } catch (err) {
      // One benchmark's failure is reported and the others still run.
      console.error(`\n${name}: FAILED: ${(err as Error).stack ?? err}\n`);
      results[name] = { error: String(err) };
      ok = false;
      summaryRows.push({
        benchmark: name,
        figure: `FAILED: ${(err as Error).message}`,
        'baseline, same run': '',
        correct: 'NO',
      });
    }
    console.log(`(${name}: ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
} finally {
  await stack.stop();
}
console.log(`\nSummary (details above)\n\n${table(summaryRows)}`);
// The speed issue's table (issue 20): "—" where its benchmark did not run in this invocation.
console.log(
  `\nAgainst the targets (ours and bare from this run; ratio as the target states it)\n\n${table(issueTable(results))}`,
);
const dir = path.join(ROOT, 'bench-results');
await mkdir(dir, { recursive: true });
const file = path.join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
await writeFile(file, JSON.stringify(results, null, 2));
console.log(`\nresults written to ${path.relative(ROOT, file)}${ok ? '' : '\nA CORRECTNESS CHECK FAILED'}`);
process.exit(ok ? 0 : 1);
