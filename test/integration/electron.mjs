// npm run test:electron: the same integration suite under @vscode/test-electron, VS Code's own test runner.
//
// Only for machines with internet access, such as a public CI: test-electron downloads VS Code from Microsoft's
// update service (into .vscode-test/), which the project's development and CI machines cannot reach. There,
// `npm run test:integration` (run.mjs) runs these files in code-server instead. On Linux without a display, run
// it under a virtual one: `xvfb-run -a npm run test:electron`.
//
// It bundles test/integration/ into out/integration/ like run.mjs, and hands VS Code out/integration/index.js
// as extensionTestsPath, with this repository as extensionDevelopmentPath.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { ensureDemoWorkspace } from '../../scripts/demo-workspace.mjs';
import { CODE_SERVER_VERSION, ROOT } from '../../scripts/vscode-server.mjs';
import { bundleIntegrationTests } from './bundle.mjs';

// The VS Code that code-server 4.139.1 embeds, so that both runners test against the same one
// (activation.test.ts checks for 1.139).
const VSCODE_VERSION = process.env.UBIOPS_VSCODE_VERSION ?? '1.139.1';

const build = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) process.exit(1);
const { outDir } = await bundleIntegrationTests();
const tmp = await mkdtemp(join(tmpdir(), 'ubiops-electron-'));
const workspace = await ensureDemoWorkspace(join(tmp, 'workspace'));

try {
  await runTests({
    version: VSCODE_VERSION,
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: join(outDir, 'index.js'),
    launchArgs: [
      workspace,
      '--disable-extensions',
      '--disable-workspace-trust',
      '--skip-welcome',
      '--skip-release-notes',
    ],
    // A developer's own credentials must not leak into the suite: the tests set up their connections.
    extensionTestsEnv: { UBIOPS_API_HOST: undefined, UBIOPS_API_TOKEN: undefined },
  });
} catch (err) {
  process.stderr.write(
    `[electron] ${err instanceof Error ? err.message : err} (code-server ${CODE_SERVER_VERSION} runs the same suite: npm run test:integration)\n`,
  );
  process.exitCode = 1;
} finally {
  await rm(tmp, { recursive: true, force: true });
}
