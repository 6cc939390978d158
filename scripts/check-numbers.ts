/**
 * Check every measured number in the READMEs and docs against the committed results file
 * it came from.
 *   pnpm numbers:check
 *
 * A number carries its source in an HTML comment right after its digits (invisible when
 * rendered):
 *   **7,500**<!-- n: results/break.json#/runs/at-least-once/output/duplicates -->
 *   26.0<!-- n: results/break.json#/runs/at-least-once/copyMs / 1000 --> s
 *   52<!-- n: results/throughput.json#/rows/8/msgPerSec / #/rows/7/msgPerSec * 100 --> %
 * See docs/poc-contract.md, "Numbers from results", for the whole syntax and the rules.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Kinds of figures that are not from a results file: `<!-- n: config -->` and so on. */
export const MARKERS = ['config', 'external', 'example', 'id'] as const;

export interface CheckResult {
  references: number;
  problems: string[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const COMMENT = /<!--\s*n:\s*([\s\S]*?)\s*-->/g;
const AGGREGATES = ['min', 'max', 'sum', 'count', 'mean', 'median'] as const;
type Aggregate = (typeof AGGREGATES)[number];

/** Resolve a JSON pointer (RFC 6901); a `*` segment maps over every element. */
export function resolvePointer(doc: Json, pointer: string): Json | undefined {
  if (pointer === '') return doc;
  if (!pointer.startsWith('/')) return undefined;
  const segments = pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  const walk = (node: Json | undefined, i: number): Json | undefined => {
    if (i === segments.length || node === undefined) return node;
    if (node === null || typeof node !== 'object') return undefined;
    const seg = segments[i]!;
    if (seg === '*') {
      const children = Array.isArray(node) ? node : Object.values(node);
      const out = children.map((c) => walk(c, i + 1));
      return out.some((v) => v === undefined) ? undefined : (out as Json[]);
    }
    if (Array.isArray(node)) {
      if (!/^(0|[1-9]\d*)$/.test(seg)) return undefined;
      return walk(node[Number(seg)], i + 1);
    }
    return Object.hasOwn(node, seg) ? walk(node[seg], i + 1) : undefined;
  };
  return walk(doc, 0);
}

/** A committed text result (a break run's output): `#L34` is its 34th line. */
function textLine(text: string, pointer: string): string | undefined {
  const m = /^L([1-9]\d*)$/.exec(pointer);
  if (!m) throw new Error(`a text file takes a line pointer like #L12, got #${pointer}`);
  return text.split('\n')[Number(m[1]) - 1];
}

function aggregate(values: Json, how: Aggregate): number {
  if (!Array.isArray(values))
    throw new Error(`${how} needs an array, got ${JSON.stringify(values)}`);
  if (how === 'count') return values.length;
  const nums = values.map((v) => {
    if (typeof v !== 'number') throw new Error(`${how} over a non-number: ${JSON.stringify(v)}`);
    return v;
  });
  if (nums.length === 0) throw new Error(`${how} of an empty array`);
  if (how === 'min') return Math.min(...nums);
  if (how === 'max') return Math.max(...nums);
  const sum = nums.reduce((a, b) => a + b, 0);
  if (how === 'sum') return sum;
  if (how === 'mean') return sum / nums.length;
  const sorted = [...nums].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Evaluate an annotation: operands (`path#/pointer`, `#/pointer` for the previous file, or a
 * literal) joined by `+ - * /`, left to right; `min max sum count mean median` after an
 * operand fold an array. Paths are relative to the Markdown file.
 */
export async function evaluate(
  expr: string,
  baseDir: string,
  load: (path: string) => Promise<Json>,
): Promise<Json> {
  const tokens = expr.split(/\s+/).filter(Boolean);
  if (tokens.length === 0) throw new Error('empty annotation');
  let lastPath: string | undefined;
  let acc: Json | undefined;
  let pendingOp: string | undefined;
  let expectOperand = true;
  for (const token of tokens) {
    if (expectOperand) {
      let value: Json;
      if (/^-?\d+(\.\d+)?$/.test(token)) value = Number(token);
      else if (token.includes('#')) {
        const hash = token.indexOf('#');
        const path = token.slice(0, hash) || lastPath;
        if (!path) throw new Error(`${token}: no file named before it`);
        lastPath = path;
        const doc = await load(resolve(baseDir, path));
        const pointer = decodeURIComponent(token.slice(hash + 1));
        const found =
          typeof doc === 'string' ? textLine(doc, pointer) : resolvePointer(doc, pointer);
        if (found === undefined)
          throw new Error(`${path}#${token.slice(hash + 1)} resolves to nothing`);
        value = found;
      } else throw new Error(`expected a path#/pointer or a number, got "${token}"`);
      if (pendingOp === undefined) acc = value;
      else acc = arithmetic(acc!, pendingOp, value);
      expectOperand = false;
    } else if ((AGGREGATES as readonly string[]).includes(token)) {
      acc = aggregate(acc!, token as Aggregate);
    } else if (['+', '-', '*', '/'].includes(token)) {
      pendingOp = token;
      expectOperand = true;
    } else
      throw new Error(`expected an operator (+ - * /) or ${AGGREGATES.join('/')}, got "${token}"`);
  }
  if (expectOperand) throw new Error('annotation ends with an operator');
  return acc!;
}

function arithmetic(a: Json, op: string, b: Json): number {
  if (typeof a !== 'number' || typeof b !== 'number') {
    throw new Error(`${op} needs numbers, got ${JSON.stringify(a)} and ${JSON.stringify(b)}`);
  }
  if (op === '+') return a + b;
  if (op === '-') return a - b;
  if (op === '*') return a * b;
  return a / b;
}

/** Round half away from zero to `decimals` places, as people round. */
export function roundTo(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return (Math.sign(value) * Math.round(Math.abs(value) * f + 1e-9)) / f;
}

/** Format like the docs do: thousands separators, exactly `decimals` places. */
export function display(value: number, decimals: number, grouped: boolean): string {
  return value.toLocaleString('en-US', {
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
    useGrouping: grouped,
  });
}

const NUMBER_AT_END = /([+\-−]?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$/;

/** The figure an annotation refers to: the number or code span right before it. */
export function figureBefore(
  before: string,
):
  | { kind: 'number'; raw: string; value: number; decimals: number }
  | { kind: 'code'; raw: string }
  | undefined {
  const trimmed = before.replace(/[*_]+$/, '');
  if (trimmed.endsWith('`')) {
    const open = trimmed.lastIndexOf('`', trimmed.length - 2);
    if (open === -1) return undefined;
    return { kind: 'code', raw: trimmed.slice(open + 1, -1) };
  }
  const m = NUMBER_AT_END.exec(trimmed);
  if (!m) return undefined;
  const sign = m[1] === '' || m[1] === '+' ? 1 : -1;
  const decimals = m[3]?.length ?? 0;
  const value = sign * Number(`${m[2]!.replaceAll(',', '')}${m[3] ? `.${m[3]}` : ''}`);
  return { kind: 'number', raw: m[0], value, decimals };
}

function compare(
  figure: NonNullable<ReturnType<typeof figureBefore>>,
  value: Json,
): string | undefined {
  if (figure.kind === 'code') {
    const strings = Array.isArray(value) ? value : [value];
    if (strings.some((s) => typeof s === 'string' && s.includes(figure.raw))) return undefined;
    return `text \`${figure.raw}\`, file ${JSON.stringify(value)}`;
  }
  if (typeof value === 'string') {
    // A line of a text result: the figure must be one of its numbers.
    const numbers = [...value.matchAll(/\d[\d,]*(?:\.\d+)?/g)].map((m) =>
      Number(m[0].replaceAll(',', '')),
    );
    if (numbers.some((n) => Math.abs(roundTo(n, figure.decimals) - figure.value) < 1e-9)) {
      return undefined;
    }
    return `text ${figure.raw}, file line ${JSON.stringify(value.trim())} has no such number`;
  }
  if (typeof value !== 'number')
    return `text ${figure.raw}, file ${JSON.stringify(value)} (not a number)`;
  const rounded = roundTo(value, figure.decimals);
  if (Math.abs(rounded - figure.value) < 1e-9) return undefined;
  const shown = display(rounded, figure.decimals, figure.raw.includes(','));
  return `text ${figure.raw}, file ${shown} (${value})`;
}

/** Where in the repo the rule "every figure is annotated or marked" applies. */
export interface Strictness {
  /** Lines (1-based) inside a POC README's "## The numbers" section. */
  section: Set<number>;
  /** Markdown tables count as strict in docs/. */
  tables: boolean;
}

function strictness(rel: string, lines: string[]): Strictness {
  const section = new Set<number>();
  if (/^pocs\/[^/]+\/README\.md$/.test(rel)) {
    let inside = false;
    lines.forEach((line, i) => {
      if (/^## /.test(line)) inside = /^## The numbers\s*$/.test(line);
      if (inside) section.add(i + 1);
    });
  }
  return { section, tables: rel.startsWith('docs/') };
}

/** Blank out code spans, link targets and comments so their digits are not figures. */
export function maskLine(line: string): string {
  const blank = (s: string) => ' '.repeat(s.length);
  return line
    .replace(/<!--[\s\S]*?-->/g, blank)
    .replace(/`[^`]*`/g, blank)
    .replace(/!\[[^\]]*\]/g, blank)
    .replace(/\]\([^)]*\)/g, blank)
    .replace(/<[^>]+>/g, blank)
    .replace(/https?:\/\/\S+/g, blank);
}

const FIGURE = /(?<![\w#.:/\-−+])[+\-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w.,]?\d)/g;
const UNIT_AFTER = /^(ms|s|µs|us|ns|x|×|k|K|M|MB|KB|GB|B|m|h|min|%)\b/;

/**
 * Why a bare figure needs no reference, or undefined when it does: a year, a version,
 * a list ordinal, a heading, a table's first column (the row label: what the row varied).
 */
export function skipReason(masked: string, start: number, raw: string): string | undefined {
  const after = masked.slice(start + raw.length);
  if (/^[A-Za-z_]/.test(after) && !UNIT_AFTER.test(after)) return 'part of a word';
  if (/^\.\d/.test(after)) return 'version';
  if (/^(19[89]\d|20[0-3]\d)$/.test(raw)) return 'year';
  const lead = masked.slice(0, start);
  if (/^\s*$/.test(lead) && /^[.)]\s/.test(after)) return 'list ordinal';
  if (/^\s*#/.test(masked)) return 'heading';
  if (/^\s*\|/.test(masked) && (lead.match(/\|/g)?.length ?? 0) <= 1) return 'row label';
  if (/^-[A-Za-z]/.test(after)) return 'compound word';
  if (/\($/.test(lead) && /^\)/.test(after)) return 'enumerator';
  if (
    /\b(POC|PR|issue|KIP|RFC|v|cause|step|phase|stage|option|rule|section|figure|table|line|partition|broker|node)\s*$/i.test(
      lead,
    )
  ) {
    return 'identifier';
  }
  return undefined;
}

export async function checkMarkdown(
  file: string,
  text: string,
  load: (path: string) => Promise<Json>,
  root = repoRoot,
): Promise<CheckResult> {
  const rel = relative(root, file).split('\\').join('/');
  const lines = text.split('\n');
  const strict = strictness(rel, lines);
  const problems: string[] = [];
  let references = 0;
  let fence: string | undefined;
  let block: string[] = [];
  let off = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const where = `${rel}:${i + 1}`;
    const fenceMatch = /^\s*(```+|~~~+)/.exec(line);
    if (fence) {
      if (fenceMatch && fenceMatch[1]!.startsWith(fence)) fence = undefined;
      else block.push(line.trim());
      continue;
    }
    if (fenceMatch) {
      fence = fenceMatch[1]!;
      block = [];
      continue;
    }
    const blockNote = /^\s*<!--\s*n:\s*([\s\S]*?)\s*-->\s*$/.exec(line);
    if (blockNote && /^\s*(```+|~~~+)\s*$/.test(lines[i - 1] ?? '')) {
      // A reference on the line after a code block: the block's lines are the file's strings.
      references++;
      try {
        const value = await evaluate(blockNote[1]!, dirname(file), load);
        const want = (Array.isArray(value) ? value : [value]).map((v) => String(v).trim());
        const got = block.filter(Boolean);
        if (JSON.stringify(want) !== JSON.stringify(got)) {
          problems.push(
            `${where}: code block ${JSON.stringify(got)}, file ${JSON.stringify(want)}`,
          );
        }
      } catch (err) {
        problems.push(`${where}: ${(err as Error).message}`);
      }
      continue;
    }
    const masked = maskLine(line);
    const spans: Array<[number, number]> = [];
    for (const m of line.matchAll(/`[^`]*`/g)) spans.push([m.index, m.index + m[0].length]);
    const inCode = (at: number) => spans.some(([a, b]) => at > a && at < b);
    // End offsets of the figures that carry a reference or a marker.
    const annotated = new Set<number>();
    for (const m of line.matchAll(COMMENT)) {
      if (inCode(m.index)) continue;
      const body = m[1]!;
      if (/^off\b/.test(body)) off = true;
      if (/^on\b/.test(body)) off = false;
      if (/^(off|on)\b/.test(body)) continue;
      const before = line.slice(0, m.index);
      annotated.add(before.replace(/[*_]+$/, '').length);
      if ((MARKERS as readonly string[]).includes(body.split(/[\s(:]/)[0]!)) continue;
      references++;
      const figure = figureBefore(before);
      if (!figure) {
        problems.push(`${where}: no number or code span right before <!-- n: ${body} -->`);
        continue;
      }
      try {
        const value = await evaluate(body, dirname(file), load);
        const mismatch = compare(figure, value);
        if (mismatch) problems.push(`${where}: ${mismatch} (${body})`);
      } catch (err) {
        problems.push(`${where}: ${(err as Error).message}`);
      }
    }
    const isTable = /^\s*\|/.test(line);
    if (off || !(strict.section.has(i + 1) || (strict.tables && isTable))) continue;
    if (/^\s*\|[\s|:-]+\|\s*$/.test(line)) continue; // table delimiter row
    if (isTable && /^\s*\|[\s|:-]+\|\s*$/.test(lines[i + 1] ?? '')) continue; // header row: names, not figures
    for (const m of masked.matchAll(FIGURE)) {
      const endAt = m.index + m[0].length;
      if (annotated.has(endAt)) continue;
      if (skipReason(masked, m.index, m[0])) continue;
      problems.push(
        `${where}: ${m[0]} has no reference (add <!-- n: results/….json#/pointer --> or mark it <!-- n: config|external|example|id -->)`,
      );
    }
  }
  return { references, problems };
}

/** The Markdown files whose numbers are checked: READMEs and docs. */
export async function listDocs(root = repoRoot): Promise<string[]> {
  const files = [join(root, 'README.md'), join(root, 'infra', 'README.md')];
  for (const entry of await readdir(join(root, 'pocs'), { withFileTypes: true })) {
    if (entry.isDirectory()) files.push(join(root, 'pocs', entry.name, 'README.md'));
  }
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.endsWith('.md')) files.push(path);
    }
  };
  await walk(join(root, 'docs'));
  return files;
}

export async function checkFiles(
  files: string[],
  root = repoRoot,
): Promise<CheckResult & { files: number }> {
  const cache = new Map<string, Promise<Json>>();
  const load = (path: string): Promise<Json> => {
    let doc = cache.get(path);
    if (!doc) {
      doc = readFile(path, 'utf8').then(
        (s) => (path.endsWith('.json') ? (JSON.parse(s) as Json) : s),
        () => {
          throw new Error(`${relative(root, path)} does not exist`);
        },
      );
      cache.set(path, doc);
    }
    return doc;
  };
  let references = 0;
  const problems: string[] = [];
  for (const file of files) {
    const result = await checkMarkdown(file, await readFile(file, 'utf8'), load, root);
    references += result.references;
    problems.push(...result.problems);
  }
  return { references, problems, files: files.length };
}

export function summary(result: CheckResult & { files: number }): string {
  const n = (count: number, word: string, plural = `${word}s`) =>
    `${count} ${count === 1 ? word : plural}`;
  return `${n(result.references, 'reference')} checked in ${n(result.files, 'file')}, ${n(result.problems.length, 'mismatch', 'mismatches')}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const files = args.length ? args.map((a) => resolve(a)) : await listDocs();
  const result = await checkFiles(files);
  for (const problem of result.problems) console.error(problem);
  console.log(summary(result));
  process.exitCode = result.problems.length ? 1 : 0;
}
