import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../lib/root';

/**
 * tsx as a loader of the process itself (`node --import <loader> file.ts`): tsx's CLI would run
 * the program in a child of its own, and a SIGKILL sent to the CLI would leave that child, the
 * real worker, running.
 */
const TSX_LOADER = pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/**
 * One of the product's processes (worker/main.ts, api/server.ts) as production runs it, for tests
 * and benchmarks that kill it or measure it: resolved once its output contains `ready`.
 */
export function startProductProcess(entry: string, env: Record<string, string>, ready: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, path.join(ROOT, entry)], {
    env: { ...process.env, ...env },
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
