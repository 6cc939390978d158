/**
 * Scaffold a POC that already passes the contract (docs/poc-contract.md).
 *
 *   pnpm new:poc <NN> <slug> [--title "Human Title"] [--skip-install] [--skip-bench]
 */
import { execFileSync } from 'node:child_process';
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { listPocs, repoRoot } from './poc-contract.ts';

const usage = `usage: pnpm new:poc <NN> <slug> [--title "Human Title"] [--skip-install] [--skip-bench]
  NN     two-digit POC number, e.g. 46
  slug   kebab-case, e.g. kafka-basics`;

function fail(message: string): never {
  console.error(`${message}\n\n${usage}`);
  process.exit(2);
}

const argv = process.argv.slice(2).filter((a) => a !== '--');
let parsed: ReturnType<
  typeof parseArgs<{
    allowPositionals: true;
    options: {
      title: { type: 'string' };
      'skip-install': { type: 'boolean' };
      'skip-bench': { type: 'boolean' };
      'pocs-dir': { type: 'string' };
      help: { type: 'boolean'; short: 'h' };
    };
  }>
>;
try {
  parsed = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      title: { type: 'string' },
      'skip-install': { type: 'boolean' },
      'skip-bench': { type: 'boolean' },
      'pocs-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
} catch (err) {
  fail((err as Error).message);
}
if (parsed.values.help) {
  console.log(usage);
  process.exit(0);
}
const [nn, slug] = parsed.positionals;
if (!nn || !/^\d{2}$/.test(nn)) fail(`NN must be two digits, got "${nn ?? ''}"`);
if (!slug || !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(slug))
  fail(`slug must be kebab-case, got "${slug ?? ''}"`);
const pocsDir = parsed.values['pocs-dir'] ?? join(repoRoot, 'pocs');
const existing = (await listPocs(pocsDir)).find((p) => p.number === nn);
if (existing) fail(`POC #${nn} exists already: pocs/${existing.folder}`);

const title =
  parsed.values.title ??
  slug
    .split('-')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join(' ');
const folder = `poc-${nn}-${slug}`;
const target = join(pocsDir, folder);
const replacements: [string, string][] = [
  ['__NN__', nn],
  ['__TITLE__', title],
  ['__PORT__', String(3000 + Number(nn))],
];

await cp(join(repoRoot, 'templates', 'poc'), target, {
  recursive: true,
  errorOnExist: true,
  force: false,
});
for (const entry of await readdir(target, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile()) continue;
  const path = join(entry.parentPath, entry.name);
  const text = await readFile(path, 'utf8');
  const replaced = replacements.reduce((t, [from, to]) => t.replaceAll(from, to), text);
  if (replaced !== text) await writeFile(path, replaced);
}
console.log(`created ${target} (port ${3000 + Number(nn)})`);

const run = (args: string[]) => execFileSync('pnpm', args, { cwd: repoRoot, stdio: 'inherit' });
if (!parsed.values['skip-install']) run(['install', '--offline']);
if (!parsed.values['skip-install'] && !parsed.values['skip-bench'])
  run(['--filter', `poc-${nn}`, 'bench', '--', '--write']);
console.log(
  `next: edit pocs/${folder}/src, then pnpm --filter poc-${nn} test; the contract: docs/poc-contract.md`,
);
