import {
  descriptionProblem,
  displayNameProblem,
  environmentNameProblem,
  labelProblem,
  LABELS_MAX_COUNT,
  splitLabelPairs,
} from '../api/rules';
import { l10n } from '../ui/l10n';

/**
 * What the create and edit inputs say while the user types. Refuse only what UbiOps refuses: UbiOps' own client
 * checks names for length 1–1024 and display names up to 1024, labels not at all, and the server refuses a
 * description over 400 characters and a name already taken. Those block; the documented naming and label rules
 * (`src/api/rules.ts`) are warnings that explain the rule and let the server decide. No `vscode` here: tested in
 * plain Node.
 */
export interface InputCheck {
  message: string;
  /** True: the input cannot be accepted. False: a warning, the value can still be sent. */
  blocking: boolean;
}

/** The longest name and display name UbiOps' client accepts. */
export const OFFICIAL_NAME_MAX = 1024;

const LET_THE_SERVER_DECIDE = l10n.t('UbiOps decides when you continue.');

function warning(problem: string | undefined): InputCheck | undefined {
  return problem ? { message: `${problem} ${LET_THE_SERVER_DECIDE}`, blocking: false } : undefined;
}

export function nameCheck(name: string, taken: ReadonlySet<string> = new Set()): InputCheck | undefined {
  if (name.length === 0) {
    return { message: l10n.t('Enter a name.'), blocking: true };
  }
  if (name.length > OFFICIAL_NAME_MAX) {
    return {
      message: l10n.t('A name has at most {0} characters (this is {1}).', OFFICIAL_NAME_MAX, name.length),
      blocking: true,
    };
  }
  if (taken.has(name)) {
    return { message: l10n.t('An environment named "{0}" already exists in this project.', name), blocking: true };
  }
  return warning(environmentNameProblem(name));
}

export function displayNameCheck(text: string): InputCheck | undefined {
  if (text.length > OFFICIAL_NAME_MAX) {
    return {
      message: l10n.t('A display name has at most {0} characters (this is {1}).', OFFICIAL_NAME_MAX, text.length),
      blocking: true,
    };
  }
  return warning(displayNameProblem(text));
}

export function descriptionCheck(text: string): InputCheck | undefined {
  const problem = descriptionProblem(text);
  return problem ? { message: problem, blocking: true } : undefined;
}

/**
 * `key:value, key2:value2` as typed. Only the shape blocks (a pair without `:`, a key given twice): the map could
 * not be built. Characters, lengths and the count follow the documented rule as a warning.
 */
export function parseLabelInput(text: string): { labels?: Record<string, string>; check?: InputCheck } {
  const split = splitLabelPairs(text);
  if ('notAPair' in split) {
    const message = l10n.t('"{0}" is not a key:value pair. Separate pairs with commas.', split.notAPair);
    return { check: { message, blocking: true } };
  }
  const labels: Record<string, string> = {};
  let rule: string | undefined;
  for (const [key, value] of split.pairs) {
    if (Object.prototype.hasOwnProperty.call(labels, key)) {
      return { check: { message: l10n.t('The label "{0}" is given twice.', key), blocking: true } };
    }
    rule ??= labelProblem(key, value);
    labels[key] = value;
  }
  const count = Object.keys(labels).length;
  rule ??= count > LABELS_MAX_COUNT ? `At most ${LABELS_MAX_COUNT} labels (these are ${count}).` : undefined;
  return { labels, check: warning(rule) };
}
