import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { COMMAND_IDS } from '../../src/commands/commandIds';

interface Manifest {
  contributes: {
    commands: { command: string }[];
    menus: Record<string, { command: string }[]>;
    walkthroughs?: unknown;
    viewsWelcome?: unknown;
  };
}

const manifest = JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as Manifest;

// The registration table (src/commands/registerCommands.ts) is typed `{ [K in CommandId]: handler }`, so the
// compiler holds it to COMMAND_IDS; this holds COMMAND_IDS to the manifest. The integration suite checks the
// commands VS Code actually has (test/integration/commandPolicy.test.ts).
describe('command ids', () => {
  it('COMMAND_IDS are the commands of package.json, each once', () => {
    const contributed = manifest.contributes.commands.map((entry) => entry.command);
    assert.deepEqual([...COMMAND_IDS].sort(), [...contributed].sort());
    assert.equal(new Set(COMMAND_IDS).size, COMMAND_IDS.length, 'no id twice');
  });

  it('every menu entry and command link of the manifest names a command of the extension', () => {
    const known = new Set<string>(COMMAND_IDS);
    const inMenus = Object.values(manifest.contributes.menus).flatMap((entries) => entries.map((e) => e.command));
    const links = JSON.stringify([manifest.contributes.walkthroughs, manifest.contributes.viewsWelcome]).match(
      /command:ubiops\.[\w.]+/g,
    );
    const unknown = [...inMenus, ...(links ?? []).map((link) => link.slice('command:'.length))].filter(
      (id) => !known.has(id),
    );
    assert.deepEqual(unknown, []);
  });
});
