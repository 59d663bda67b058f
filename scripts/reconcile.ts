/**
 * Runs the reconciliation once, now, as the Schedule does (activities/reconcile.ts): every open
 * item's row against its workflow, every fired rung against its notification request. Prints what
 * differs and exits 1 when anything does (2 when the check itself could not run).
 *   npm run reconcile [-- --recheck-ms 5000]
 * DATABASE_URL and TEMPORAL_ADDRESS, or the embedded default's while ./scripts/start.sh runs (its
 * payload key from .data/payload-key).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runReconciliation } from '../activities/reconcile';
import { FINDING_KINDS } from '../domain/reconcile';
import { loadConfig } from '../lib/config';
import { createDb } from '../lib/db';
import { ROOT } from '../lib/root';
import { connectClient } from '../lib/temporal-connect';

const USAGE = 'usage: npm run reconcile [-- --recheck-ms <ms before the second look, default 5000>]';
const RECHECK = '--recheck-ms takes a whole number of milliseconds';

/** The options, or the one line saying which is wrong: exit 2, "could not run", never 1, which means differences found. */
function options(): { recheck: number | undefined } {
  let values: { 'recheck-ms'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ options: { 'recheck-ms': { type: 'string' }, help: { type: 'boolean' } } }));
  } catch (err) {
    // node:util's message names the option ("Unknown option '--bogus'"); its hints (about "--",
    // about "--recheck-ms=-5") do not apply here.
    const message = (err as Error).message;
    return usageError(message.includes("'--recheck-ms") ? RECHECK : (message.split(/\.\s|\n/)[0] ?? message));
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const raw = values['recheck-ms'];
  if (raw === undefined) return { recheck: undefined };
  const recheck = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(recheck)) return usageError(`${RECHECK}, not "${raw}"`);
  return { recheck };
}

function usageError(message: string): never {
  console.error(`reconcile: ${message} (npm run reconcile -- --help)`);
  process.exit(2);
}

const { recheck } = options();
const env = loadConfig();
const keyFile = path.resolve(ROOT, env.DATA_DIR, 'payload-key');
const config = {
  ...env,
  PAYLOAD_KEY: env.PAYLOAD_KEY ?? (existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : undefined),
};
const db = createDb(config.DATABASE_URL ?? `postgresql://duban:duban@127.0.0.1:${config.PG_PORT}/duban`);
let connection: Awaited<ReturnType<typeof connectClient>>['connection'] | undefined;
let code = 2;
try {
  // Inside the try: Temporal unreachable is "could not run" (2), not a stack trace and 1.
  const connected = await connectClient(config);
  connection = connected.connection;
  const client = connected.client;
  const report = await runReconciliation(db, client, {
    trigger: 'manual',
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    ...(recheck !== undefined ? { recheckDelayMs: recheck } : {}),
  });
  const rows = report.findings.map((f) => [f.subjectId, FINDING_KINDS[f.kind], f.detail.reason]);
  if (rows.length) {
    const head = ['事项', '类别', '说明'];
    const width = (s: string) => [...s].reduce((w, c) => w + (c.charCodeAt(0) > 0x2e80 ? 2 : 1), 0);
    const cols = [0, 1].map((i) => Math.max(width(head[i]!), ...rows.map((r) => width(r[i]!))));
    const line = (r: string[]) => r.map((c, i) => (i < 2 ? c + ' '.repeat(cols[i]! - width(c)) : c)).join('  ');
    console.log(line(head));
    console.log(line(cols.map((w) => '-'.repeat(w)).concat('-'.repeat(4))));
    for (const r of rows) console.log(line(r));
  }
  console.log(
    `run ${report.runId}: ${report.itemsChecked} items checked, ${report.findings.length} findings, ${report.resolved} earlier findings resolved`,
  );
  code = report.findings.length ? 1 : 0;
} catch (err) {
  console.error(`reconciliation failed: ${(err as Error).message}`);
} finally {
  await db.$disconnect();
  await connection?.close();
}
process.exit(code);
