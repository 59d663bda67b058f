#!/usr/bin/env bash
# Sets up everything, type-checks, runs every test, and ends with the line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/use-node.sh
SETUP_BROWSER=1 ./scripts/setup.sh || exit 1
node_modules/.bin/tsc -p . && node_modules/.bin/tsc -p console || { echo "0 passed, 1 failed"; exit 1; }
node_modules/.bin/eslint . || { echo "0 passed, 1 failed"; exit 1; }
node_modules/.bin/prettier --check --log-level warn "**/*.{ts,tsx,mjs}" || { echo "prettier: run 'npm run format'"; echo "0 passed, 1 failed"; exit 1; }
mkdir -p test-artifacts && rm -f test-artifacts/vitest.json
node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json=test-artifacts/vitest.json "$@"
status=$?
# The verdict comes from the report, not only vitest's exit code: embedded-postgres installs an
# exit hook (async-exit-hook) that can end the process with 0 after failed tests.
node -e '
  const fs = require("fs");
  let r = { numPassedTests: 0, numFailedTests: 1, success: false };
  try { r = JSON.parse(fs.readFileSync("test-artifacts/vitest.json", "utf8")); } catch {}
  // A file whose set-up fails reports its tests as skipped, not failed: they count as failed
  // here (no test is skipped on purpose), and so does a file that failed before any test ran.
  const unrun = (r.testResults ?? []).filter((f) => f.status === "failed" && (f.assertionResults ?? []).length === 0).length;
  const failed = r.numFailedTests + (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0) + unrun;
  console.log(`${r.numPassedTests} passed, ${failed} failed`);
  process.exit(failed === 0 && r.success !== false && r.numPassedTests > 0 ? 0 : 1);
' || status=1
exit $status
