import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { toolPath } from './tools';

export interface DevServer {
  address: string;
  uiUrl: string | null;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * The Temporal CLI's dev server (real server, SQLite persistence) with our search attributes
 * registered. `dbFile` keeps its data across restarts; without it, data lives in memory.
 */
export async function startTemporalDevServer(opts: {
  port: number;
  uiPort?: number;
  dbFile?: string;
  /** The server's own Prometheus metrics on this port (e.g. `activity_eager_execution`). */
  metricsPort?: number;
  log?: (line: string) => void;
  /** false: start with none of them, as a real server starts (tests of the worker's set-up). */
  searchAttributes?: boolean;
}): Promise<DevServer> {
  const args = ['server', 'start-dev', '--port', String(opts.port), '--ip', '127.0.0.1', '--log-level', 'warn'];
  if (opts.dbFile) {
    // WAL journal, still synchronous=FULL: every commit is on disk, but writers no longer
    // rewrite a rollback journal on each transaction.
    args.push(
      '--db-filename',
      opts.dbFile,
      '--sqlite-pragma',
      'journal_mode=wal',
      '--sqlite-pragma',
      'synchronous=full',
    );
  }
  if (opts.metricsPort) args.push('--metrics-port', String(opts.metricsPort));
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  if (opts.searchAttributes !== false)
    for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  // Updates on a fresh workflow and many concurrent updates per workflow (benchmarks).
  args.push('--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true');
  // An item's record is an activity scheduled by the task that accepts its Update: handed to the
  // worker in the reply to that task's completion instead of through a poll (off by default).
  args.push('--dynamic-config-value', 'system.enableActivityEagerExecution=true');
  if (await portAnswers(opts.port))
    throw new Error(`port ${opts.port} is already in use (another Temporal server?): stop it or set TEMPORAL_PORT`);
  const child = spawn(toolPath('temporal'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // Do not leave the server behind when this process ends.
  const killChild = () => child.kill('SIGTERM');
  process.once('exit', killChild);
  child.once('exit', () => process.off('exit', killChild));
  const log = opts.log ?? (() => {});
  child.stdout?.on('data', (d: Buffer) => log(d.toString()));
  child.stderr?.on('data', (d: Buffer) => log(d.toString()));
  const address = `127.0.0.1:${opts.port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`temporal dev server exited with code ${child.exitCode}`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      await conn.workflowService.getSystemInfo({});
      await conn.close();
      break;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`temporal dev server did not answer on ${address}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return {
    address,
    uiUrl: opts.uiPort ? `http://127.0.0.1:${opts.uiPort}` : null,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
