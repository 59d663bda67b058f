/**
 * The workflow code a worker runs. In production it is bundled once, at build time
 * (`npm run build:workflows`, run by scripts/setup.sh), into a file the worker loads at boot, as
 * temporalio/samples-typescript `production/` does; a worker without a current prebuilt bundle
 * bundles workflows/index.ts itself. The file carries a stamp of the workflow sources it was
 * built from, so a bundle older than the code is never run: the code is bundled again instead.
 */
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT } from '../lib/root';

const require = createRequire(import.meta.url);

/**
 * What the bundle is made of: the workflow code (workflows/, which imports domain/ and only the
 * activities' types), the packages (the SDK's version), and this file (the bundler's options).
 */
const SOURCE_DIRS = ['workflows', 'domain'];
const SOURCE_FILES = ['package-lock.json', 'worker/bundle.ts', 'worker/workflow-preload.ts'];

const STAMP_PREFIX = '// duban-workflow-sources=';
const STAMP_LINE = /^\/\/ duban-workflow-sources=([0-9a-f]+)$/m;
const SOURCE_MAP = '//# sourceMappingURL=data:';

/**
 * The stamp goes on a line of its own just before the inline source map, which the SDK reads from
 * there to the end of the file: every line of code keeps its place in the map.
 */
function stamped(code: string, stamp: string): string {
  const at = code.lastIndexOf(SOURCE_MAP);
  const cut = at < 0 ? code.length : at;
  const before = code.slice(0, cut);
  return `${before}${before.endsWith('\n') ? '' : '\n'}${STAMP_PREFIX}${stamp}\n${code.slice(cut)}`;
}

/**
 * The tracing interceptors are in every bundle, whether or not the worker that loads it traces:
 * workflow code must not differ between workers that may replay the same history.
 */
export function bundleWorkflows({ preload = true }: { preload?: boolean } = {}): Promise<WorkflowBundle> {
  return bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows/index.ts'),
    workflowInterceptorModules: [require.resolve('../workflows/tracing-interceptors.ts')],
    ...(preload ? { preloadModules: PRELOADED_MODULES } : {}),
    logger: quietBundlerLogger,
  });
}

/**
 * Modules evaluated once per worker, in its reusable V8 context, and shared (deep-frozen) by every
 * workflow it runs, instead of once in each workflow's sandbox at its start (or its replay after
 * leaving the cache): see worker/workflow-preload.ts.
 */
export const PRELOADED_MODULES = [require.resolve('./workflow-preload.ts')];

const quietBundlerLogger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (msg: string) => console.warn(msg),
  error: (msg: string) => console.error(msg),
};

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(path.join(ROOT, dir), { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) => (e.isDirectory() ? filesUnder(path.posix.join(dir, e.name)) : [path.posix.join(dir, e.name)])),
  );
  return nested.flat();
}

/** A hash of every source the bundle is made of: any change to them makes a prebuilt bundle stale. */
export async function workflowSourcesStamp(): Promise<string> {
  const files = [...(await Promise.all(SOURCE_DIRS.map(filesUnder))).flat().sort(), ...SOURCE_FILES];
  const hash = createHash('sha256');
  for (const file of files)
    hash
      .update(`${file}\0`)
      .update(await readFile(path.join(ROOT, file)))
      .update('\0');
  return hash.digest('hex').slice(0, 16);
}

/** Bundles the workflow code into `file` (written whole or not at all), stamped with its sources. */
export async function buildWorkflowBundle(file: string): Promise<{ stamp: string; bytes: number }> {
  // The stamp is taken first: a source changed while bundling leaves the file stale, never wrongly current.
  const stamp = await workflowSourcesStamp();
  const { code } = await bundleWorkflows();
  const text = stamped(code, stamp);
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file);
  return { stamp, bytes: Buffer.byteLength(text) };
}

/** The prebuilt bundle at `file` when it was built from the workflow sources as they are now; otherwise why not. */
export async function prebuiltWorkflowBundle(file: string): Promise<{ bundle: WorkflowBundle } | { reason: string }> {
  let code: string;
  try {
    code = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { reason: `no prebuilt bundle at ${file}` };
    throw err;
  }
  const built = STAMP_LINE.exec(code)?.[1];
  const current = await workflowSourcesStamp();
  if (built !== current)
    return { reason: `${file} was built from other workflow sources (${built ?? 'no stamp'}, now ${current})` };
  return { bundle: { code } };
}

export interface WorkflowCode {
  bundle: WorkflowBundle;
  /** Whether it is the prebuilt bundle, and if not why not: for the worker's log. */
  prebuilt: boolean;
  description: string;
}

/** The prebuilt bundle at `file` if it is current, else the workflow code bundled now. */
export async function loadWorkflowBundle(file: string): Promise<WorkflowCode> {
  const prebuilt = await prebuiltWorkflowBundle(file);
  if ('bundle' in prebuilt)
    return { bundle: prebuilt.bundle, prebuilt: true, description: `the prebuilt workflow bundle ${file}` };
  return {
    bundle: await bundleWorkflows(),
    prebuilt: false,
    description: `workflow code bundled at boot (${prebuilt.reason}; npm run build:workflows prebuilds it)`,
  };
}
