// PEP 508 as `packaging` parses it, for the requirements file checks (./requirements.ts): a cursor over one
// requirement's text that reads a name, extras, versions, a URL or a marker, and stops at the first error.

export const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
export const NAME_RULE = 'use letters, digits, `.`, `_` and `-`, starting and ending with a letter or digit';
const VERSION_OPERATORS = ['~=', '==', '!=', '<=', '>=', '<', '>', '==='];
const MARKER_VARIABLE =
  /^(?:python_version|python_full_version|os[._]name|sys[._]platform|platform_(?:release|system)|platform[._](?:version|machine|python_implementation)|python_implementation|implementation_(?:name|version)|extras?|dependency_groups)$/;
const MARKER_VARIABLES_HINT = 'python_version, sys_platform, platform_machine, os_name, implementation_name or extra';

// PEP 440 versions, per operator, as `packaging.specifiers.Specifier` accepts them.
const RELEASE = String.raw`v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*`;
const SUFFIXES = String.raw`(?:[-_.]?(?:alpha|beta|preview|pre|a|b|c|rc)[-_.]?[0-9]*)?(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?(?:[-_.]?dev[-_.]?[0-9]*)?`;
const LOCAL = String.raw`(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?`;
const ORDERED_VERSION = new RegExp(`^${RELEASE}${SUFFIXES}$`, 'i');
const EQUALITY_VERSION = new RegExp(`^${RELEASE}(?:\\.\\*|${SUFFIXES}${LOCAL})$`, 'i');
const COMPATIBLE_VERSION = new RegExp(`^v?(?:[0-9]+!)?[0-9]+(?:\\.[0-9]+)+${SUFFIXES}$`, 'i');

/**
 * Deepest parenthesis nesting checked in a marker. pip's parser (`packaging`) descends two Python calls a level
 * under a recursion limit of 1000, so it cannot read 500 levels; ours stops there too rather than overflow its stack.
 */
export const MAX_MARKER_DEPTH = 500;

/** Stops checking a requirement at its first error: what follows is usually an echo of it. */
export class LineError extends Error {
  constructor(
    readonly start: number,
    readonly end: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** pip derives a wheel's name and version from its file name and refuses one it cannot split. */
export function checkWheelName(pathOrUrl: string, start: number): void {
  const fileName = pathOrUrl.slice(Math.max(pathOrUrl.lastIndexOf('/'), pathOrUrl.lastIndexOf('\\')) + 1);
  if (!/\.whl$/i.test(fileName)) return;
  const parts = fileName.slice(0, -4).split('-').length;
  if (parts === 5 || parts === 6) return;
  const fileStart = start + pathOrUrl.length - fileName.length;
  throw new LineError(
    fileStart,
    fileStart + fileName.length,
    'invalid-wheel-name',
    `\`${fileName}\` is not a wheel file name; expected \`name-version(-build)-python-abi-platform.whl\``,
  );
}

/** A cursor over one requirement's text; `text` ends where the part being parsed ends. */
export class Parser {
  constructor(
    private readonly text: string,
    public pos: number,
  ) {}

  get done(): boolean {
    return this.pos >= this.text.length;
  }

  get char(): string {
    return this.text[this.pos] ?? '';
  }

  skipSpace(): void {
    while (this.char === ' ' || this.char === '\t') this.pos++;
  }

  /** Consumes what a sticky pattern matches at the cursor. */
  take(pattern: RegExp): string {
    pattern.lastIndex = this.pos;
    const match = pattern.exec(this.text)?.[0] ?? '';
    this.pos += match.length;
    return match;
  }

  fail(start: number, end: number, code: string, message: string): never {
    throw new LineError(start, end, code, message);
  }

  /** The word at the cursor, as far as a separator; at least one character unless at the end. */
  word(): { start: number; end: number; text: string } {
    let end = this.pos;
    while (end < this.text.length && !/[\s,;()[\]]/.test(this.text[end])) end++;
    if (end === this.pos && !this.done) end++;
    return { start: this.pos, end, text: this.text.slice(this.pos, end) };
  }

  unexpected(code: string, expected: string): never {
    const word = this.word();
    if (word.text) this.fail(word.start, word.end, code, `${expected}, not \`${word.text}\``);
    // Nothing left to point at: point at the last character, which is where something is missing.
    let end = this.pos;
    while (end > 0 && /\s/.test(this.text[end - 1])) end--;
    this.fail(Math.max(end - 1, 0), end, code, expected);
  }

  requirement(): void {
    this.name('package', 'invalid-name');
    this.skipSpace();
    if (this.char === '[') this.extras();
    this.skipSpace();
    if (this.char === '@') {
      this.url();
      this.skipSpace();
      if (!this.done) this.unexpected('syntax', 'Expected `; marker` or the end of the requirement after the URL');
      return;
    }
    this.versions();
    this.skipSpace();
    if (!this.done) {
      this.unexpected('syntax', 'Expected `,` and another version, `; marker` or the end of the requirement');
    }
  }

  /** A package or extra name, after optional space; `missing` is the code when there is none. */
  private name(what: 'package' | 'extra', missing: string): void {
    this.skipSpace();
    const start = this.pos;
    const name = this.take(/[A-Za-z0-9._-]+/y);
    if (!name) this.unexpected(missing, `Expected ${what === 'package' ? 'a' : 'an'} ${what} name`);
    if (!NAME.test(name))
      this.fail(start, this.pos, 'invalid-name', `\`${name}\` is not a valid ${what} name: ${NAME_RULE}`);
  }

  extras(): void {
    const open = this.pos++;
    this.skipSpace();
    if (this.char === ']') {
      this.pos++;
      return;
    }
    for (;;) {
      this.name('extra', 'syntax');
      this.skipSpace();
      const char = this.char;
      this.pos++;
      if (char === ']') return;
      if (char === ',') continue;
      if (!char) this.fail(open, open + 1, 'syntax', 'Expected `]` to close these extras');
      this.pos--;
      this.unexpected('syntax', 'Expected `,` or `]` in the extras');
    }
  }

  url(): void {
    const at = this.pos++;
    this.skipSpace();
    const start = this.pos;
    const url = this.take(/\S+/y);
    if (!url) this.fail(at, at + 1, 'missing-url', 'Expected a URL after `@`');
    if (!/^[A-Za-z][A-Za-z0-9+.-]+:/.test(url)) {
      this.fail(start, this.pos, 'invalid-url', `Expected a URL such as \`https://…\` after \`@\`, not \`${url}\``);
    }
    checkWheelName(url.replace(/[?#].*$/, ''), start);
  }

  /** PEP 508 `versionspec`, optionally in parentheses; a bare name has none. */
  versions(): void {
    const open = this.char === '(' ? this.pos++ : -1;
    let comma = -1;
    for (;;) {
      this.skipSpace();
      if (comma < 0 && (this.done || (open >= 0 && this.char === ')'))) break;
      const opStart = this.pos;
      const op = this.take(/[<>=!~]+/y);
      if (!op) {
        const word = this.word();
        if (/^v?[0-9]/.test(word.text)) {
          this.fail(
            word.start,
            word.end,
            'missing-operator',
            `Expected a version operator such as \`==\` before \`${word.text}\``,
          );
        }
        if (comma >= 0) this.unexpected('syntax', 'Expected another version specifier such as `<2.0` after `,`');
        this.unexpected('syntax', 'Expected a version specifier such as `==1.0`, `[extras]`, `@ URL` or `; marker`');
      }
      if (!VERSION_OPERATORS.includes(op)) {
        this.fail(
          opStart,
          this.pos,
          'invalid-operator',
          op === '='
            ? '`=` is not a version operator; use `==`'
            : `Unknown version operator \`${op}\`; expected one of ${VERSION_OPERATORS.join(', ')}`,
        );
      }
      this.skipSpace();
      const versionStart = this.pos;
      // `===` compares strings, so only what ends a specifier ends its version.
      const version = this.take(op === '===' ? /[^\s;)]+/y : /[^\s,;()<>=~]+/y);
      if (!version) this.fail(opStart, opStart + op.length, 'missing-version', `Expected a version after \`${op}\``);
      const problem = versionProblem(op, version);
      if (problem) this.fail(versionStart, this.pos, 'invalid-version', problem);
      this.skipSpace();
      if (this.char !== ',') break;
      comma = this.pos++;
    }
    if (open >= 0) {
      if (this.char !== ')') this.fail(open, open + 1, 'syntax', 'Expected `)` to close this parenthesis');
      this.pos++;
    }
  }

  /** PEP 508 environment marker; pip drops an empty one. */
  marker(): void {
    this.skipSpace();
    if (this.done) return;
    this.markerOr();
    this.skipSpace();
    if (!this.done) this.unexpected('invalid-marker', 'Expected `and`, `or` or the end of the marker');
  }

  private markerOr(depth = 0): void {
    this.markerAnd(depth);
    while (this.keyword('or')) this.markerAnd(depth);
  }

  private markerAnd(depth: number): void {
    this.markerAtom(depth);
    while (this.keyword('and')) this.markerAtom(depth);
  }

  private markerAtom(depth: number): void {
    this.skipSpace();
    if (this.char === '(') {
      const open = this.pos++;
      if (depth >= MAX_MARKER_DEPTH) {
        this.fail(
          open,
          open + 1,
          'marker-depth',
          `This marker nests parentheses more than ${MAX_MARKER_DEPTH} deep; pip cannot read it (RecursionError). Remove the extra parentheses`,
        );
      }
      this.markerOr(depth + 1);
      this.skipSpace();
      // Not `this.char`: TypeScript keeps it narrowed to '(' across the calls above.
      if (this.text[this.pos] !== ')')
        this.fail(open, open + 1, 'invalid-marker', 'Expected `)` to close this parenthesis');
      this.pos++;
      return;
    }
    this.markerValue();
    this.skipSpace();
    const opStart = this.pos;
    if (this.keyword('not')) {
      if (!this.keyword('in')) this.fail(opStart, this.pos, 'invalid-marker', 'Expected `in` after `not`');
    } else if (!this.keyword('in')) {
      const op = this.take(/[<>=!~]+/y);
      if (!VERSION_OPERATORS.includes(op)) {
        if (!op) this.unexpected('invalid-marker', 'Expected a comparison such as `==`, `<`, `in` or `not in`');
        this.fail(
          opStart,
          this.pos,
          'invalid-operator',
          `Unknown marker operator \`${op}\`; expected one of ${VERSION_OPERATORS.join(', ')}, in, not in`,
        );
      }
    }
    this.markerValue();
  }

  private markerValue(): void {
    this.skipSpace();
    const start = this.pos;
    const quote = this.char;
    if (quote === '"' || quote === "'") {
      const close = this.text.indexOf(quote, start + 1);
      if (close < 0)
        this.fail(start, this.text.length, 'invalid-marker', `Unterminated string: add the closing ${quote}`);
      this.pos = close + 1;
      return;
    }
    const word = this.take(/[A-Za-z0-9_.]+/y);
    if (!word)
      this.unexpected('invalid-marker', 'Expected a marker variable such as `python_version` or a quoted string');
    if (/^[0-9]/.test(word))
      this.fail(start, this.pos, 'invalid-marker', `Marker values are quoted strings: write "${word}"`);
    if (!MARKER_VARIABLE.test(word)) {
      this.fail(
        start,
        this.pos,
        'invalid-marker',
        `Unknown marker variable \`${word}\`; expected one such as ${MARKER_VARIABLES_HINT}`,
      );
    }
  }

  /** Consumes a whole word such as `and`, after optional space. */
  private keyword(word: string): boolean {
    const saved = this.pos;
    this.skipSpace();
    if (this.text.startsWith(word, this.pos) && !/[A-Za-z0-9_.]/.test(this.text[this.pos + word.length] ?? '')) {
      this.pos += word.length;
      return true;
    }
    this.pos = saved;
    return false;
  }
}

function versionProblem(op: string, version: string): string | undefined {
  if (op === '===') return undefined;
  const equality = op === '==' || op === '!=';
  const pattern = equality ? EQUALITY_VERSION : op === '~=' ? COMPATIBLE_VERSION : ORDERED_VERSION;
  if (pattern.test(version)) return undefined;
  if (op === '~=' && ORDERED_VERSION.test(version)) return '`~=` needs at least two release numbers, e.g. `~=1.4`';
  if (!equality && EQUALITY_VERSION.test(version)) {
    return version.endsWith('.*')
      ? '`.*` wildcards only work with `==` and `!=`'
      : 'Local versions (`+…`) only work with `==`, `!=` and `===`';
  }
  return `\`${version}\` is not a valid version; expected a PEP 440 version such as \`1.2\`, \`1.2.3rc1\` or \`2.0.post1\``;
}
