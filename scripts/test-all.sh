#!/usr/bin/env bash
# Everything on a fresh machine: install, start the real services, lint, typecheck and
# run every test against them; stop what it started; end with "N passed, N failed".
set -euo pipefail
source "$(dirname "$0")/bootstrap.sh"

# kafka-cluster (3 brokers on 9092–9094) before kafka: the single-broker POCs then reuse its
# first broker on 9092, and POC #49 gets the brokers it kills and restarts.
services=(postgres redis kafka-cluster kafka rabbitmq toxiproxy)
echo "==> installing services: ${services[*]}"
pnpm --silent services install "${services[@]}"
# `down` stops only what this checkout's `up` started (by pid); reused services stay up.
trap 'echo "==> stopping the services this run started"; pnpm --silent services down || true' EXIT
pnpm --silent services up "${services[@]}"

echo "==> lint"
pnpm --silent lint
echo "==> typecheck"
pnpm --silent typecheck
echo "==> readme index"
pnpm --silent readme:index --check
echo "==> numbers check"
pnpm --silent numbers:check

echo "==> tests (one file at a time, against the real services)"
report=$(mktemp)
set +e
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json="$report"
status=$?
set -e
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$report" || echo "0 passed, 1 failed"
rm -f "$report"
exit $status
