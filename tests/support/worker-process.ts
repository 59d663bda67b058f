import type { ChildProcess } from 'node:child_process';
import { startProductProcess } from '../../dev/product-process';
import { TEST_PAYLOAD_KEY } from './stack';

/** A worker process, as production runs it. */
export function startWorkerProcess(env: Record<string, string>): Promise<ChildProcess> {
  return startProductProcess('worker/main.ts', { PAYLOAD_KEY: TEST_PAYLOAD_KEY, ...env }, 'worker ready');
}

/** An API process, as production runs it (listening on API_PORT). */
export function startApiProcess(env: Record<string, string>): Promise<ChildProcess> {
  return startProductProcess('api/server.ts', { PAYLOAD_KEY: TEST_PAYLOAD_KEY, ...env }, 'Server listening');
}

export async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}
