/**
 * What a validator reports about a dependency file. Positions, not prose: the same problems feed the upload's
 * summary, the emulator's build error and, later, the editor's diagnostics.
 */
export interface FileProblem {
  /** The dependency file's name, e.g. `ubiops.yaml`. */
  file: string;
  /** Zero-based line and column (UTF-16 code units, as VS Code counts) where the problem starts. */
  line: number;
  column: number;
  /** Zero-based, exclusive end of the range. */
  endLine: number;
  endColumn: number;
  /** What is wrong and what is allowed, one sentence, no position in it. */
  message: string;
  severity: 'error' | 'warning';
  /** A stable identifier of the rule, for quick fixes (e.g. `env-var-name`). */
  code: string;
}

/** `ubiops.yaml:3:5: message`, with one-based line and column as compilers print them. */
export function formatProblem(problem: FileProblem): string {
  return `${problem.file}:${problem.line + 1}:${problem.column + 1}: ${problem.message}`;
}

/** Largest dependency file the validators read (the emulator's build and the packer read them up to 1 MiB). */
export const MAX_CHECKED_CHARS = 1024 * 1024;

/**
 * The problem for a file a validator cannot judge (too large, nested too deeply, or the validator failed): a
 * warning at the top of the file saying so, since UbiOps will judge the file itself when it builds.
 */
export function notCheckedProblem(file: string, reason: string): FileProblem {
  return {
    file,
    line: 0,
    column: 0,
    endLine: 0,
    endColumn: 0,
    severity: 'warning',
    code: 'not-checked',
    message: `${file} was not checked: ${reason}. UbiOps checks it when it builds`,
  };
}
