#!/usr/bin/env -S node --import tsx
// `pnpm compose:check [file...]`: validate compose files with Compose's own loader (no engine).
import { checkComposeFiles, composeFiles } from './compose-check.ts';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(`Usage: pnpm compose:check [file...]

Validates every compose file (infra/compose/*.yml, pocs/*/docker-compose.yml and the
template's) with the Compose Specification's reference loader (compose-go, in infra/compose-check),
the way 'docker compose config --quiet' does, without a Docker engine. Builds the checker
with Go once per machine. Exits 1 if any file is invalid.`);
  process.exit(0);
}
const files = args.length > 0 ? args : composeFiles();
const { code, output } = await checkComposeFiles(files, { log: (line) => console.log(line) });
process.stdout.write(output);
process.exit(code);
