// What the integration and end-to-end launchers share: their log lines, reading mocha's closing summary line
// (test/reporter.cjs), stopping on a signal, and running a launcher's main() so that a crash still cleans up and
// exits non-zero.

const SUMMARY = /^(\d+) passed, (\d+) failed, (\d+) skipped$/;

/** The time since `since` (a `performance.now()`), as "12.3 s". */
export const seconds = (since) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

/** Writes a line on stdout, tagged `[prefix]`. */
export const logger = (prefix) => (line) => process.stdout.write(`[${prefix}] ${line}\n`);

/** On SIGINT or SIGTERM: says so, cleans up, and exits 130. */
export function stopOnSignals(log, cleanUp) {
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      log(`${signal}: stopping`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
}

/** The last "N passed, N failed, N skipped" line of a suite's output, or undefined when it printed none. */
export function readSummary(output) {
  const match = output
    .trimEnd()
    .split('\n')
    .map((line) => SUMMARY.exec(line.trim()))
    .filter(Boolean)
    .pop();
  return match ? { line: match[0], passed: Number(match[1]), failed: Number(match[2]) } : undefined;
}

/** Says why a run failed on stderr, then repeats the summary so it stays the last line on stdout. */
export function reportFailure(prefix, failure, summary) {
  process.stderr.write(`[${prefix}] FAILED: ${failure}\n`);
  if (summary) process.stdout.write(`\n${summary.line}\n`);
}

/**
 * Runs `main` (resolving to an exit code) and exits with it; on a crash, prints it, keeps the temporary folder
 * for inspection (`cleanUp({ keep: true })`, `tmp()` names it) and exits 1.
 */
export function runMain(prefix, main, { cleanUp, tmp }) {
  main().then(
    (code) => process.exit(code),
    async (err) => {
      process.stderr.write(`[${prefix}] ${err.stack ?? err.message}\n`);
      await cleanUp({ keep: true });
      if (tmp()) process.stderr.write(`[${prefix}] kept ${tmp()}\n`);
      process.exit(1);
    },
  );
}
