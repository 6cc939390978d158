import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkPoc, listPocs, type PocInfo, repoRoot } from '../scripts/poc-contract.ts';
import { renderIndex } from '../scripts/readme-index.ts';

const pocs = await listPocs();

describe('every POC honours the contract', () => {
  it('finds the POCs', () => {
    expect(pocs.map((p) => p.folder)).toContain('poc-71-pool-sizing');
  });

  it.each(pocs.map((p) => [p.folder, p] as const))('%s has every piece', async (_folder, poc) => {
    expect(await checkPoc(poc)).toEqual([]);
  });

  it('the root README index matches the packages', async () => {
    const readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
    expect(readme).toContain(await renderIndex());
  });
});

// Scratch POCs sit one level below the repo root, as pocs/* do, so their imports and
// their tsconfig's "../../tsconfig.base.json" resolve exactly as a real POC's would.
const scratch = join(repoRoot, `.contract-probe-${process.pid}`);
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe('the contract check fails on a POC missing a piece', () => {
  it('names the POC and each missing or wrong piece', async () => {
    const dir = join(scratch, 'poc-71-pool-sizing');
    await mkdir(scratch, { recursive: true });
    await cp(join(repoRoot, 'pocs', 'poc-71-pool-sizing'), dir, {
      recursive: true,
      filter: (src) => !src.includes('node_modules'),
    });
    const poc: PocInfo = { folder: 'poc-71-pool-sizing', number: '71', dir };
    expect(await checkPoc(poc)).toEqual([]);

    await rm(join(dir, 'scripts', 'break.ts'));
    await rm(join(dir, 'results', 'sweep.svg'));
    const readme = await readFile(join(dir, 'README.md'), 'utf8');
    await writeFile(join(dir, 'README.md'), readme.replace(/^## Break it$/m, '## Breaking'));
    const env = await readFile(join(dir, '.env.example'), 'utf8');
    await writeFile(join(dir, '.env.example'), env.replace(/^PG_POOL_MAX=.*\n/m, ''));
    const compose = await readFile(join(dir, 'docker-compose.yml'), 'utf8');
    await writeFile(join(dir, 'docker-compose.yml'), compose.replace('"5432:5432"', '"5433:5432"'));
    await writeFile(
      join(dir, 'test', 'imports-a-cli.test.ts'),
      "import '../scripts/break.ts';\nconst m = await import('../bench/sweep.ts');\n",
    );

    const problems = await checkPoc(poc);
    expect(problems).toEqual(
      expect.arrayContaining([
        'poc-71-pool-sizing: missing scripts/break.ts',
        'poc-71-pool-sizing: results/ has no .svg chart',
        'poc-71-pool-sizing: README.md lacks the "## Break it" section',
        'poc-71-pool-sizing: .env.example lacks PG_POOL_MAX',
        'poc-71-pool-sizing: test/imports-a-cli.test.ts imports scripts/break.ts: import experiments from src/experiments/, never scripts/ or bench/',
        'poc-71-pool-sizing: test/imports-a-cli.test.ts imports bench/sweep.ts: import experiments from src/experiments/, never scripts/ or bench/',
        expect.stringMatching(
          /^poc-71-pool-sizing: docker-compose.yml service "postgres" publishes port 5433, which no config default uses/,
        ),
        expect.stringMatching(
          /^poc-71-pool-sizing: README.md links results\/sweep.svg, which does not exist/,
        ),
      ]),
    );
    expect(problems).toHaveLength(8);
  });

  it('flags a wrong package name, a missing script and an unparsable compose file', async () => {
    const dir = join(scratch, 'poc-71-pool-sizing');
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    pkg.name = 'pool-sizing';
    delete pkg.scripts.bench;
    await writeFile(join(dir, 'package.json'), JSON.stringify(pkg));
    await writeFile(join(dir, 'docker-compose.yml'), 'services: [unclosed');
    const problems = await checkPoc({ folder: 'poc-71-pool-sizing', number: '71', dir });
    expect(problems).toContain(
      'poc-71-pool-sizing: package.json name must be "poc-71", is "pool-sizing"',
    );
    expect(problems).toContain('poc-71-pool-sizing: package.json lacks the "bench" script');
    expect(
      problems.some((p) =>
        p.startsWith('poc-71-pool-sizing: docker-compose.yml is not valid YAML'),
      ),
    ).toBe(true);
  });
});

describe('the contract check fails on a results file outside the envelope', () => {
  it('names the file and each missing or bad key', async () => {
    const dir = join(scratch, 'poc-72-connection-leak');
    await mkdir(scratch, { recursive: true });
    await cp(join(repoRoot, 'pocs', 'poc-72-connection-leak'), dir, {
      recursive: true,
      filter: (src) => !src.includes('node_modules'),
    });
    const poc: PocInfo = { folder: 'poc-72-connection-leak', number: '72', dir };
    expect(await checkPoc(poc)).toEqual([]);

    // The shape results had before the envelope: `at` instead of recordedAt, no command.
    const leak = JSON.parse(await readFile(join(dir, 'results', 'leak.json'), 'utf8'));
    const { recordedAt, command: _command, ...rest } = leak;
    await writeFile(join(dir, 'results', 'leak.json'), JSON.stringify({ ...rest, at: recordedAt }));
    await writeFile(
      join(dir, 'results', 'extra.json'),
      JSON.stringify({
        ...leak,
        poc: 'poc-71',
        command: 'pnpm --filter poc-71 bench',
        machine: { ...leak.machine, cores: 0 },
      }),
    );
    // results/local/ is scratch: never checked.
    await mkdir(join(dir, 'results', 'local'), { recursive: true });
    await writeFile(join(dir, 'results', 'local', 'leak.json'), '{}');

    expect(await checkPoc(poc)).toEqual([
      'poc-72-connection-leak: results/extra.json envelope: machine.cores: Too small: expected number to be >0',
      'poc-72-connection-leak: results/extra.json envelope: poc is "poc-71", expected "poc-72"',
      'poc-72-connection-leak: results/extra.json envelope: command must start with "pnpm --filter poc-72 "',
      'poc-72-connection-leak: results/leak.json envelope: command: missing',
      'poc-72-connection-leak: results/leak.json envelope: recordedAt: missing',
    ]);
  });
});

describe('pnpm new:poc', () => {
  it('scaffolds a POC whose pieces all pass the contract once its bench has run', async () => {
    const pocsDir = scratch;
    const newPoc = [
      '--silent',
      'new:poc',
      '98',
      'contract-probe',
      '--skip-install',
      '--pocs-dir',
      pocsDir,
    ];
    execFileSync('pnpm', newPoc, { cwd: repoRoot, stdio: 'pipe' });
    const poc: PocInfo = {
      folder: 'poc-98-contract-probe',
      number: '98',
      dir: join(pocsDir, 'poc-98-contract-probe'),
    };
    // Everything is there but the measured results, which only the bench can produce.
    expect(await checkPoc(poc)).toEqual([
      'poc-98-contract-probe: results/ has no .json result (run the bench and commit its output)',
      'poc-98-contract-probe: results/ has no .svg chart',
      'poc-98-contract-probe: README.md links results/latency.json, which does not exist',
      'poc-98-contract-probe: README.md links results/latency.svg, which does not exist',
    ]);
    // Without --write the bench leaves the committed results/ alone...
    const bench = (...flags: string[]) =>
      execFileSync(process.execPath, ['--import', 'tsx', 'bench/latency.ts', ...flags], {
        cwd: poc.dir,
        stdio: 'pipe',
      });
    expect(String(bench())).toContain('results/local/ (git-ignored');
    expect(existsSync(join(poc.dir, 'results', 'local', 'latency.json'))).toBe(true);
    expect(existsSync(join(poc.dir, 'results', 'latency.json'))).toBe(false);
    // ...and with --write it records them there, in the envelope.
    bench('--write');
    expect(await checkPoc(poc)).toEqual([]);
    const result = JSON.parse(await readFile(join(poc.dir, 'results', 'latency.json'), 'utf8'));
    expect(Object.keys(result).slice(0, 6)).toEqual([
      'poc',
      'bench',
      'command',
      'recordedAt',
      'machine',
      'rows',
    ]);
    expect(result.poc).toBe('poc-98');
    expect(result.command).toBe('pnpm --filter poc-98 bench -- --write');
    expect(result.rows).toHaveLength(3);
    expect(result.rows.every((r: { rps: number }) => r.rps > 0)).toBe(true);
    expect(await readFile(join(poc.dir, '.env.example'), 'utf8')).toContain('PORT=3098');
  });

  it('refuses a number that is taken and a slug that is not kebab-case', () => {
    const run = (args: string[]) => {
      try {
        execFileSync('pnpm', ['--silent', 'new:poc', ...args, '--skip-install'], {
          cwd: repoRoot,
          stdio: 'pipe',
        });
        return '';
      } catch (err) {
        return String((err as { stderr: Buffer }).stderr);
      }
    };
    expect(run(['71', 'again'])).toContain('POC #71 exists already: pocs/poc-71-pool-sizing');
    expect(run(['97', 'Not_Kebab'])).toContain('slug must be kebab-case, got "Not_Kebab"');
  });
});
