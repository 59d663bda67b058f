#!/usr/bin/env bash
# The fault drills at full length (npm run drills): the test command with the drills' vitest
# configuration; ends with "N passed, N failed".
exec "$(dirname "$0")/test.sh" -c vitest.drills.config.ts "$@"
