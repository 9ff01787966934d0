/**
 * The integration suite's entry point in the shape `@vscode/test-electron` expects of `extensionTestsPath`:
 * `run()` resolves when every test passed and rejects otherwise, including when no test ran. The code-server
 * runner (run.mjs, through the test-driver extension in ./driver) and the Electron one (electron.mjs) both load
 * this file, bundled with the tests into out/integration/, inside the extension host.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';

const { Base, Spec } = Mocha.reporters;

/**
 * mocha's spec reporter closed by the plain "N passed, N failed, N skipped" line, as in the unit suite
 * (test/reporter.cjs), but printing everything through `Base.consoleLog` so that it can be sent to a file.
 */
class SpecWithSummary extends Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const { passes, failures, pending } = this.stats;
      Base.consoleLog(`\n${passes} passed, ${failures} failed, ${pending} skipped`);
    });
  }
}

export function run(): Promise<void> {
  // The extension host sends console output to the workbench, not to a terminal: with UBIOPS_INTEGRATION_OUTPUT
  // set (the code-server runner sets it), the report goes to that file, which the runner prints.
  const output = process.env.UBIOPS_INTEGRATION_OUTPUT;
  if (output) Base.consoleLog = (...args: unknown[]) => fs.appendFileSync(output, `${format(...args)}\n`);
  const mocha = new Mocha({ ui: 'bdd', timeout: 20_000, reporter: SpecWithSummary });
  if (process.env.UBIOPS_INTEGRATION_GREP) mocha.grep(process.env.UBIOPS_INTEGRATION_GREP);

  const files = (fs.readdirSync(__dirname, { recursive: true }) as string[])
    .filter((file) => file.endsWith('.test.js'))
    .sort();
  if (files.length === 0) {
    return Promise.reject(new Error(`No integration test files (*.test.js) next to ${__filename}.`));
  }
  for (const file of files) mocha.addFile(path.join(__dirname, file));

  return new Promise((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        const ran = (runner.stats?.passes ?? 0) + (runner.stats?.failures ?? 0);
        if (failures > 0) reject(new Error(`${failures} integration test${failures === 1 ? '' : 's'} failed.`));
        else if (ran === 0) reject(new Error('No integration test ran.'));
        else resolve();
      });
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}
