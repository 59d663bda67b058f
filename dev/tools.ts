import { existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../lib/root';

/** Binaries that npm cannot give us; scripts/setup.sh installs them under .tools/. */
export function toolPath(name: 'temporal' | 'temporal-test-server'): string {
  const p = path.join(ROOT, '.tools', 'venv', 'bin', name);
  if (!existsSync(p)) throw new Error(`${p} is missing: run scripts/setup.sh`);
  return p;
}
