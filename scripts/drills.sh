#!/usr/bin/env bash
# The fault drills at full length (npm run drills): sets up, runs them, ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh || exit 1
mkdir -p test-artifacts && rm -f test-artifacts/drills.json
node_modules/.bin/vitest run -c vitest.drills.config.ts --reporter=default --reporter=json --outputFile.json=test-artifacts/drills.json "$@"
status=$?
node -e '
  const fs = require("fs");
  let r = { numPassedTests: 0, numFailedTests: 1, success: false };
  try { r = JSON.parse(fs.readFileSync("test-artifacts/drills.json", "utf8")); } catch {}
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed`);
  process.exit(r.numFailedTests === 0 && r.success !== false && r.numPassedTests > 0 ? 0 : 1);
' || status=1
exit $status
