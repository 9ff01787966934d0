/**
 * What a real answer can be, per kind of answer: how large it can be, how many items a list can hold, and the
 * fields the extension relies on (strings the explorer builds its nodes from). A hostile or broken server that
 * answers 64 MiB of `[{},{},…]` gets a clear error before any of it reaches the UI. Lenient on everything else:
 * unknown fields are kept, and only the identity fields are required.
 */
export interface Shape {
  /** For messages: `an environment`. */
  what: string;
  /** Largest answer read, in bytes. */
  maxBytes: number;
  /** For lists: most items. */
  maxItems?: number;
  /** Fields that must be strings. */
  strings: readonly string[];
  /** Fields that, when present, must be a string or null. */
  optionalStrings?: readonly string[];
}

const MiB = 1024 * 1024;

// Caps: a few times the largest real answer (about 1 KiB an environment, under 0.5 KiB a project, revision, build
// or usage; dependency files carry their contents, up to 1 MiB each for the five names UbiOps reads).
export const SHAPES = {
  project: { what: 'a project', maxBytes: 8 * MiB, maxItems: 20_000, strings: ['id', 'name'] },
  environment: { what: 'an environment', maxBytes: 16 * MiB, maxItems: 20_000, strings: ['id', 'name'] },
  usage: { what: 'a deployment version', maxBytes: 8 * MiB, maxItems: 20_000, strings: ['deployment', 'version'] },
  revision: { what: 'a revision', maxBytes: 16 * MiB, maxItems: 50_000, strings: ['id'] },
  build: { what: 'a build', maxBytes: 8 * MiB, maxItems: 20_000, strings: ['id', 'status'] },
  dependencyFile: {
    what: 'a dependency file',
    maxBytes: 16 * MiB,
    maxItems: 100,
    strings: ['name'],
    optionalStrings: ['content'],
  },
} satisfies Record<string, Shape>;

/** Why `value` is not an object of `shape`, or undefined when it is. */
export function shapeProblem(value: unknown, shape: Shape): string | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return `it is ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value}, not an object`;
  }
  const record = value as Record<string, unknown>;
  for (const field of shape.strings) {
    if (typeof record[field] !== 'string') {
      return record[field] === undefined
        ? `it has no \`${field}\``
        : `its \`${field}\` is ${describe(record[field])}, not a string`;
    }
  }
  for (const field of shape.optionalStrings ?? []) {
    const v = record[field];
    if (v !== undefined && v !== null && typeof v !== 'string')
      return `its \`${field}\` is ${describe(v)}, not a string`;
  }
  return undefined;
}

function describe(value: unknown): string {
  return value === null
    ? 'null'
    : Array.isArray(value)
      ? 'a list'
      : typeof value === 'object'
        ? 'an object'
        : `a ${typeof value}`;
}

/**
 * How many items the top-level JSON array in `text` holds, counted without parsing (one pass over the characters),
 * stopping once past `limit`; 0 when the text is not an array. Lets a list too long to be real be refused before
 * `JSON.parse` builds millions of objects.
 */
export function countTopLevelItems(text: string, limit = Infinity): number {
  let i = 0;
  while (i < text.length && /\s/.test(text[i])) i++;
  if (text[i] !== '[') return 0;
  let depth = 0;
  let items = 0;
  let inString = false;
  let empty = true;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 91 || c === 123) depth++;
    else if (c === 93 || c === 125) depth--;
    else if (c === 44 && depth === 1) {
      items++;
      if (items > limit) return items;
    }
    if (depth === 1 && empty && c !== 91 && c !== 32 && c !== 9 && c !== 10 && c !== 13) empty = false;
    if (depth >= 2) empty = false;
    if (depth === 0) break;
  }
  return empty ? 0 : items + 1;
}
