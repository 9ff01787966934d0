import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  Parser,
  parseDocument,
  visit,
  type CST,
  type Document,
  type Pair,
  type YAMLError,
} from 'yaml';
import { notCheckedProblem, type FileProblem } from './problems';

const TOP_KEYS = ['environment_variables', 'apt'];
const APT_KEYS = ['packages', 'keys', 'sources'];
const SOURCE_KEYS = ['urls', 'items'];
const ENV_VAR_NAME = /^[A-Z_][A-Z0-9_]*$/;
const ENV_VAR_NAME_RULE = 'use upper-case letters, digits and underscores, not starting with a digit';

type Range = readonly [number, number, ...number[]];

/** Checks `ubiops.yaml` against the schema UbiOps' client enforces (`docs/ubiops-api/platform-notes.md`, "The environment zip"). */
export function validateUbiopsYaml(text: string, file = 'ubiops.yaml'): FileProblem[] {
  // Bounded before the document is built: the library's composer recurses once a level, and on Node 20 a stack
  // overflow there, caught, left V8 to abort ("RegExpCompiler Allocation failed") on the next check in the process.
  if (text.length > MAX_YAML_CHARS) return [notCheckedProblem(file, `it is larger than ${MAX_YAML_CHARS / 1024} KiB`)];
  const depth = nestingDepth(text);
  if (depth.depth > MAX_NESTING) return [tooDeep(text, file, depth.offset)];
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const check = new Check(text, file, lineCounter);
  check.syntax(doc);
  // Schema checks on a half-parsed document would bury the real error under noise; duplicates parse fine.
  if (doc.errors.some((error) => error.code !== 'DUPLICATE_KEY')) return check.problems;

  const root = doc.contents;
  // Python's loader reads an empty file, a comment-only file and a bare `null` alike: as no configuration.
  if (root === null || (isScalar(root) && root.value === null)) return check.problems;
  if (!isMap(root)) {
    check.report(
      root.range,
      'type',
      'ubiops.yaml must be a mapping with the keys `environment_variables` and/or `apt`',
    );
    return check.problems;
  }
  const top = check.keysOf(root.items, TOP_KEYS, '');
  const env = top.get('environment_variables');
  if (env) check.stringList(env, 'environment_variables', '`NAME=value` strings', environmentVariableProblem);
  const apt = top.get('apt');
  if (apt) checkApt(check, apt);
  // Checks run key by key; report in reading order.
  return check.problems.sort((a, b) => a.line - b.line || a.column - b.column);
}

/** The one problem of a file nested deeper than any ubiops.yaml can be, where it gets too deep. */
function tooDeep(text: string, file: string, offset: number): FileProblem {
  const lineCounter = new LineCounter();
  lineCounter.addNewLine(0);
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) lineCounter.addNewLine(at + 1);
  const from = lineCounter.linePos(Math.min(offset, text.length));
  return {
    file,
    line: from.line - 1,
    column: from.col - 1,
    endLine: from.line - 1,
    endColumn: from.col,
    severity: 'error',
    code: 'too-deep',
    message: `Lists and mappings are nested more than ${MAX_NESTING} levels deep here; ubiops.yaml holds at most four (\`apt\` → \`keys\` → \`urls\` → entries). The rest of the file was not checked`,
  };
}

/** The problems found so far in one file, and the checks that report them. */
class Check {
  readonly problems: FileProblem[] = [];

  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly lineCounter: LineCounter,
  ) {}

  report(range: Range | null | undefined, code: string, message: string, severity: FileProblem['severity'] = 'error') {
    const { text } = this;
    const start = Math.min(range?.[0] ?? 0, text.length);
    let end = Math.min(Math.max(range?.[1] ?? start, start), text.length);
    // Block nodes end after their trailing newline; a squiggle should not spill onto the next line.
    while (end > start && /\s/.test(text[end - 1])) end--;
    const from = this.lineCounter.linePos(start);
    const to = this.lineCounter.linePos(end);
    this.problems.push({
      file: this.file,
      line: from.line - 1,
      column: from.col - 1,
      endLine: to.line - 1,
      endColumn: to.col - 1,
      message,
      severity,
      code,
    });
  }

  /** The parser's errors and warnings. */
  syntax(doc: Document): void {
    for (const error of doc.errors) {
      if (error.code === 'DUPLICATE_KEY') {
        this.report(
          keyAt(doc, error.pos[0]) ?? error.pos,
          'duplicate-key',
          'Duplicate key: each key may appear only once in a mapping',
        );
      } else {
        this.report(error.pos, 'yaml-syntax', yamlMessage(error));
      }
    }
    for (const warning of doc.warnings) this.report(warning.pos, 'yaml-warning', warning.message, 'warning');
  }

  /** The pairs of a mapping by key, reporting keys that are not allowed. */
  keysOf(pairs: Pair[], allowed: string[], where: string): Map<string, Pair> {
    const found = new Map<string, Pair>();
    for (const pair of pairs) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key !== undefined && allowed.includes(key)) {
        if (!found.has(key)) found.set(key, pair);
        continue;
      }
      const allowedList = allowed.map((name) => `\`${name}\``).join(', ');
      const name = key === undefined ? 'This key' : `Unknown key \`${key}\``;
      this.report(
        rangeOf(pair.key) ?? rangeOf(pair.value),
        'unknown-key',
        where
          ? `${name} in \`${where}\`; allowed keys: ${allowedList}`
          : `${name} at the top level; allowed keys: ${allowedList}`,
      );
    }
    return found;
  }

  /** Checks a list of strings; `check` returns a problem for one string, if any. */
  stringList(pair: Pair, path: string, what: string, check: StringCheck): void {
    if (!isSeq(pair.value)) {
      this.report(valueTarget(pair), 'type', `\`${path}\` must be a list of ${what}`);
      return;
    }
    for (const item of pair.value.items) {
      if (!isScalar(item) || typeof item.value !== 'string') {
        const hint = path === 'environment_variables' && isMap(item) ? '; write `NAME=value`, not `NAME: value`' : '';
        this.report(rangeOf(item) ?? valueTarget(pair), 'type', `\`${path}\` must be a list of ${what}${hint}`);
        continue;
      }
      const problem = check(item.value);
      if (problem) this.report(item.range, ...problem);
    }
  }
}

type StringCheck = (value: string) => [code: string, message: string] | undefined;

/** Where to point when a pair's value has the wrong type: the value, unless it is empty or a multi-line block. */
function valueTarget(pair: Pair): Range | undefined {
  const value = rangeOf(pair.value);
  const block = (isMap(pair.value) || isSeq(pair.value)) && !pair.value.flow;
  return !value || value[0] === value[1] || block ? rangeOf(pair.key) : value;
}

function nonEmpty(path: string): StringCheck {
  return (value) => (value.trim() === '' ? ['empty-string', `\`${path}\` entries must not be empty`] : undefined);
}

const environmentVariableProblem: StringCheck = (value) => {
  const equals = value.indexOf('=');
  if (equals < 0) return ['env-var-format', `\`${value}\` has no \`=\`; write each variable as \`NAME=value\``];
  const name = value.slice(0, equals);
  if (!ENV_VAR_NAME.test(name)) {
    const subject =
      name === '' ? 'An environment variable needs a name before `=`' : `Invalid environment variable name \`${name}\``;
    return ['env-var-name', `${subject}: ${ENV_VAR_NAME_RULE}`];
  }
  // The client's pattern ends in `.*$`, which stops at a line break.
  if (/[\r\n]/.test(value.slice(equals + 1).replace(/\n$/, ''))) {
    return ['env-var-format', `The value of \`${name}\` must fit on one line`];
  }
  return undefined;
};

function checkApt(check: Check, apt: Pair): void {
  if (!isMap(apt.value)) {
    check.report(
      valueTarget(apt),
      'type',
      '`apt` must be a mapping with a `packages` list and optional `keys` and `sources`',
    );
    return;
  }
  const aptKeys = check.keysOf(apt.value.items, APT_KEYS, 'apt');
  const packages = aptKeys.get('packages');
  if (packages) check.stringList(packages, 'apt.packages', 'package names', nonEmpty('apt.packages'));
  else check.report(rangeOf(apt.key), 'missing-key', '`apt` needs a `packages` list of the packages to install');

  for (const section of ['keys', 'sources']) {
    const pair = aptKeys.get(section);
    if (!pair) continue;
    const path = `apt.${section}`;
    if (!isMap(pair.value)) {
      check.report(
        valueTarget(pair),
        'type',
        `\`${path}\` must be a mapping with optional \`urls\` and \`items\` lists`,
      );
      continue;
    }
    const sectionKeys = check.keysOf(pair.value.items, SOURCE_KEYS, path);
    const urls = sectionKeys.get('urls');
    if (urls) {
      check.stringList(urls, `${path}.urls`, 'URLs', (value) =>
        /^https?:\/\//.test(value)
          ? undefined
          : ['url-scheme', `\`${path}.urls\` entries must start with http:// or https://`],
      );
    }
    const items = sectionKeys.get('items');
    if (items) check.stringList(items, `${path}.items`, 'non-empty strings', nonEmpty(`${path}.items`));
  }
}

/**
 * Largest ubiops.yaml checked: real ones are a few KiB, and the parser takes about 4 µs a character (a second for
 * this much), synchronously on every edit in the editor.
 */
export const MAX_YAML_CHARS = 256 * 1024;

/** Deeper than this, no ubiops.yaml can be valid (the schema nests four levels), and parsing is not attempted. */
export const MAX_NESTING = 64;

/**
 * The deepest nesting of collections in the text and where it is, from the library's concrete syntax tree, which it
 * builds without recursion; walked here with a stack of our own. Scalars (block literals included) do not count.
 */
function nestingDepth(text: string): { depth: number; offset: number } {
  let deepest = { depth: 0, offset: 0 };
  const stack: [CST.Token | undefined, number][] = [];
  for (const token of new Parser().parse(text)) stack.push([token, 0]);
  while (stack.length) {
    const [token, depth] = stack.pop()!;
    if (!token) continue;
    if (depth > deepest.depth) deepest = { depth, offset: token.offset };
    if (depth > MAX_NESTING) break;
    if ('value' in token && typeof token.value === 'object') stack.push([token.value, depth]);
    if ('items' in token && Array.isArray(token.items)) {
      for (const item of token.items as { key?: CST.Token | null; value?: CST.Token }[]) {
        stack.push([item.key ?? undefined, depth + 1], [item.value, depth + 1]);
      }
    }
  }
  return deepest;
}

/** The range of the mapping key starting at `offset`: the parser flags a duplicate key by its first character only. */
function keyAt(doc: Document, offset: number): Range | undefined {
  let found: Range | undefined;
  visit(doc, {
    Pair(_, pair) {
      const range = rangeOf(pair.key);
      if (range?.[0] === offset) {
        found = range;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

function rangeOf(node: unknown): Range | undefined {
  const range = (node as { range?: Range | null } | null)?.range;
  return range ?? undefined;
}

function yamlMessage(error: YAMLError): string {
  // The library's own wording points at its API (`parseAllDocuments`), which means nothing to the user.
  if (error.code === 'MULTIPLE_DOCS') return 'ubiops.yaml must hold a single YAML document; remove the extra `---`';
  return error.message;
}
