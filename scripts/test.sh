#!/usr/bin/env bash
# Sets up everything, type-checks, runs every test, and ends with the line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh || exit 1
node_modules/.bin/tsc -p . || { echo "0 passed, 1 failed"; exit 1; }
node_modules/.bin/eslint . || { echo "0 passed, 1 failed"; exit 1; }
mkdir -p test-artifacts
node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json=test-artifacts/vitest.json "$@"
status=$?
node -e '
  const fs = require("fs");
  let r = { numPassedTests: 0, numFailedTests: 0 };
  try { r = JSON.parse(fs.readFileSync("test-artifacts/vitest.json", "utf8")); } catch { r.numFailedTests = 1; }
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed`);
'
exit $status
