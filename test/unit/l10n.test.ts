import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { hardCodedStrings, hasWords, root, uiSources } from './l10nScan';

describe('localisation', () => {
  it('finds a hard-coded message, prompt, pick item, tree item and status-bar text, and accepts l10n.t', () => {
    const sample = [
      "vscode.window.showErrorMessage('UbiOps: the upload failed.');",
      "vscode.window.showWarningMessage(`Delete ${name}?`, { modal: true, detail: `It is used by ${n} versions.` }, 'Delete');",
      "await vscode.window.showInputBox({ title: 'New Environment', prompt: vscode.l10n.t('Its name') });",
      "const items = [{ label: '$(folder) Choose Another Folder…' }, { label: `$(folder) ${base}` }];",
      "const item = new vscode.TreeItem('Loading…');",
      "status.text = ok ? '$(cloud) Connected' : vscode.l10n.t('Signed out');",
      'await vscode.window.withProgress({ location, title: `Uploading ${name}` }, task);',
      "vscode.window.showInformationMessage(vscode.l10n.t('Uploaded {0}.', name), vscode.l10n.t('Show Build'));",
      "const id = 'ubiops.environments'; item.contextValue = 'ubiops.build.success';",
      "tooltip.appendMarkdown(`**${failed ? 'Why it failed' : vscode.l10n.t('Message')}**`);",
    ].join('\n');
    const found = hardCodedStrings('sample.ts', sample).map((hit) => `${hit.line} ${hit.where} ${hit.text}`);
    assert.deepEqual(found, [
      '1 showErrorMessage message UbiOps: the upload failed.',
      '2 showWarningMessage message Delete  ?',
      '2 showWarningMessage button Delete',
      '2 detail: It is used by   versions.',
      '3 title: New Environment',
      '4 label: $(folder) Choose Another Folder…',
      '5 new vscode.TreeItem Loading…',
      '6 .text = $(cloud) Connected',
      '7 title: Uploading  ',
      '10 appendMarkdown message Why it failed',
    ]);
  });

  it('has no hard-coded user-visible string in the UI code: every one goes through vscode.l10n.t', () => {
    const files = uiSources();
    assert.ok(files.length > 10 && files.includes('src/commands/revisionCommands.ts'), `scanned ${files.join(', ')}`);
    const found = files.flatMap((file) => hardCodedStrings(file, readFileSync(path.join(root, file), 'utf8')));
    assert.deepEqual(
      found.map((hit) => `${hit.file}:${hit.line} ${hit.where} "${hit.text}"`),
      [],
      "wrap these in vscode.l10n.t('Text {0}', value)",
    );
  });

  it('translates whole words: no placeholder glued to a word (an -s plural or a fragment a translator cannot see)', () => {
    const glued: string[] = [];
    for (const file of uiSources()) {
      const source = readFileSync(path.join(root, file), 'utf8');
      for (const match of source.matchAll(/l10n\.t\('((?:[^'\\\n]|\\.)*)'/g)) {
        if (/\p{L}\{\d+\}|\{\d+\}\p{L}/u.test(match[1])) glued.push(`${file}: ${match[1]}`);
      }
    }
    assert.deepEqual(glued, []);
  });

  it('never compares an answer with an English button label: the label shown is the translated one', () => {
    // `choice === 'Delete'` is never true under a language pack, where the button reads otherwise: compare with the
    // very l10n.t(...) value that was passed as the button (see src/commands/confirm.ts).
    const compared: string[] = [];
    for (const file of uiSources()) {
      readFileSync(path.join(root, file), 'utf8')
        .split('\n')
        .forEach((line, index) => {
          for (const match of line.matchAll(/[!=]==\s*'([^'\\]*)'/g)) {
            if (hasWords(match[1]) && /^[A-Z]/.test(match[1]) && !/^[A-Z][A-Za-z]*Error$/.test(match[1])) {
              compared.push(`${file}:${index + 1}: ${line.trim()}`);
            }
          }
        });
    }
    assert.deepEqual(compared, []);
  });

  it('names every string of the manifest as a %key% of package.nls.json', () => {
    const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    const nls: Record<string, string> = JSON.parse(readFileSync(path.join(root, 'package.nls.json'), 'utf8'));
    const literal: string[] = [];
    const used = new Set<string>();
    const check = (value: unknown, where: string) => {
      if (typeof value !== 'string') return;
      const key = /^%(.+)%$/.exec(value)?.[1];
      if (key) {
        used.add(key);
        assert.ok(key in nls, `${where}: %${key}% is in package.nls.json`);
      } else if (hasWords(value)) literal.push(`${where}: ${value}`);
    };
    check(manifest.displayName, 'displayName');
    check(manifest.description, 'description');
    const contributes = manifest.contributes;
    for (const command of contributes.commands) {
      check(command.title, `${command.command} title`);
      check(command.category, `${command.command} category`);
    }
    for (const container of contributes.viewsContainers.activitybar) check(container.title, `${container.id} title`);
    for (const view of Object.values(contributes.views).flat() as {
      id: string;
      name: string;
      contextualTitle?: string;
    }[]) {
      check(view.name, `${view.id} name`);
      check(view.contextualTitle, `${view.id} contextualTitle`);
    }
    for (const welcome of contributes.viewsWelcome) check(welcome.contents, `${welcome.view} welcome`);
    check(contributes.configuration.title, 'configuration title');
    for (const [key, setting] of Object.entries<Record<string, unknown>>(contributes.configuration.properties)) {
      for (const field of ['description', 'markdownDescription', 'deprecationMessage', 'markdownDeprecationMessage'])
        check(setting[field], `${key} ${field}`);
      for (const [i, text] of (
        (setting.enumDescriptions ?? setting.markdownEnumDescriptions ?? []) as string[]
      ).entries())
        check(text, `${key} enum ${i}`);
    }
    for (const walkthrough of contributes.walkthroughs ?? []) {
      check(walkthrough.title, `${walkthrough.id} title`);
      check(walkthrough.description, `${walkthrough.id} description`);
      for (const step of walkthrough.steps) {
        check(step.title, `${step.id} title`);
        check(step.description, `${step.id} description`);
        check(step.media?.altText, `${step.id} altText`);
      }
    }
    check(manifest.capabilities?.untrustedWorkspaces?.description, 'untrustedWorkspaces description');
    assert.deepEqual(literal, [], 'manifest strings are %key%s of package.nls.json');
    assert.deepEqual(
      Object.keys(nls).filter((key) => !used.has(key)),
      [],
      'package.nls.json has no unused key',
    );
  });
});
