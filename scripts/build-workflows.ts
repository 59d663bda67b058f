/**
 * Builds the prebuilt workflow bundle production workers run (WORKFLOW_BUNDLE, by default
 * generated/workflow-bundle.js), stamped with the workflow sources it was built from. Run by
 * scripts/setup.sh whenever workflows/, domain/ or the packages change; a worker finding it older
 * than the sources bundles them itself instead.
 */
import path from 'node:path';
import { loadConfig } from '../lib/config';
import { ROOT } from '../lib/root';
import { buildWorkflowBundle } from '../worker/bundle';

const file = path.resolve(ROOT, loadConfig().WORKFLOW_BUNDLE);
const started = Date.now();
const { stamp, bytes } = await buildWorkflowBundle(file);
console.log(
  `workflow bundle ${path.relative(ROOT, file)}: ${(bytes / 1024).toFixed(0)} KiB, sources ${stamp}, ${Date.now() - started} ms`,
);
