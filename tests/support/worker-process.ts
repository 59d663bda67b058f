import type { ChildProcess } from 'node:child_process';
import { startProductProcess } from '../../dev/product-process';
import type { ConfigEnv } from '../../lib/config';
import { TEST_PAYLOAD_KEY } from './config';

/**
 * The settings a product process gets on top of the environment: the tests' payload key, no
 * metrics port (several processes run side by side; a test that scrapes gives its own), and these.
 */
function settings(env: ConfigEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries({
      PAYLOAD_KEY: TEST_PAYLOAD_KEY,
      METRICS_ADDRESS: 'off',
      RECONCILE_INTERVAL_MINUTES: '1440',
      ...env,
    }).filter((e): e is [string, string] => e[1] !== undefined),
  );
}

/** A worker process, as production runs it: worker/main.ts builds itself through app/compose.ts. */
export function startWorkerProcess(env: ConfigEnv): Promise<ChildProcess> {
  return startProductProcess('worker/main.ts', settings(env), 'worker ready');
}

/** An API process, as production runs it (listening on API_PORT). */
export function startApiProcess(env: ConfigEnv): Promise<ChildProcess> {
  return startProductProcess('api/server.ts', settings(env), 'Server listening');
}

export async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}
