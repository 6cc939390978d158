/**
 * Check every prom-client metric the repo defines against the naming rule of
 * docs/poc-contract.md, "Metrics".
 *   pnpm metrics:check
 *
 * It parses the TypeScript (the compiler's own parser, not a regex) of every package that can
 * define metrics (`pocs/*\/src`, `shared/src`, `adapters/*\/src`, `infra/src`,
 * `templates/poc/src`) and finds each `new Counter|Gauge|Histogram|Summary({ … })` whose class
 * is imported from `prom-client` or `@pocs/shared/metrics` (named, renamed or through a
 * namespace: `client.Counter`). The metric's type is the class; its name, help and label
 * names are read from the object literal. A name the parser cannot read (built at run time)
 * is itself a problem: a name that no check can see is a name no dashboard can rely on.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

export interface MetricShape {
  name: string;
  type: MetricType;
  help?: string;
  /** Undefined when the labels are not a literal array (then they are not checked). */
  labelNames?: readonly string[];
}

export interface MetricDefinition extends MetricShape {
  /** Repo-relative path and 1-based line of the `name` (or of the `new`). */
  file: string;
  line: number;
}

export interface Violation {
  rule: string;
  message: string;
}

export interface Problem extends Violation {
  file: string;
  line: number;
  metric: string;
}

const SNAKE_CASE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$/;
const LABEL_NAME = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
const POC_PREFIX = /(?:^|_)poc_?\d+(?:_|$)/;
/** Name segments that are units other than the base ones (seconds, bytes, 0–1 ratios). */
const NON_BASE_UNITS: Record<string, string> = {
  ms: 'seconds',
  msec: 'seconds',
  millis: 'seconds',
  milliseconds: 'seconds',
  us: 'seconds',
  micros: 'seconds',
  microseconds: 'seconds',
  ns: 'seconds',
  nanos: 'seconds',
  nanoseconds: 'seconds',
  sec: 'seconds',
  secs: 'seconds',
  mins: 'seconds',
  minutes: 'seconds',
  hours: 'seconds',
  days: 'seconds',
  kb: 'bytes',
  kib: 'bytes',
  kilobytes: 'bytes',
  mb: 'bytes',
  mib: 'bytes',
  megabytes: 'bytes',
  gb: 'bytes',
  gib: 'bytes',
  gigabytes: 'bytes',
  percent: 'a 0–1 ratio without a unit suffix',
  pct: 'a 0–1 ratio without a unit suffix',
};
/** Segments that say the metric measures time, so it must be in seconds. */
const TIME_WORDS = new Set(['duration', 'latency', 'elapsed', 'time', 'uptime', 'age']);
const HISTOGRAM_UNITS = ['seconds', 'bytes'];

/** The naming rule for one metric: every broken part, empty when the metric is fine. */
export function checkMetricName(metric: MetricShape): Violation[] {
  const { name, type } = metric;
  const out: Violation[] = [];
  const add = (rule: string, message: string) => out.push({ rule, message });
  const segments = name.split('_');
  const last = segments.at(-1)!;

  if (!SNAKE_CASE.test(name)) {
    add(
      'snake-case',
      'names are snake_case <area>_<thing>_<unit>: lower-case letters and digits, at least two words joined by "_"',
    );
  }
  if (POC_PREFIX.test(name.toLowerCase())) {
    add(
      'no-poc-prefix',
      'no POC number in the name: createRegistry({ poc }) labels every series poc="poc-NN"',
    );
  }
  if (type === 'counter' && last !== 'total') {
    add('counter-total', 'a counter ends in _total');
  }
  if (type !== 'counter' && last === 'total') {
    add('total-only-on-counters', `_total is for counters; this is a ${type}`);
  }
  for (const segment of segments) {
    const base = NON_BASE_UNITS[segment.toLowerCase()];
    if (base) add('base-units', `"_${segment}" is not a base unit: use ${base}`);
  }
  const unit = type === 'counter' && last === 'total' ? segments.at(-2) : last;
  if ((type === 'histogram' || type === 'summary') && !HISTOGRAM_UNITS.includes(unit ?? '')) {
    add('histogram-unit', `a ${type} ends in its base unit: _seconds for time, _bytes for sizes`);
  }
  const timeWord = segments.find((s) => TIME_WORDS.has(s));
  if (timeWord && !segments.includes('seconds')) {
    add('time-in-seconds', `"${timeWord}" is a time: the name carries _seconds`);
  }

  const help = metric.help?.trim() ?? '';
  if (help === '' || help === name) {
    add(
      'help',
      'help text is present (a string literal, const or template) and says what is counted or measured',
    );
  } else if (unit === 'seconds' && !/second/i.test(help)) {
    add('help-unit', 'help text states the unit (seconds)');
  } else if (unit === 'bytes' && !/byte/i.test(help)) {
    add('help-unit', 'help text states the unit (bytes)');
  }

  for (const label of metric.labelNames ?? []) {
    if (!LABEL_NAME.test(label) || label.startsWith('__')) {
      add('label-name', `label "${label}" is not snake_case`);
    } else if (label === 'poc') {
      add('label-name', 'label "poc" is reserved: createRegistry({ poc }) sets it');
    } else if (label === 'le' || label === 'quantile') {
      add('label-name', `label "${label}" is reserved by Prometheus for histograms and summaries`);
    } else if (label === 'id' || label.endsWith('_id')) {
      add('label-bounded', `label "${label}" looks like an id: label values are bounded`);
    }
  }
  return out;
}

const METRIC_MODULES = new Set(['prom-client', '@pocs/shared/metrics']);
const METRIC_CLASSES: Record<string, MetricType> = {
  Counter: 'counter',
  Gauge: 'gauge',
  Histogram: 'histogram',
  Summary: 'summary',
};

type Read<T> = { ok: true; value: T } | { ok: false };

/** Every prom-client metric constructed in one source file, with its line. */
export function scanMetricDefinitions(
  file: string,
  text: string,
): { definitions: MetricDefinition[]; problems: Problem[] } {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const classes = new Map<string, MetricType>();
  const namespaces = new Set<string>();
  const constants = new Map<string, ts.Expression>();
  const definitions: MetricDefinition[] = [];
  const problems: Problem[] = [];
  const lineOf = (node: ts.Node) =>
    source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;

  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) {
      continue;
    }
    if (!METRIC_MODULES.has(statement.moduleSpecifier.text)) continue;
    const clause = statement.importClause;
    if (!clause || clause.isTypeOnly) continue;
    if (clause.name) namespaces.add(clause.name.text);
    const bindings = clause.namedBindings;
    if (bindings && ts.isNamespaceImport(bindings)) namespaces.add(bindings.name.text);
    if (bindings && ts.isNamedImports(bindings)) {
      for (const element of bindings.elements) {
        const imported = (element.propertyName ?? element.name).text;
        const type = METRIC_CLASSES[imported];
        if (type && !element.isTypeOnly) classes.set(element.name.text, type);
      }
    }
  }
  if (classes.size === 0 && namespaces.size === 0) return { definitions, problems };

  const collectConstants = (node: ts.Node): void => {
    if (
      ts.isVariableDeclarationList(node) &&
      node.flags & ts.NodeFlags.Const &&
      node.declarations.length > 0
    ) {
      for (const d of node.declarations) {
        if (ts.isIdentifier(d.name) && d.initializer) constants.set(d.name.text, d.initializer);
      }
    }
    ts.forEachChild(node, collectConstants);
  };
  collectConstants(source);

  const unwrap = (e: ts.Expression): ts.Expression =>
    ts.isAsExpression(e) || ts.isParenthesizedExpression(e) || ts.isSatisfiesExpression(e)
      ? unwrap(e.expression)
      : e;
  const readString = (e: ts.Expression, depth = 0): Read<string> => {
    const x = unwrap(e);
    if (ts.isStringLiteral(x) || ts.isNoSubstitutionTemplateLiteral(x)) {
      return { ok: true, value: x.text };
    }
    if (ts.isBinaryExpression(x) && x.operatorToken.kind === ts.SyntaxKind.PlusToken) {
      const a = readString(x.left, depth);
      const b = readString(x.right, depth);
      return a.ok && b.ok ? { ok: true, value: a.value + b.value } : { ok: false };
    }
    if (ts.isIdentifier(x) && depth < 5) {
      const init = constants.get(x.text);
      if (init) return readString(init, depth + 1);
    }
    return { ok: false };
  };
  /** Help text; a template's substitutions read as "…" (the words around them still count). */
  const readHelp = (e: ts.Expression): string | undefined => {
    const s = readString(e);
    if (s.ok) return s.value;
    const x = unwrap(e);
    if (ts.isTemplateExpression(x)) {
      return [x.head.text, ...x.templateSpans.map((span) => span.literal.text)].join('…');
    }
    return undefined;
  };
  const readStrings = (e: ts.Expression): Read<string[]> => {
    const x = unwrap(e);
    if (!ts.isArrayLiteralExpression(x)) return { ok: false };
    const values: string[] = [];
    for (const element of x.elements) {
      const s = readString(element);
      if (!s.ok) return { ok: false };
      values.push(s.value);
    }
    return { ok: true, value: values };
  };
  const metricType = (callee: ts.Expression): MetricType | undefined => {
    if (ts.isIdentifier(callee)) return classes.get(callee.text);
    if (
      ts.isPropertyAccessExpression(callee) &&
      ts.isIdentifier(callee.expression) &&
      namespaces.has(callee.expression.text)
    ) {
      return METRIC_CLASSES[callee.name.text];
    }
    return undefined;
  };

  const visit = (node: ts.Node): void => {
    const type = ts.isNewExpression(node) ? metricType(node.expression) : undefined;
    if (type && ts.isNewExpression(node)) {
      const arg = node.arguments?.[0] && unwrap(node.arguments[0]);
      const props = new Map<string, ts.Expression>();
      if (arg && ts.isObjectLiteralExpression(arg)) {
        for (const p of arg.properties) {
          if (ts.isPropertyAssignment(p) && !ts.isComputedPropertyName(p.name)) {
            props.set(p.name.getText(source), p.initializer);
          } else if (ts.isShorthandPropertyAssignment(p)) {
            props.set(p.name.text, p.name);
          }
        }
      }
      const nameNode = props.get('name');
      const name = nameNode && readString(nameNode);
      if (!name?.ok) {
        problems.push({
          file,
          line: lineOf(nameNode ?? node),
          metric: nameNode ? nameNode.getText(source) : '(unnamed)',
          rule: 'static-name',
          message: `the ${type}'s name is not a string literal (or a const in this file), so no check can read it`,
        });
      } else {
        const help = props.get('help');
        const helpText = help ? readHelp(help) : undefined;
        const labels = props.get('labelNames');
        const labelNames = labels ? readStrings(labels) : undefined;
        definitions.push({
          file,
          line: lineOf(nameNode!),
          name: name.value,
          type,
          help: helpText,
          labelNames: labelNames?.ok ? labelNames.value : undefined,
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { definitions, problems };
}

/** Source folders of every package that may define metrics, relative to the repo root. */
export async function metricSourceDirs(root = repoRoot): Promise<string[]> {
  const dirs = ['shared/src', 'infra/src', 'templates/poc/src'];
  for (const parent of ['pocs', 'adapters']) {
    const entries = await readdir(join(root, parent), { withFileTypes: true }).catch(() => []);
    for (const e of entries) if (e.isDirectory()) dirs.push(`${parent}/${e.name}/src`);
  }
  return dirs.sort();
}

async function listTs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile() && /\.(ts|mts|cts)$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .filter((e) => !e.parentPath.includes('node_modules'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

export interface RepoCheck {
  files: number;
  definitions: MetricDefinition[];
  problems: Problem[];
}

/** Scan every metric source folder and check every definition. */
export async function checkRepo({
  root = repoRoot,
  dirs,
}: {
  root?: string;
  dirs?: string[];
} = {}): Promise<RepoCheck> {
  const definitions: MetricDefinition[] = [];
  const problems: Problem[] = [];
  let files = 0;
  for (const dir of dirs ?? (await metricSourceDirs(root))) {
    for (const path of await listTs(join(root, dir))) {
      files++;
      const scan = scanMetricDefinitions(relative(root, path), await readFile(path, 'utf8'));
      definitions.push(...scan.definitions);
      problems.push(...scan.problems);
    }
  }
  for (const d of definitions) {
    for (const v of checkMetricName(d)) {
      problems.push({ file: d.file, line: d.line, metric: d.name, ...v });
    }
  }
  // One name, one type: Prometheus keeps one TYPE per name, whichever POC exposes it.
  const typesByName = new Map<string, Set<MetricType>>();
  for (const d of definitions) {
    typesByName.set(d.name, (typesByName.get(d.name) ?? new Set()).add(d.type));
  }
  for (const d of definitions) {
    const types = typesByName.get(d.name)!;
    if (types.size > 1) {
      problems.push({
        file: d.file,
        line: d.line,
        metric: d.name,
        rule: 'one-type-per-name',
        message: `defined elsewhere as ${[...types].filter((t) => t !== d.type).join(', ')}: one name, one type`,
      });
    }
  }
  problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  return { files, definitions, problems };
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line} ${p.metric}: ${p.message} [${p.rule}]`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await checkRepo();
  for (const p of result.problems) console.error(formatProblem(p));
  const bad = result.problems.length;
  console.log(
    `metrics:check: ${result.definitions.length} metrics in ${result.files} files, ${bad} problem${bad === 1 ? '' : 's'}`,
  );
  process.exitCode = bad === 0 ? 0 : 1;
}
