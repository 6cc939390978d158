import { type ParseArgsConfig, parseArgs } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** A bad flag: the script prints the message and its usage, and exits 2. */

/**
 * parseArgs for break scripts and benches: `--help` prints usage and exits 0; an
 * unknown or malformed flag prints the problem plus usage and exits 2. A leading
 * `--` (what `pnpm run x -- --flag` passes through) is ignored.
 */
export function parseCli<const O extends Options>(
  usage: string,
  options: O,
  argv = process.argv.slice(2),
) {
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  try {
    const { values } = parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
    });
    if ((values as { help?: boolean }).help) {
      console.log(usage);
      process.exit(0);
    }
    return values as ReturnType<typeof parseArgs<{ options: O }>>['values'];
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${usage}`);
    process.exit(2);
  }
}

/** Parse a whole number ≥ min from a flag value, or exit 2 naming the flag. */
export function intFlag(name: string, raw: string | undefined, min = 1): number {
  const n = Number(raw);
  if (raw === undefined || !Number.isInteger(n) || n < min) {
    console.error(`--${name} must be a whole number ≥ ${min}, got "${raw}"`);
    process.exit(2);
  }
  return n;
}

/** The usage line every bench and break script shows for the common --write flag. */
export const WRITE_USAGE =
  '  --write        update the committed results/ (without it: results/local/, git-ignored)';

/**
 * parseCli for scripts that record results: adds the common `--write` flag (default
 * false) and its usage line. Pass `values.write` to writeResult().
 */
export function parseResultsCli<const O extends Options>(
  usage: string,
  options: O,
  argv = process.argv.slice(2),
) {
  return parseCli(
    `${usage}\n${WRITE_USAGE}`,
    { ...options, write: { type: 'boolean', default: false } } as O & {
      write: { type: 'boolean'; default: false };
    },
    argv,
  );
}
