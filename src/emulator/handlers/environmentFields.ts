/** The checks of an environment's fields on create and update: only what UbiOps itself refuses (`CHOICES.md`). */
import { DESCRIPTION_MAX } from '../../api/rules';
import { HttpError } from '../http';
import type { EnvironmentRecord, State } from '../store';

/** The official client checks names for length 1–1024 only (platform notes); so does the emulator. */
const MAX_NAME = 1024;
/** The official client's limit on display names (platform notes). */
const MAX_DISPLAY_NAME = 1024;
const MAX_DESCRIPTION = DESCRIPTION_MAX;

/**
 * Names: 1–1024 characters (the official client's only check). The documented "lowercase letters, digits and
 * dashes" rule is a local warning, not a refusal. Refused only what cannot be one URL path segment: `/` or `\`,
 * control characters, `.` and `..`.
 */
function nameProblem(name: string): string | undefined {
  if (name.length > MAX_NAME) {
    return `A name is at most ${MAX_NAME} characters long (this one has ${name.length}).`;
  }
  // eslint-disable-next-line no-control-regex
  if (/[/\\\u0000-\u001f\u007f]/.test(name) || name === '.' || name === '..') {
    return `Invalid name "${name}": a name is used in URLs, so it cannot contain "/", "\\" or control characters, nor be "." or "..".`;
  }
  return undefined;
}

/** A usable name, not taken in the project (other than by `self`) nor by a base environment. */
export function checkName(state: State, project: string, name: string, self: EnvironmentRecord | null): void {
  const problem = nameProblem(name);
  if (problem) {
    throw new HttpError(400, problem);
  }
  for (const e of state.environments) {
    if (e === self || e.name !== name) {
      continue;
    }
    if (e.project === null) {
      throw new HttpError(400, `"${name}" is the name of a base environment; choose another name.`);
    }
    if (e.project === project) {
      throw new HttpError(400, `An environment named "${name}" already exists in project "${project}".`);
    }
  }
}

/** `display_name` and `description` have a length limit each (the official client's), no other rule. */
function checkLength(field: string, value: string | undefined, max: number): void {
  if (value !== undefined && value.length > max) {
    throw new HttpError(400, `${field} may be at most ${max} characters (it has ${value.length}).`);
  }
}

export function checkDescription(description: string | undefined): void {
  checkLength('description', description, MAX_DESCRIPTION);
}

export function checkDisplayName(displayName: string | undefined): void {
  checkLength('display_name', displayName, MAX_DISPLAY_NAME);
}

/** Labels: a string-to-string map, nothing more (the platform notes state no other rule). */
export function checkLabels(value: unknown): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HttpError(400, 'labels must be an object of string keys to string values.');
  }
  const entries = Object.entries(value as Record<string, unknown>);
  for (const [key, v] of entries) {
    if (typeof v !== 'string') {
      throw new HttpError(400, `labels must be an object of string keys to string values (label "${key}" is not).`);
    }
  }
  // Defined, not assigned: a `__proto__` key stays a plain key.
  return Object.fromEntries(entries) as Record<string, string>;
}
