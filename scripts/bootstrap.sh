# Sourced by demo.sh and test-all.sh: make sure Node and the pinned pnpm are there,
# then install the workspace. Idempotent; prints what it does.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v node >/dev/null; then
  echo "Node.js 20+ is required (this repo runs TypeScript with tsx on Node 20)." >&2
  exit 1
fi
pinned=$(node -p "require('./package.json').packageManager.split('@')[1]")
if [ "$(pnpm --version 2>/dev/null || true)" != "$pinned" ]; then
  echo "==> installing pnpm $pinned (npm i -g; corepack's signature check fails on some registries)"
  npm install -g "pnpm@$pinned" >/dev/null
fi
echo "==> pnpm install"
if [ "${CI:-}" = "true" ]; then pnpm install --frozen-lockfile; else pnpm install; fi
