#!/usr/bin/env bash
# Sets up everything, then runs the product on its embedded default (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/use-node.sh
./scripts/setup.sh
exec node_modules/.bin/tsx scripts/dev.ts "$@"
