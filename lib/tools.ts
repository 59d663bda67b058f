import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Binaries that npm cannot give us; scripts/setup.sh installs them under .tools/. */
export function toolPath(name: 'temporal' | 'temporal-test-server'): string {
  const p = path.join(ROOT, '.tools', 'venv', 'bin', name);
  if (!existsSync(p)) throw new Error(`${p} is missing: run scripts/setup.sh`);
  return p;
}

/**
 * tsx as a loader of this very process (`node --import <this> file.ts`), for spawning the product's
 * processes: tsx's CLI would run the program in a child of its own, and a SIGKILL sent to the CLI
 * would leave that child, the real worker, running.
 */
export const TSX_LOADER = pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
