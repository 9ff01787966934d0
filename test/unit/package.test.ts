import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import JSZip from 'jszip';

const root = path.resolve(__dirname, '../..');
const run = promisify(execFile);

describe('npm run package', function () {
  this.timeout(120_000);
  let entries: string[];
  let zip: JSZip;

  before(async () => {
    await run('npm', ['run', 'package', '--silent'], { cwd: root, env: { ...process.env, CI: 'true' } });
    zip = await JSZip.loadAsync(await fs.readFile(path.join(root, 'ubiops-environments.vsix')));
    entries = Object.keys(zip.files).filter((name) => !zip.files[name].dir);
  });

  it('holds the bundle, the manifest, media, README, CHANGELOG and LICENSE', () => {
    for (const expected of [
      'extension/dist/extension.js',
      'extension/package.json',
      'extension/readme.md',
      'extension/changelog.md',
      'extension/LICENSE.txt',
    ]) {
      assert.ok(
        entries.some((entry) => entry.toLowerCase() === expected.toLowerCase()),
        `${expected} is in the .vsix (has: ${entries.join(', ')})`,
      );
    }
    assert.ok(entries.some((entry) => entry.startsWith('extension/media/')), 'media is in the .vsix');
  });

  it('holds no sources, tests, source maps or node_modules', () => {
    const unwanted = entries.filter((entry) =>
      /^extension\/(src|test|bench|node_modules|\.ci)\//.test(entry) || /\.(map|ts)$/.test(entry) || entry.includes('emulator.js'),
    );
    assert.deepEqual(unwanted, []);
  });

  it('ships the emulator, the packer and the HTTP client as bundles of their own, outside what activation loads', async () => {
    for (const lazy of ['extension/dist/emulator-lib.js', 'extension/dist/archive-lib.js', 'extension/dist/undici-lib.js']) {
      assert.ok(entries.includes(lazy), `${lazy} is in the .vsix (has: ${entries.join(', ')})`);
    }
    const bundle = await zip.file('extension/dist/extension.js')!.async('string');
    // What the on-demand bundles hold must not be in extension.js too: the emulator's server, the YAML parser.
    assert.ok(['emulator-lib.js', 'archive-lib.js', 'undici-lib.js'].every((name) => bundle.includes(name)), 'extension.js loads them by name');
    assert.ok(!bundle.includes('Implicit keys need to be on a single line'), 'the YAML parser is not in extension.js');
    assert.ok(!bundle.includes('Malformed part header'), 'the emulator (busboy) is not in extension.js');
    assert.ok(!bundle.includes('llhttp_alloc'), 'undici (its HTTP parser) is not in extension.js');
  });

  it('stays within the size budget: extension.js under 400 KB, the .vsix under 500 KB and 20 files', async () => {
    const bundle = await zip.file('extension/dist/extension.js')!.async('uint8array');
    assert.ok(bundle.length < 400 * 1024, `extension.js is ${bundle.length} bytes`);
    const vsix = await fs.stat(path.join(root, 'ubiops-environments.vsix'));
    assert.ok(vsix.size < 500 * 1024, `the .vsix is ${vsix.size} bytes`);
    assert.ok(entries.length < 20, `the .vsix holds ${entries.length} files: ${entries.join(', ')}`);
  });

  it('ships a minified bundle without a source map', async () => {
    const bundle = await zip.file('extension/dist/extension.js')!.async('string');
    assert.ok(!bundle.includes('sourceMappingURL'), 'no source map reference');
    // Template literals keep their line breaks; a minified bundle still averages thousands of characters a line.
    const lines = bundle.split('\n').length;
    assert.ok(bundle.length / lines > 1000, `minified (${lines} lines for ${bundle.length} characters)`);
  });
});
