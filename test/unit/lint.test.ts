import * as assert from 'node:assert/strict';
import path from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

// The architecture's rules live in eslint.config.mjs. These tests lint small snippets as if they sat at the given
// paths, so that a rule that stops applying (a glob that no longer matches, an exemption grown too wide) fails here.
const root = path.resolve(__dirname, '..', '..');

/** ESLint with the repository's config; without type information unless asked (faster, any path will do). */
function eslint(typed = false): ESLint {
  return new ESLint({ cwd: root, overrideConfig: typed ? [] : [tseslint.configs.disableTypeChecked] });
}

/** The rule ids ESLint reports for `code` placed at `file` (relative to the repository). */
async function rulesFired(code: string, file: string, typed = false): Promise<string[]> {
  const [result] = await eslint(typed).lintText(code, { filePath: path.join(root, file) });
  return result.messages.map((message) => message.ruleId ?? `fatal: ${message.message}`);
}

const RESTRICTED = '@typescript-eslint/no-restricted-imports';

describe('lint rules of the architecture', function () {
  this.timeout(120_000);

  for (const core of ['src/api/probe.ts', 'src/archive/probe.ts', 'src/emulator/probe.ts']) {
    it(`${core}: no vscode, no UI folder`, async () => {
      assert.deepEqual(await rulesFired(`import * as vscode from 'vscode';\nexport const v = vscode;\n`, core), [
        RESTRICTED,
      ]);
      for (const ui of [
        '../commands/registerCommands',
        '../explorer/treeNode',
        '../connection/settings',
        '../documents/logFormat',
        '../authoring/diagnostics',
        '../firstRun/walkthrough',
        '../builds/buildTracker',
        '../ui/text',
        '../log',
        '../extension',
      ]) {
        assert.deepEqual(await rulesFired(`export * from '${ui}';\n`, core), [RESTRICTED], ui);
        assert.deepEqual(await rulesFired(`import { x } from '${ui}';\nexport const y = x;\n`, core), [RESTRICTED], ui);
      }
      // The core may use the core, and a core folder's own files that share a UI folder's name.
      assert.deepEqual(await rulesFired(`export * from '../api/models';\nexport * from './builds';\n`, core), []);
    });
  }

  it('a core file deeper down: ../ is its own folder, ../../ is src', async () => {
    const file = 'src/emulator/handlers/probe.ts';
    assert.deepEqual(await rulesFired(`export * from '../builds';\nexport * from '../../api/models';\n`, file), []);
    for (const ui of ['../../builds/buildTracker', '../../commands', '../../log', '../../ui/text']) {
      assert.deepEqual(await rulesFired(`export * from '${ui}';\n`, file), [RESTRICTED], ui);
    }
    const code = `import * as vscode from 'vscode';\nexport const v = vscode;\n`;
    assert.deepEqual(await rulesFired(code, file), [RESTRICTED]);
  });

  it('UI code reaches the packer and the validators only through loadArchive()', async () => {
    for (const file of ['src/commands/probe.ts', 'src/authoring/probe.ts', 'src/extension.ts']) {
      const up = file === 'src/extension.ts' ? './' : '../';
      for (const heavy of ['archive', 'archive/index', 'archive/pack', 'archive/validate', 'archive/ubiopsYaml']) {
        const code = `import { x } from '${up}${heavy}';\nexport const y = x;\n`;
        assert.deepEqual(await rulesFired(code, file), [RESTRICTED], `${file}: ${heavy}`);
        // A type-only import costs nothing at run time.
        assert.deepEqual(await rulesFired(`import type { x } from '${up}${heavy}';\nexport type y = x;\n`, file), []);
      }
      const light = `import { loadArchive } from '${up}archive/lazy';\nimport { formatBytes } from '${up}archive/format';\nexport const y = [loadArchive, formatBytes];\n`;
      assert.deepEqual(await rulesFired(light, file), [], file);
    }
  });

  it('UI code starts the emulator only through a dynamic import', async () => {
    const file = 'src/connection/probe.ts';
    assert.deepEqual(await rulesFired(`import { start } from '../emulator';\nexport const s = start;\n`, file), [
      RESTRICTED,
    ]);
    assert.deepEqual(await rulesFired(`export { start } from '../emulator/server';\n`, file), [RESTRICTED]);
    assert.deepEqual(
      await rulesFired(`import type { Emulator } from '../emulator';\nexport type E = Emulator;\n`, file),
      [],
    );
    const lazy = `export async function go(): Promise<unknown> {\n  return (await import('../emulator/index.js')).start;\n}\n`;
    assert.deepEqual(await rulesFired(lazy, 'src/connection/connectionManager.ts'), []);
    // Anywhere else a dynamic import would load the emulator's code outside its bundle.
    assert.deepEqual(await rulesFired(lazy, 'src/commands/probe.ts'), ['no-restricted-syntax']);
  });

  it('the build tracker stays free of vscode', async () => {
    const code = `import * as vscode from 'vscode';\nexport const v = vscode;\n`;
    assert.deepEqual(await rulesFired(code, 'src/builds/buildTracker.ts'), [RESTRICTED]);
    assert.deepEqual(await rulesFired(code, 'src/builds/probe.ts'), []);
  });

  it('sizes: 500 lines a file, 80 a function in src, seed data included', async () => {
    const longFunction = `export function f(): number {\n  let n = 0;\n${'  n++;\n'.repeat(80)}  return n;\n}\n`;
    assert.deepEqual(await rulesFired(longFunction, 'src/api/probe.ts'), ['max-lines-per-function']);
    assert.deepEqual(await rulesFired(longFunction, 'src/emulator/seed.ts'), ['max-lines-per-function']);
    assert.deepEqual(await rulesFired(longFunction, 'test/unit/probe.test.ts'), []);
    const longFile = `export const n = [\n${'  1,\n'.repeat(500)}];\n`;
    assert.deepEqual(await rulesFired(longFile, 'src/commands/probe.ts'), ['max-lines']);
  });

  it('a dropped promise is an error unless marked with void (type information on)', async () => {
    const file = 'src/extension.ts';
    const code = (call: string) =>
      `async function later(): Promise<void> {}\nexport function now(): void {\n  ${call};\n}\n`;
    assert.deepEqual(await rulesFired(code('later()'), file, true), ['@typescript-eslint/no-floating-promises']);
    assert.deepEqual(await rulesFired(code('void later()'), file, true), []);
  });

  it('durations and deadlines: Date.now() is refused everywhere, performance.now() is not', async () => {
    const code = (clock: string) => `export const deadline = ${clock} + 1000;\n`;
    for (const file of ['src/api/probe.ts', 'test/unit/probe.test.ts', 'bench/probe.ts', 'scripts/probe.mjs']) {
      assert.deepEqual(await rulesFired(code('Date.now()'), file), ['no-restricted-properties'], file);
      assert.deepEqual(await rulesFired(code('performance.now()'), file), [], file);
    }
  });
});
