// Reads vitest's JSON report: prints the 10 slowest test files and each package's total
// against its CI budget (where the 45 minutes go), then the closing line
// "N passed, N failed[, N skipped]".
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

// CI budget: 45 minutes for 35 POCs, so about a minute of tests per POC (benches carry the
// long runs). Over budget is reported, not failed: a loaded machine must not fail CI.
const POC_BUDGET_SECONDS = 60;

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const files = report.testResults
  .map((f) => ({
    file: relative(process.cwd(), f.name),
    seconds: (f.endTime - f.startTime) / 1000,
  }))
  .sort((a, b) => b.seconds - a.seconds);
const total = files.reduce((sum, f) => sum + f.seconds, 0);
console.log(`\nSlowest test files (of ${files.length}, ${total.toFixed(0)} s in all):`);
for (const { file, seconds } of files.slice(0, 10)) {
  console.log(`  ${seconds.toFixed(1).padStart(7)} s  ${file}`);
}

// pocs/poc-71-pool-sizing/test/x.test.ts → pocs/poc-71-pool-sizing; test/x.test.ts → test
const packageOf = (file) => {
  const parts = file.split('/');
  return ['pocs', 'adapters'].includes(parts[0]) ? parts.slice(0, 2).join('/') : parts[0];
};
const packages = new Map();
for (const { file, seconds } of files) {
  const name = packageOf(file);
  packages.set(name, (packages.get(name) ?? 0) + seconds);
}
const pocs = [...packages].filter(([name]) => name.startsWith('pocs/'));
const over = pocs.filter(([, s]) => s > POC_BUDGET_SECONDS).sort((a, b) => b[1] - a[1]);
const pocTotal = pocs.reduce((sum, [, s]) => sum + s, 0);
console.log(
  `\nPOC tests: ${pocs.length} POCs, ${pocTotal.toFixed(0)} s in all, ` +
    `${pocs.length ? (pocTotal / pocs.length).toFixed(0) : 0} s each on average ` +
    `(budget ${POC_BUDGET_SECONDS} s each)`,
);
for (const [name, seconds] of over) {
  console.log(`  over budget: ${name} ${seconds.toFixed(1)} s`);
}
const skipped = report.numPendingTests + report.numTodoTests;
console.log(
  `${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`,
);
