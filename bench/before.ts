/**
 * The item workflow as it was before transitions were recorded after Temporal accepted them
 * (issue 19): the workflow code of that commit, bundled from a copy taken out of git, so that the
 * lifecycle and interaction benchmarks measure the guarantee's cost in the same run. It runs with
 * today's activities (the old code records through the same `recordTransition`, as a local
 * activity).
 */
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ROOT } from '../lib/root';

/** The last commit whose item workflow wrote each transition by a local activity before acceptance. */
export const LOCAL_RECORD_COMMIT = 'e194781';

export async function localRecordBundle(commit = LOCAL_RECORD_COMMIT): Promise<WorkflowBundle> {
  // Under the repository, so that the copy's imports find node_modules as the real code does.
  const dir = path.join(ROOT, 'generated', `bench-before-${commit}`);
  if (!existsSync(path.join(dir, 'workflows', 'index.ts'))) {
    await mkdir(dir, { recursive: true });
    const tar = execFileSync('git', ['archive', '--format=tar', commit, 'workflows', 'domain'], {
      cwd: ROOT,
      maxBuffer: 64 * 2 ** 20,
    });
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
  }
  return bundleWorkflowCode({
    workflowsPath: path.join(dir, 'workflows', 'index.ts'),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) },
  });
}
