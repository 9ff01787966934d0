/**
 * The rules UbiOps applies to names, descriptions and labels, in one vscode-free place: the extension checks input
 * against them as the user types, and the emulator refuses with the same words. Each problem states the rule, so
 * the user learns it from the first refusal.
 *
 * Where the reference is silent (labels), the emulator chooses the rule below and documents it: keys and values
 * must survive the API's own `labels=k:v,k2:v2` filter format, so `:` and `,` are out, and so are spaces and
 * anything outside the set UbiOps accepts for its other identifiers.
 */

export const NAME_MAX = 64;
export const NAME_PATTERN = /^[a-z][a-z0-9-]{0,63}$/;
export const NAME_RULE =
  'Names must be 1 to 64 characters long, contain only lowercase letters, digits and dashes, and start with a lowercase letter.';

export const DISPLAY_NAME_MAX = 64;
export const DESCRIPTION_MAX = 400;

export const LABEL_MAX = 63;
export const LABEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
export const LABEL_RULE =
  'Label keys and values are 1 to 63 letters, digits, dots, dashes and underscores, starting with a letter or digit.';
export const LABELS_MAX_COUNT = 50;

/** Why an environment name would be refused, or undefined. `taken` holds the names already used in the project. */
export function environmentNameProblem(name: string, taken: ReadonlySet<string> = new Set()): string | undefined {
  if (name.length === 0) {
    return 'Enter a name.';
  }
  if (name.length > NAME_MAX) {
    return `At most ${NAME_MAX} characters (this is ${name.length}). ${NAME_RULE}`;
  }
  if (!NAME_PATTERN.test(name)) {
    return `Use lowercase letters, digits and dashes, starting with a lowercase letter. ${NAME_RULE}`;
  }
  if (taken.has(name)) {
    return `An environment named "${name}" already exists in this project.`;
  }
  return undefined;
}

export function displayNameProblem(text: string, required = false): string | undefined {
  if (required && text.trim() === '') {
    return 'The display name cannot be empty.';
  }
  return text.length > DISPLAY_NAME_MAX
    ? `At most ${DISPLAY_NAME_MAX} characters (this is ${text.length}).`
    : undefined;
}

export function descriptionProblem(text: string): string | undefined {
  return text.length > DESCRIPTION_MAX
    ? `The description has at most ${DESCRIPTION_MAX} characters (this is ${text.length}).`
    : undefined;
}

/** Why one label would be refused, or undefined. */
export function labelProblem(key: string, value: string): string | undefined {
  const shown = (text: string) => (text.length > 20 ? `${text.slice(0, 20)}…` : text);
  if (!LABEL_PATTERN.test(key)) {
    return `The label key "${shown(key)}" is not allowed. ${LABEL_RULE}`;
  }
  if (!LABEL_PATTERN.test(value)) {
    return `The value "${shown(value)}" of label "${shown(key)}" is not allowed. ${LABEL_RULE}`;
  }
  return undefined;
}

/** Why a label map would be refused, or undefined. Not an object of strings is a problem too (server input). */
export function labelsProblem(labels: unknown): string | undefined {
  if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) {
    return 'labels must be an object of string keys to string values.';
  }
  const entries = Object.entries(labels as Record<string, unknown>);
  if (entries.length > LABELS_MAX_COUNT) {
    return `At most ${LABELS_MAX_COUNT} labels (these are ${entries.length}).`;
  }
  for (const [key, value] of entries) {
    if (typeof value !== 'string') {
      return `labels must be an object of string keys to string values (label "${key}" is not).`;
    }
    const problem = labelProblem(key, value);
    if (problem) {
      return problem;
    }
  }
  return undefined;
}

/**
 * The `key:value` pairs of `k:v, k2:v2` as typed (trimmed; empty pieces skipped), or the first piece that is not a
 * pair (cut to 30 characters, to be quoted back).
 */
export function splitLabelPairs(text: string): { pairs: [string, string][] } | { notAPair: string } {
  const pairs: [string, string][] = [];
  for (const piece of text.split(',')) {
    const pair = piece.trim();
    const separator = pair.indexOf(':');
    if (pair && (separator <= 0 || separator === pair.length - 1)) {
      return { notAPair: pair.length > 30 ? `${pair.slice(0, 30)}…` : pair };
    }
    if (pair) {
      pairs.push([pair.slice(0, separator).trim(), pair.slice(separator + 1).trim()]);
    }
  }
  return { pairs };
}

/** `k:v, k2:v2` as typed to a label map, or the reason it is not one (with the rule). Empty text is no labels. */
export function parseLabels(text: string): { labels?: Record<string, string>; error?: string } {
  const split = splitLabelPairs(text);
  if ('notAPair' in split) {
    return { error: `"${split.notAPair}" is not a key:value pair. Separate pairs with commas.` };
  }
  const labels: Record<string, string> = {};
  for (const [key, value] of split.pairs) {
    const problem = labelProblem(key, value);
    if (problem) {
      return { error: problem };
    }
    if (Object.prototype.hasOwnProperty.call(labels, key)) {
      return { error: `The label "${key}" is given twice.` };
    }
    labels[key] = value;
  }
  if (Object.keys(labels).length > LABELS_MAX_COUNT) {
    return { error: `At most ${LABELS_MAX_COUNT} labels (these are ${Object.keys(labels).length}).` };
  }
  return { labels };
}

/**
 * A valid environment name made from a folder's name: lower case, runs of other characters as one dash, a leading
 * `env-` when it would not start with a letter, at most 64 characters, and `-2`, `-3`, … when the name is taken.
 */
export function proposeEnvironmentName(folderName: string, taken: ReadonlySet<string> = new Set()): string {
  let name = folderName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!/^[a-z]/.test(name)) {
    name = name ? `env-${name}` : 'environment';
  }
  name = name.slice(0, NAME_MAX).replace(/-+$/, '');
  let candidate = name;
  for (let n = 2; taken.has(candidate); n++) {
    const suffix = `-${n}`;
    candidate = `${name.slice(0, NAME_MAX - suffix.length).replace(/-+$/, '')}${suffix}`;
  }
  return candidate;
}
