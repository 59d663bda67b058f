import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * What in a folder tree is readable by anyone but its owner: every folder (the root included)
 * must be 0700 and every file 0600, nothing a symlink; each other entry as "<path> <mode>".
 */
export async function privateModeProblems(root: string): Promise<string[]> {
  const found: string[] = [];
  const visit = async (p: string) => {
    const s = await lstat(p);
    const mode = s.mode & 0o777;
    const rel = path.relative(root, p) || '.';
    if (s.isSymbolicLink()) found.push(`${rel} symlink`);
    else if (s.isDirectory()) {
      if (mode !== 0o700) found.push(`${rel}/ ${mode.toString(8)}`);
      for (const name of (await readdir(p)).sort()) await visit(path.join(p, name));
    } else if (mode !== 0o600) found.push(`${rel} ${mode.toString(8)}`);
  };
  await visit(root);
  return found;
}
