import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkComposeFiles, composeFiles } from '../src/compose-check.ts';

// Compose's own loader (compose-go), built from infra/compose-check: what `docker compose
// config --quiet` would say, on a machine with no Docker engine.

const dir = mkdtempSync(join(tmpdir(), 'compose-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('compose-check', () => {
  it('accepts every compose file in the repo', async () => {
    const files = composeFiles();
    const { code, output } = await checkComposeFiles(files);
    expect(output).toContain(`${files.length} of ${files.length} compose files valid`);
    expect(code).toBe(0);
  }, 180_000);

  it('rejects a misspelled key and a dangling volume, naming the file', async () => {
    const typo = join(dir, 'typo.yml');
    writeFileSync(typo, 'services:\n  db:\n    image: postgres:15\n    prots: ["5432:5432"]\n');
    const dangling = join(dir, 'dangling.yml');
    writeFileSync(
      dangling,
      'services:\n  db:\n    image: postgres:15\n    volumes: ["data:/var/lib/postgresql/data"]\n',
    );
    const { code, output } = await checkComposeFiles([typo, dangling]);
    expect(code).toBe(1);
    expect(output).toMatch(/FAIL .*typo\.yml: .*prots/);
    expect(output).toMatch(/FAIL .*dangling\.yml: .*data/);
    expect(output).toContain('0 of 2 compose files valid');
  }, 180_000);
});
