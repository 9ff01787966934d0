import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import JSZip from 'jszip';
import { withTempDir } from '../helpers/tempDir';

const root = path.resolve(__dirname, '../..');
const run = promisify(execFile);
const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');

/** Markdown without its code blocks and code spans, which show their text as it is. */
function withoutCode(markdown: string): string {
  return markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
}

/** Every image a Markdown file shows: `![alt](url "title")` and `<img src="url">`. */
function imagesOf(markdown: string): string[] {
  markdown = withoutCode(markdown);
  const markdownImages = [...markdown.matchAll(/!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]);
  const htmlImages = [...markdown.matchAll(/<img\b[^>]*\bsrc\s*=\s*["']?([^"'\s>]+)/gi)].map((m) => m[1]);
  return [...markdownImages, ...htmlImages];
}

/** Links to a file by a relative path (no scheme, not an anchor): broken on the details page. */
function relativeLinksOf(markdown: string): string[] {
  return [...withoutCode(markdown).matchAll(/\]\(\s*<?([^)\s>]+)/g)]
    .map((m) => m[1])
    .filter((link) => !/^[a-z][a-z0-9+.-]*:|^#/i.test(link));
}

/**
 * Where vsce puts the repository's raw files for a `repository` URL (GitHub and GitLab, as vsce's
 * guessBaseUrls has them), or undefined when the URL is unset or of another host.
 */
function rawBaseOf(repositoryUrl: string): string | undefined {
  const github = /github(?:\.com\/|:)([^/]+\/[^/]+?)(?:\.git)?\/?$/.exec(repositoryUrl);
  if (github) return `https://github.com/${github[1]}/raw/HEAD/`;
  const gitlab = /gitlab(?:\.com\/|:)((?:[^/]+)(?:\/[^/]+)+?)(?:\.git)?\/?$/.exec(repositoryUrl);
  if (gitlab) return `https://gitlab.com/${gitlab[1]}/-/raw/HEAD/`;
  return undefined;
}

/** What is wrong with the images of a packaged README, for a manifest with that repository URL. */
function brokenImages(readme: string, repositoryUrl: string): string[] {
  const base = rawBaseOf(repositoryUrl);
  const problems: string[] = [];
  for (const image of imagesOf(readme)) {
    if (!/^https:\/\//i.test(image)) problems.push(`${image}: not an https URL (the details page loads none other)`);
    else if (!base || !image.startsWith(base))
      problems.push(`${image}: not a file of the repository (${repositoryUrl || 'repository.url unset'})`);
    else if (!existsSync(path.join(root, decodeURIComponent(image.slice(base.length))))) {
      problems.push(`${image}: the repository has no ${image.slice(base.length)}`);
    }
  }
  return problems;
}

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
    assert.ok(
      entries.some((entry) => entry.startsWith('extension/media/')),
      'media is in the .vsix',
    );
  });

  it('ships a README whose images all load: none while repository.url is unset, never a relative or broken one', async () => {
    const manifest = JSON.parse(await fs.readFile(path.join(root, 'package.json'), 'utf8'));
    const repositoryUrl: string =
      (typeof manifest.repository === 'string' ? manifest.repository : manifest.repository?.url) ?? '';
    const readme = await zip.file('extension/readme.md')!.async('string');
    assert.deepEqual(brokenImages(readme, repositoryUrl), []);
    assert.deepEqual(relativeLinksOf(readme), [], 'links to repository files are absolute, or plain text');
    if (!repositoryUrl) {
      assert.deepEqual(imagesOf(readme), [], 'without a repository URL the README goes without its images');
      assert.ok(
        imagesOf(await fs.readFile(path.join(root, 'README.md'), 'utf8')).length > 0,
        'the README itself has screenshots',
      );
      assert.match(readme, /^## Settings$/m, 'the rest of the README is still there');
    }
  });

  it("with repository.url set, ships the README's images as https URLs of files the repository has", async function () {
    // A copy of what packaging reads, with a URL in package.json (the one place it comes from); dist/ is the
    // build of before().
    await withTempDir('ubiops-package-', async (copy) => {
      const manifest = JSON.parse(await fs.readFile(path.join(root, 'package.json'), 'utf8'));
      const repositoryUrl = 'https://github.com/example-owner/ubiops-environments';
      manifest.repository = { type: 'git', url: repositoryUrl };
      delete manifest.scripts['vscode:prepublish'];
      await fs.writeFile(path.join(copy, 'package.json'), JSON.stringify(manifest, null, 2));
      for (const item of [
        'dist',
        'media',
        'docs',
        'scripts',
        'package.nls.json',
        'README.md',
        'CHANGELOG.md',
        'LICENSE',
        '.vscodeignore',
      ]) {
        await fs.cp(path.join(root, item), path.join(copy, item), { recursive: true });
      }
      await fs.symlink(path.join(root, 'node_modules'), path.join(copy, 'node_modules'));
      await run(process.execPath, [path.join(copy, 'scripts', 'package.mjs')], { cwd: copy });
      const packaged = await JSZip.loadAsync(await fs.readFile(path.join(copy, 'ubiops-environments.vsix')));
      const readme = await packaged.file('extension/readme.md')!.async('string');
      const images = imagesOf(readme);
      assert.equal(
        images.length,
        imagesOf(await fs.readFile(path.join(root, 'README.md'), 'utf8')).length,
        'every screenshot is kept',
      );
      assert.ok(
        images.every((image) => image.startsWith(`${repositoryUrl}/raw/HEAD/`)),
        images.join(', '),
      );
      assert.deepEqual(brokenImages(readme, repositoryUrl), []);
      assert.deepEqual(relativeLinksOf(readme), []);
      // The check itself: an image the repository does not have, and a relative one, are reported.
      assert.equal(
        brokenImages(`![x](${repositoryUrl}/raw/HEAD/docs/missing.png) ![y](docs/tree-with-builds.png)`, repositoryUrl)
          .length,
        2,
      );
    });
  });

  it('lists in `vsce ls` exactly what is meant to ship', async () => {
    const { stdout } = await run(
      process.execPath,
      [vsce, 'ls', '--no-dependencies', '--readme-path', 'out/package/README.md'],
      { cwd: root },
    );
    const listed = stdout
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)
      .sort();
    const walkthrough = (await fs.readdir(path.join(root, 'media', 'walkthrough'))).map(
      (name) => `media/walkthrough/${name}`,
    );
    const expected = [
      'package.json',
      'LICENSE',
      'CHANGELOG.md',
      'out/package/README.md',
      'dist/extension.js',
      'dist/undici-lib.js',
      'dist/archive-lib.js',
      'dist/emulator-lib.js',
      'media/icon.png',
      'media/ubiops.svg',
      'media/ubiops-yaml.schema.json',
      ...walkthrough,
      ...(existsSync(path.join(root, 'package.nls.json')) ? ['package.nls.json'] : []),
    ].sort();
    assert.deepEqual(listed, expected);
  });

  it('has a Marketplace icon (a 128×128 PNG), a banner, categories, keywords and an entry per release in the CHANGELOG', async () => {
    const manifest = JSON.parse(await fs.readFile(path.join(root, 'package.json'), 'utf8'));
    const icon = await zip.file(`extension/${manifest.icon}`)!.async('nodebuffer');
    assert.equal(icon.subarray(1, 4).toString('latin1'), 'PNG');
    assert.deepEqual([icon.readUInt32BE(16), icon.readUInt32BE(20)], [128, 128]);
    assert.match(manifest.galleryBanner.color, /^#[0-9a-f]{6}$/i);
    assert.deepEqual(manifest.categories, ['Machine Learning', 'Data Science']);
    assert.ok(manifest.keywords.includes('ubiops'));
    for (const field of ['repository', 'bugs', 'homepage']) assert.ok(field in manifest, `${field} is ready to fill`);
    const changelog = await zip.file('extension/changelog.md')!.async('string');
    assert.match(
      changelog,
      new RegExp(`^## ${manifest.version.replace(/\./g, '\\.')}\\b`, 'm'),
      'the CHANGELOG has this version',
    );
  });

  it('holds no sources, tests, source maps or node_modules', () => {
    const unwanted = entries.filter(
      (entry) =>
        /^extension\/(src|test|bench|node_modules|\.ci)\//.test(entry) ||
        /\.(map|ts)$/.test(entry) ||
        entry.includes('emulator.js'),
    );
    assert.deepEqual(unwanted, []);
  });

  it('ships the emulator, the packer and the HTTP client as bundles of their own, outside what activation loads', async () => {
    for (const lazy of [
      'extension/dist/emulator-lib.js',
      'extension/dist/archive-lib.js',
      'extension/dist/undici-lib.js',
    ]) {
      assert.ok(entries.includes(lazy), `${lazy} is in the .vsix (has: ${entries.join(', ')})`);
    }
    const bundle = await zip.file('extension/dist/extension.js')!.async('string');
    // What the on-demand bundles hold must not be in extension.js too: the emulator's server, the YAML parser.
    assert.ok(
      ['emulator-lib.js', 'archive-lib.js', 'undici-lib.js'].every((name) => bundle.includes(name)),
      'extension.js loads them by name',
    );
    assert.ok(!bundle.includes('Implicit keys need to be on a single line'), 'the YAML parser is not in extension.js');
    assert.ok(!bundle.includes('Malformed part header'), 'the emulator (busboy) is not in extension.js');
    assert.ok(!bundle.includes('llhttp_alloc'), 'undici (its HTTP parser) is not in extension.js');
  });

  it('loads none of those bundles when VS Code loads extension.js (what activation pays for)', async () => {
    await withTempDir('ubiops-activation-load-', async (dir) => {
      for (const name of ['extension.js', 'emulator-lib.js', 'archive-lib.js', 'undici-lib.js']) {
        await fs.writeFile(path.join(dir, name), await zip.file(`extension/dist/${name}`)!.async('uint8array'));
      }
      // `vscode` is a stub that answers anything; what matters is which files the module's top level requires.
      const load = `
        const Module = require('node:module');
        const stub = new Proxy(function () {}, {
          get: (_target, key) => (key === 'prototype' ? {} : stub),
          apply: () => stub,
          construct: () => ({}),
        });
        const original = Module._load;
        Module._load = function (request, ...rest) {
          return request === 'vscode' ? stub : original.call(this, request, ...rest);
        };
        require(${JSON.stringify(path.join(dir, 'extension.js'))});
        console.log(JSON.stringify(Object.keys(require.cache).map((file) => require('node:path').basename(file))));
      `;
      const { stdout } = await run(process.execPath, ['-e', load]);
      const loaded = JSON.parse(stdout) as string[];
      assert.ok(loaded.includes('extension.js'));
      assert.deepEqual(
        loaded.filter((name) => name.endsWith('-lib.js')),
        [],
        'a top-level use of undici, the packer or the emulator loads its bundle at activation',
      );
    });
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
