import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../../lib/root';

const TSX_CLI = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

/**
 * One of the product's commands (scripts/*.ts) run to its end with this test's node, as
 * `npm run <command>` runs it; `umask` runs it under that umask (set by the shell that starts it).
 */
export function runCommand(
  script: string,
  args: string[],
  env: Record<string, string>,
  options: { umask?: number } = {},
): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, TSX_CLI, path.join(ROOT, script), ...args];
  const [file, ...argv] =
    options.umask === undefined
      ? command
      : ['sh', '-c', `umask ${options.umask.toString(8).padStart(3, '0')} && exec "$0" "$@"`, ...command];
  return new Promise((resolve, reject) => {
    const child = spawn(file!, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}
