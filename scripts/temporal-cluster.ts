/**
 * npx tsx scripts/temporal-cluster.ts [--port=7233] [--keep]
 * A Temporal cluster as in the cluster drill (dev/temporal-cluster.ts: the server built from its
 * Go module on PostgreSQL, frontend, matching, two history processes and the system worker as
 * separate processes, namespace `default`), left running until Ctrl-C, for pointing the product
 * or the benchmarks at it: TEMPORAL_ADDRESS=<printed address> npm run bench -- lifecycle interaction
 * Its data lives in a temporary folder, removed on exit unless --keep.
 */
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startTemporalCluster } from '../dev/temporal-cluster';

const args = process.argv.slice(2);
const port = args.find((a) => a.startsWith('--port='))?.split('=')[1];
const keep = args.includes('--keep');
const dir = await mkdtemp(path.join(os.tmpdir(), 'duban-temporal-cluster-'));
// On exit, however it comes (embedded PostgreSQL ends the process on SIGINT itself).
if (!keep) process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
const cluster = await startTemporalCluster({
  dir,
  ...(port ? { port: Number(port) } : {}),
  log: (line) => console.log(`[cluster] ${line}`),
});
console.log(`
Temporal cluster running (v1.32.2 on PostgreSQL; frontend, matching, 2 × history, worker).
  TEMPORAL_ADDRESS=${cluster.address}   namespace ${cluster.namespace}
  e.g. TEMPORAL_ADDRESS=${cluster.address} npm run bench -- lifecycle interaction
       .tools/venv/bin/temporal workflow list --address ${cluster.address}
  Data and logs: ${dir}
Press Ctrl+C to stop${keep ? '' : ' (the data folder is removed)'}.
`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log('[cluster] stopping…');
  await cluster.stop();
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
