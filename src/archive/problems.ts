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
