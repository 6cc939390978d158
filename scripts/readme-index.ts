/**
 * Regenerate the POC index table in the root README from the POC packages.
 *   pnpm readme:index          rewrite it
 *   pnpm readme:index --check  exit 1 if it is out of date
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listPocs, pocTitle, repoRoot } from './poc-contract.ts';

const START = '<!-- poc-index:start -->';
const END = '<!-- poc-index:end -->';

export async function renderIndex(): Promise<string> {
  const rows = ['| # | POC | run | break | bench |', '| --- | --- | --- | --- | --- |'];
  for (const poc of await listPocs()) {
    const n = poc.number;
    rows.push(
      `| ${n} | [${await pocTitle(poc)}](pocs/${poc.folder}/) | \`pnpm --filter poc-${n} start\` | \`pnpm --filter poc-${n} break\` | \`pnpm --filter poc-${n} bench\` |`,
    );
  }
  return `${START}\n${rows.join('\n')}\n${END}`;
}

export function replaceIndex(readme: string, index: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start === -1 || end === -1) throw new Error(`README.md lacks the ${START} … ${END} markers`);
  return readme.slice(0, start) + index + readme.slice(end + END.length);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const path = join(repoRoot, 'README.md');
  const readme = await readFile(path, 'utf8');
  const next = replaceIndex(readme, await renderIndex());
  if (process.argv.includes('--check')) {
    if (next !== readme) {
      console.error('README.md POC index is out of date: run pnpm readme:index');
      process.exit(1);
    }
    console.log('README.md POC index is up to date');
  } else if (next !== readme) {
    await writeFile(path, next);
    console.log('README.md POC index updated');
  } else console.log('README.md POC index already up to date');
}
