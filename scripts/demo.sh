#!/usr/bin/env bash
# The main job on a fresh machine: install everything, start real Postgres, and run
# POC #71 (connection pool sizing) in the foreground. Ctrl-C stops it cleanly.
set -euo pipefail
source "$(dirname "$0")/bootstrap.sh"

echo "==> installing and starting Postgres and toxiproxy (native, no Docker needed)"
pnpm --silent services install postgres toxiproxy
pnpm --silent services up postgres toxiproxy

cat <<'MSG'
==> starting POC #71 on http://127.0.0.1:3071 — where to look:
    curl localhost:3071/products/42                   a product (primary-key lookup)
    curl localhost:3071/categories/7/top-sellers      the heavier query
    curl -s localhost:3071/metrics | grep db_pool     pool gauges and histograms
    pnpm --filter poc-71 break                        (another terminal) starve, then oversize the pool.
        It runs its own copies of the service (rule-of-thumb pool on :3271, broken pool on
        :3281) and prints their pool gauges once a second: watch its output, not :3071.
    pnpm --filter poc-71 bench                        sweep pool sizes 2..128, write results/
    pnpm services down                                stop the services this started
MSG
exec pnpm --silent --filter poc-71 start
