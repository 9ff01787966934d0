import { notCheckedProblem, type FileProblem } from './problems';
import { validateRequirements } from './requirements';
import { validateUbiopsYaml } from './ubiopsYaml';

const VALIDATORS: Record<string, (text: string, file: string) => FileProblem[]> = {
  'requirements.txt': validateRequirements,
  'ubiops.yaml': validateUbiopsYaml,
};

/** True for the files that have a validator. */
export function isValidatedFile(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(VALIDATORS, name);
}

/**
 * Problems in one dependency file, by its name; files without a validator yet yield none. Never throws: this is the
 * boundary every caller goes through (the editor's diagnostics, the packer, the emulator's build), so a file the
 * validators cannot judge gets a `not-checked` warning that says so instead of an exception.
 */
export function validateDependencyFile(name: string, text: string): FileProblem[] {
  if (!isValidatedFile(name)) return [];
  try {
    return VALIDATORS[name](text, name);
  } catch (error) {
    const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return [notCheckedProblem(name, `the check failed (${what.slice(0, 200)})`)];
  }
}
