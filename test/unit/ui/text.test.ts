import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { codeBlock, codeSpan, inert, inertFirstLine } from '../../../src/ui/text';

/** VS Code's own reading of a notification's message (src/vs/base/common/linkedText.ts). */
const NOTIFICATION_LINK = /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^)\s]+)(?: (["'])(.+?)(\3))?\)/gi;
/** VS Code's reading of `$(icon)` in QuickPick labels and status-bar text (src/vs/base/common/iconLabels.ts). */
const ICON = /(\\)?\$\(([A-Za-z0-9-]+(?:~[A-Za-z0-9-]+)?)\)/g;

const HOSTILE = [
  '[x](command:workbench.action.quit)',
  'numpy==1.0 --[Details](command:workbench.action.openSettings?%5B%22ubiops%22%5D "settings")',
  '[site](https://attacker.example/) and [f](file:///etc/passwd)',
  '$(alert) urgent $(sync~spin)',
];

describe('untrusted text stays text', () => {
  it('inert: no link a notification would make, no icon a label would draw, and the same words', () => {
    for (const text of HOSTILE) {
      const shown = inert(text);
      assert.equal(shown.match(NOTIFICATION_LINK), null, `no link in ${shown}`);
      assert.equal(shown.match(ICON), null, `no icon in ${shown}`);
      assert.equal(shown.replace(/\u200b/g, ''), text, 'only invisible characters were added');
    }
    assert.equal(inert('plain text: data-science (demo-project)'), 'plain text: data-science (demo-project)');
    assert.equal(inert(inert(HOSTILE[0])), inert(HOSTILE[0]), 'inert twice is inert once');
  });

  it("a failed build's first line: the first non-empty line, cut, inert", () => {
    const line = inertFirstLine('\n--[Details](command:workbench.action.quit)\nsecond line');
    assert.equal(line.match(NOTIFICATION_LINK), null);
    assert.match(line, /^--\[Details\]/);
    assert.ok(!line.includes('second line'));
    assert.equal(inertFirstLine('x'.repeat(300)).length, 201);
  });

  it('tooltips: no server text leaves its code block or code span, even with an indented fence', () => {
    const attacks = [
      'ERROR\n   ```\n[x](command:workbench.action.quit) ![i](https://attacker.example/i.png)',
      '````\n[x](command:workbench.action.quit)\n````',
      '~~~\n[x](https://attacker.example/)',
      '  ``````` \n<img src=x>',
    ];
    for (const text of attacks) {
      const block = codeBlock(text);
      const lines = block.split('\n');
      const fence = /^`{3,}/.exec(lines[1])![0];
      // CommonMark: a backtick fence closes only on a line of at most 3 spaces and at least as many backticks.
      const closers = lines
        .slice(2)
        .map((line, index) => (new RegExp(`^ {0,3}\`{${fence.length},}\\s*$`).test(line) ? index : -1))
        .filter((index) => index >= 0);
      assert.deepEqual(
        closers,
        [lines.length - 4],
        `only the last fence closes the block around ${JSON.stringify(text)}`,
      );
      assert.ok(block.includes(`\n${text}\n`), 'the text is inside, unchanged');
      const span = codeSpan(text);
      assert.equal((span.match(/`/g) ?? []).length, 2, 'a code span with no backtick inside cannot be closed early');
      assert.ok(!span.includes('\n'));
    }
  });
});

/**
 * Every notification of the extension is made inert where it can carry text from outside (a server, a folder):
 * its message is `inert(…)`, a literal, or `vscode.l10n.t('…')` without arguments. A new raw call fails here.
 */
describe('every notification goes through inert', () => {
  async function sources(folder: string): Promise<string[]> {
    const entries = await fs.readdir(folder, { withFileTypes: true, recursive: true });
    return entries
      .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
      .map((entry) => path.join(entry.parentPath, entry.name));
  }

  it('show{Information,Warning,Error}Message, setStatusBarMessage, progress and prompt titles', async () => {
    const root = path.resolve(__dirname, '../../../src');
    const raw: string[] = [];
    let calls = 0;
    for (const file of await sources(root)) {
      if (file.includes(`${path.sep}emulator${path.sep}`)) {
        continue;
      }
      const text = await fs.readFile(file, 'utf8');
      for (const match of text.matchAll(/\b(show(?:Information|Warning|Error)Message|setStatusBarMessage)\(\s*/g)) {
        const rest = text.slice(match.index + match[0].length);
        const firstLine = rest.split('\n')[0];
        calls += 1;
        const plainLiteral = /^'(?:[^'\\\n]|\\.)*'\s*[,)]/.test(rest) || /^`[^`$]*`\s*[,)]/.test(rest);
        const bareL10n = /^vscode\.l10n\.t\(\s*'(?:[^'\\\n]|\\.)*',?\s*\)\s*[,)]/.test(rest);
        // A status-bar message may start with the extension's own icon; what it interpolates must be inert.
        const statusBar =
          match[1] === 'setStatusBarMessage' && (!firstLine.includes('${') || firstLine.includes('inert('));
        if (!(rest.startsWith('inert(') || plainLiteral || bareL10n || statusBar)) {
          const line = text.slice(0, match.index).split('\n').length;
          raw.push(`${path.relative(root, file)}:${line}: ${firstLine}`);
        }
      }
    }
    // About 40 since the command runner shows every command's error (src/commands/commandRunner.ts).
    assert.ok(calls > 30, `the calls were found (${calls})`);
    // Progress titles are notifications (or status-bar text) too, and QuickPick and input titles draw icons.
    for (const file of await sources(root)) {
      const lines = (await fs.readFile(file, 'utf8')).split('\n');
      lines.forEach((line, index) => {
        if (/\btitle: `[^`]*\$\{/.test(line) && !/title: inert\(/.test(line)) {
          raw.push(`${path.relative(root, file)}:${index + 1}: ${line.trim()}`);
        }
      });
    }
    assert.deepEqual(raw, [], 'messages that could carry outside text without inert(…)');
  });
});
