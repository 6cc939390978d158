// Reads vitest's JSON report: prints the 10 slowest test files (where the CI budget goes),
// then the closing line "N passed, N failed[, N skipped]".
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

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
const skipped = report.numPendingTests + report.numTodoTests;
console.log(
  `${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`,
);
