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

const { values } = parseArgs({ options: { 'recheck-ms': { type: 'string' }, help: { type: 'boolean' } } });
if (values.help) {
  console.log('usage: npm run reconcile [-- --recheck-ms <ms before the second look, default 5000>]');
  process.exit(0);
}
const env = loadConfig();
const keyFile = path.resolve(ROOT, env.DATA_DIR, 'payload-key');
const config = {
  ...env,
  PAYLOAD_KEY: env.PAYLOAD_KEY ?? (existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : undefined),
};
const db = createDb(config.DATABASE_URL ?? `postgresql://duban:duban@127.0.0.1:${config.PG_PORT}/duban`);
const { client, connection } = await connectClient(config);
let code = 2;
try {
  const recheck = values['recheck-ms'] === undefined ? undefined : Number(values['recheck-ms']);
  if (recheck !== undefined && !(Number.isInteger(recheck) && recheck >= 0))
    throw new Error('--recheck-ms: a whole number of milliseconds');
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
  await connection.close();
}
process.exit(code);
