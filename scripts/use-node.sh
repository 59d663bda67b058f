# Sourced by the scripts that run node, npm, npx or tsx (setup, start, test): puts the project's
# Node — installed by scripts/setup.sh under .tools/node — first on PATH, so that nothing they
# start (tsx, vitest, the processes tests spawn with process.execPath) runs the machine's node.
export PATH="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.tools/node/shims:$PATH"
