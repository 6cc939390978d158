#!/usr/bin/env bash
# Everything on a fresh machine: install, start the real services, lint, typecheck and
# run every test against them; stop what it started; end with "N passed, N failed".
set -euo pipefail
source "$(dirname "$0")/bootstrap.sh"

# A step that fails before the tests run still ends with a clear reason and the closing
# line, so a reader (or CI) never has to guess from a stack trace whether anything ran.
step() {
  local name=$1
  shift
  echo "==> $name"
  if ! "$@"; then
    echo "test-all: '$name' failed (see above); no tests were run" >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
}

# kafka-cluster (3 brokers on 9092–9094) before kafka: the single-broker POCs then reuse its
# first broker on 9092, and POC #49 gets the brokers it kills and restarts.
services=(postgres redis kafka-cluster kafka rabbitmq toxiproxy)
step "installing services: ${services[*]}" pnpm --silent services install "${services[@]}"
# `down` stops only what this checkout's `up` started (by pid); reused services stay up.
trap 'echo "==> stopping the services this run started"; pnpm --silent services down || true' EXIT
step "starting services: ${services[*]}" pnpm --silent services up "${services[@]}"

step "lint" pnpm --silent lint
step "typecheck" pnpm --silent typecheck
step "readme index" pnpm --silent readme:index --check
step "numbers check (README and doc figures against results/)" pnpm --silent numbers:check
step "compose files (compose-go loader)" pnpm --silent compose:check
step "metric names (docs/poc-contract.md, Metrics)" pnpm --silent metrics:check

echo "==> tests (against the real services)"
report=$(mktemp)
set +e
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json="$report"
status=$?
set -e
node scripts/test-summary.mjs "$report" || echo "0 passed, 1 failed"
rm -f "$report"
exit $status
