/**
 * The POC contract (docs/poc-contract.md) as code: checkPoc() lists what a POC folder
 * lacks, each problem naming the POC and the missing piece.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { envelopeProblems } from '@pocs/shared/results';
import { parse as parseYaml } from 'yaml';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

export const README_SECTIONS = [
  "What you'll learn",
  'Run it',
  'The numbers',
  'Break it',
  'Fix it',
  'Configuration',
  'Metrics',
  'Production checklist',
  'Related',
] as const;

const REQUIRED_SCRIPTS = ['start', 'break', 'bench', 'test', 'typecheck'];
const REQUIRED_FILES = [
  'src/config.ts',
  'src/app.ts',
  'src/server.ts',
  'scripts/break.ts',
  '.env.example',
  'docker-compose.yml',
  'README.md',
  'vitest.config.ts',
];

export interface PocInfo {
  folder: string;
  number: string;
  dir: string;
}

export async function listPocs(pocsDir = join(repoRoot, 'pocs')): Promise<PocInfo[]> {
  if (!existsSync(pocsDir)) return [];
  const entries = await readdir(pocsDir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && e.name.startsWith('poc-'))
    .map((e) => ({ folder: e.name, number: e.name.slice(4, 6), dir: join(pocsDir, e.name) }))
    .sort((a, b) => a.folder.localeCompare(b.folder));
}

async function filesIn(dir: string, suffix: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  return (await readdir(dir, { recursive: true })).filter((f) => f.endsWith(suffix));
}

/** Committed results: files directly in results/ (results/local/ is git-ignored scratch). */
async function resultsFiles(dir: string, suffix: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  return (await readdir(dir)).filter((f) => f.endsWith(suffix)).sort();
}

/** Parse KEY=value lines; comments and blanks skipped. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) out[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
  }
  return out;
}

/** Ports a config's defaults use: PORT itself, and the port of every URL or host:port list. */
export function portsOf(values: Record<string, unknown>): Set<number> {
  const ports = new Set<number>();
  for (const [key, value] of Object.entries(values)) {
    if (key === 'PORT' || key.endsWith('_PORT')) ports.add(Number(value));
    if (typeof value !== 'string') continue;
    for (const m of value.matchAll(/(?:\/\/|^|,)(?:[^@/,]*@)?[\w.[\]:-]*?:(\d{2,5})(?=[/,?]|$)/g))
      ports.add(Number(m[1]));
  }
  return ports;
}

/** Host ports a compose file publishes, from "H:C", "IP:H:C" strings and long-form entries. */
export function publishedPorts(compose: unknown): { service: string; port: number }[] {
  const out: { service: string; port: number }[] = [];
  const services =
    (compose as { services?: Record<string, { ports?: unknown[] }> })?.services ?? {};
  for (const [service, def] of Object.entries(services)) {
    for (const p of def?.ports ?? []) {
      if (typeof p === 'object' && p !== null && 'published' in p)
        out.push({ service, port: Number((p as { published: unknown }).published) });
      else {
        const parts = String(p).split(':');
        if (parts.length >= 2) out.push({ service, port: Number(parts.at(-2)) });
      }
    }
  }
  return out;
}

/** Relative specifiers a file imports: `from '…'`, side-effect `import '…'`, `import('…')`. */
function relativeImports(source: string): string[] {
  return [...source.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map(
    (m) => m[1]!,
  );
}

/**
 * Experiments live in src/experiments/; scripts/ and bench/ are thin CLIs over them. So no
 * file in src/ or test/ imports from scripts/ or bench/: a test that imports a CLI runs its
 * top-level code, and logic there cannot be shared with the bench.
 */
async function cliImports(pocDir: string): Promise<string[]> {
  const found: string[] = [];
  for (const folder of ['src', 'test']) {
    for (const rel of await filesIn(join(pocDir, folder), '.ts')) {
      const file = join(pocDir, folder, rel);
      for (const spec of relativeImports(await readFile(file, 'utf8'))) {
        const target = relative(pocDir, resolve(dirname(file), spec));
        if (/^(scripts|bench)\//.test(target)) found.push(`${folder}/${rel} imports ${target}`);
      }
    }
  }
  return found;
}

export async function checkPoc(poc: PocInfo): Promise<string[]> {
  const problems: string[] = [];
  const say = (piece: string) => problems.push(`${poc.folder}: ${piece}`);
  const read = (rel: string) => readFile(join(poc.dir, rel), 'utf8');

  if (!/^poc-\d{2}-[a-z0-9]+(-[a-z0-9]+)*$/.test(poc.folder))
    say('folder name must be poc-NN-slug (kebab-case)');
  for (const rel of REQUIRED_FILES) if (!existsSync(join(poc.dir, rel))) say(`missing ${rel}`);

  if (!existsSync(join(poc.dir, 'package.json'))) say('missing package.json');
  else {
    const pkg = JSON.parse(await read('package.json')) as {
      name?: string;
      scripts?: Record<string, string>;
      dependencies?: Record<string, string>;
    };
    if (pkg.name !== `poc-${poc.number}`)
      say(`package.json name must be "poc-${poc.number}", is "${pkg.name}"`);
    for (const s of REQUIRED_SCRIPTS)
      if (!pkg.scripts?.[s]) say(`package.json lacks the "${s}" script`);
    if (pkg.dependencies?.['@pocs/shared'] !== 'workspace:*')
      say('package.json must depend on @pocs/shared workspace:*');
  }

  if ((await filesIn(join(poc.dir, 'bench'), '.ts')).length === 0)
    say('bench/ has no .ts bench script');
  const jsons = await resultsFiles(join(poc.dir, 'results'), '.json');
  const svgs = await resultsFiles(join(poc.dir, 'results'), '.svg');
  if (jsons.length === 0) say('results/ has no .json result (run the bench and commit its output)');
  if (svgs.length === 0) say('results/ has no .svg chart');
  for (const file of jsons) {
    let json: unknown;
    try {
      json = JSON.parse(await read(`results/${file}`));
    } catch (err) {
      say(`results/${file} is not valid JSON: ${(err as Error).message}`);
      continue;
    }
    for (const problem of envelopeProblems(json)) say(`results/${file} envelope: ${problem}`);
    const { poc: pocName, command } = (json ?? {}) as { poc?: unknown; command?: unknown };
    if (typeof pocName === 'string' && pocName !== `poc-${poc.number}`)
      say(`results/${file} envelope: poc is "${pocName}", expected "poc-${poc.number}"`);
    if (typeof command === 'string' && !command.startsWith(`pnpm --filter poc-${poc.number} `))
      say(`results/${file} envelope: command must start with "pnpm --filter poc-${poc.number} "`);
  }
  if ((await filesIn(join(poc.dir, 'test'), '.test.ts')).length === 0)
    say('test/ has no *.test.ts');
  if ((await filesIn(join(poc.dir, 'src', 'experiments'), '.ts')).length === 0)
    say('src/experiments/ has no .ts experiment (scripts/ and bench/ are thin CLIs over it)');
  for (const found of await cliImports(poc.dir))
    say(`${found}: import experiments from src/experiments/, never scripts/ or bench/`);

  // Config: .env.example lists exactly the schema's keys, at their defaults.
  let defaults: Record<string, unknown> | undefined;
  if (existsSync(join(poc.dir, 'src/config.ts'))) {
    const mod = (await import(pathToFileURL(join(poc.dir, 'src/config.ts')).href)) as {
      configSchema?: {
        shape?: object;
        safeParse: (v: unknown) => { success: boolean; data?: Record<string, unknown> };
      };
    };
    if (!mod.configSchema?.shape) say('src/config.ts does not export configSchema (a zod object)');
    else {
      const parsed = mod.configSchema.safeParse({});
      if (!parsed.success) say('configSchema has keys without defaults');
      defaults = parsed.data;
      if (existsSync(join(poc.dir, '.env.example'))) {
        const example = parseEnvFile(await read('.env.example'));
        const schemaKeys = Object.keys(mod.configSchema.shape).sort();
        const exampleKeys = Object.keys(example).sort();
        for (const k of schemaKeys) if (!exampleKeys.includes(k)) say(`.env.example lacks ${k}`);
        for (const k of exampleKeys)
          if (!schemaKeys.includes(k))
            say(`.env.example has ${k}, which configSchema does not know`);
        if (defaults) {
          const fromExample = mod.configSchema.safeParse(example);
          if (!fromExample.success) say('.env.example values do not parse with configSchema');
          else
            for (const k of schemaKeys)
              if (JSON.stringify(fromExample.data?.[k]) !== JSON.stringify(defaults[k]))
                say(`.env.example ${k} is not its default (${JSON.stringify(defaults[k])})`);
        }
      }
    }
  }

  if (existsSync(join(poc.dir, 'docker-compose.yml'))) {
    let compose: unknown;
    try {
      compose = parseYaml(await read('docker-compose.yml'));
    } catch (err) {
      say(`docker-compose.yml is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    }
    if (compose !== undefined) {
      if (!(compose as { services?: unknown })?.services) say('docker-compose.yml has no services');
      if (defaults) {
        const ports = portsOf(defaults);
        for (const { service, port } of publishedPorts(compose))
          if (!ports.has(port))
            say(
              `docker-compose.yml service "${service}" publishes port ${port}, which no config default uses (${[...ports].join(', ')})`,
            );
      }
    }
  }

  if (existsSync(join(poc.dir, 'README.md'))) {
    const readme = await read('README.md');
    if (!new RegExp(`^# POC #${poc.number} — .+`).test(readme))
      say(`README.md must start with "# POC #${poc.number} — Title"`);
    const headings = [...readme.matchAll(/^## (.+)$/gm)].map((m) => m[1]!.trim());
    const positions = README_SECTIONS.map((s) => headings.indexOf(s));
    README_SECTIONS.forEach((s, i) => {
      if (positions[i] === -1) say(`README.md lacks the "## ${s}" section`);
    });
    const found = positions.filter((p) => p >= 0);
    if (found.some((p, i) => i > 0 && p < found[i - 1]!))
      say(`README.md sections are out of order (expected: ${README_SECTIONS.join(' · ')})`);
    const numbers = readme.split(/^## /m).find((s) => s.startsWith('The numbers')) ?? '';
    if (!/!\[[^\]]*\]\(results\/[^)]+\.svg\)/.test(numbers))
      say('README.md "The numbers" does not embed a chart from results/');
    if (!/\]\(results\/[^)]+\.json\)/.test(numbers))
      say('README.md "The numbers" does not link a results JSON');
    for (const m of readme.matchAll(/\]\((results\/[^)#]+)\)/g))
      if (!existsSync(join(poc.dir, m[1]!))) say(`README.md links ${m[1]}, which does not exist`);
  }
  return problems;
}

/** Title from a POC README's first line: "# POC #71 — Connection Pool Sizing" → the part after the dash. */
export async function pocTitle(poc: PocInfo): Promise<string> {
  const first =
    (await readFile(join(poc.dir, 'README.md'), 'utf8').catch(() => '')).split('\n')[0] ?? '';
  return first.replace(/^# POC #\d+ — /, '').trim() || poc.folder;
}
