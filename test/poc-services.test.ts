import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { declaredServices } from '@pocs/infra/test-setup';
import { describe, expect, it } from 'vitest';

// Every POC says which services it needs (package.json "pocs.services"), and its tests check
// them before running: the lab, the fault suite and `services up` read the same list.

const root = join(import.meta.dirname, '..');
const pocs = readdirSync(join(root, 'pocs')).filter((d) => /^poc-\d{2}-/.test(d));

describe('POC service declarations', () => {
  it.each(pocs)('%s declares its services and checks them before its tests', (dir) => {
    const pocDir = join(root, 'pocs', dir);
    const pkg = JSON.parse(readFileSync(join(pocDir, 'package.json'), 'utf8'));
    expect(
      Array.isArray(pkg.pocs?.services),
      'package.json needs "pocs": { "services": [...] }',
    ).toBe(true);
    expect(() => declaredServices(pocDir)).not.toThrow();
    const config = readFileSync(join(pocDir, 'vitest.config.ts'), 'utf8');
    expect(config).toContain("globalSetup: ['@pocs/infra/test-setup']");
  });

  it.each(pocs)('%s serves on port 30NN by default (infra/README.md, POC ports)', (dir) => {
    const nn = dir.slice(4, 6);
    const config = readFileSync(join(root, 'pocs', dir, 'src', 'config.ts'), 'utf8');
    expect(config).toMatch(new RegExp(`\\bPORT: env\\.port\\(30${nn}\\)`));
  });
});
