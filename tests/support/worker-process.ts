import { spawn, type ChildProcess } from 'node:child_process';
import { TEST_PAYLOAD_KEY } from './stack';
import path from 'node:path';
import { ROOT, TSX_LOADER } from '../../lib/tools';

/** A real process of the product (worker/main.ts, api/server.ts), ready once it prints `ready`. */
function startProcess(entry: string, env: Record<string, string>, ready: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, path.join(ROOT, entry)], {
    env: { ...process.env, PAYLOAD_KEY: TEST_PAYLOAD_KEY, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes(ready)) resolve(child);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${entry} exited early (${code}): ${output}`)));
  });
}

/** A worker process, as production runs it. */
export function startWorkerProcess(env: Record<string, string>): Promise<ChildProcess> {
  return startProcess('worker/main.ts', env, 'worker ready');
}

/** An API process, as production runs it (listening on API_PORT). */
export function startApiProcess(env: Record<string, string>): Promise<ChildProcess> {
  return startProcess('api/server.ts', env, 'Server listening');
}

export async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}
