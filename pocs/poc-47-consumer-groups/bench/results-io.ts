import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeResult } from '@pocs/shared/results';
import { localKafkaVersion } from '@pocs/shared/service-versions';

const pocDir = join(dirname(fileURLToPath(import.meta.url)), '..');

/** `<name>.json` (envelope + data) and `<name>.svg`: results/ with --write, else results/local/. */
export async function writeResults(
  name: string,
  data: Record<string, unknown>,
  svg: string,
  run: { script: string; argv: string[]; write: boolean },
): Promise<void> {
  await writeResult({
    pocDir,
    poc: 'poc-47',
    bench: name,
    script: run.script,
    argv: [...run.argv, ...(run.write ? ['--write'] : [])],
    write: run.write,
    services: { kafka: localKafkaVersion() },
    data,
    files: { [`${name}.svg`]: svg },
  });
}
