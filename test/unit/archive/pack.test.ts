import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import JSZip from 'jszip';
import { listZip } from '../../../src/archive/extract';
import { packFolder, PackError, scanFolder, type PackProgress } from '../../../src/archive/pack';
import { readDependencyFilesFromZip } from '../../../src/archive/zipInspect';

let work: string;

/** Creates `files` under a new folder; a value of `null` makes a folder. */
function tree(files: Record<string, string | Buffer | null>, name = 'env'): string {
  const root = path.join(work, name);
  mkdirSync(root, { recursive: true });
  for (const [relative, content] of Object.entries(files)) {
    const target = path.join(root, relative);
    if (content === null) {
      mkdirSync(target, { recursive: true });
      continue;
    }
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  return root;
}

async function paths(folder: string, options?: Parameters<typeof scanFolder>[1]): Promise<string[]> {
  return (await scanFolder(folder, options)).files.map((f) => f.path);
}

async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp): Promise<PackError> {
  let caught: unknown;
  await promise.catch((error: unknown) => (caught = error));
  assert.ok(caught instanceof PackError, `expected a PackError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (message) assert.match(caught.message, message);
  return caught;
}

/** The temp files a default pack would leave, if it left any. */
function strayTempZips(): string[] {
  return readdirSync(os.tmpdir()).filter((name) => name.startsWith('ubiops-environment-'));
}

beforeEach(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'pack-test-'));
});
afterEach(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('scanFolder: ignore rules', () => {
  const junk = {
    'requirements.txt': 'numpy\n',
    'main.py': 'print(1)\n',
    '.git/HEAD': 'ref\n',
    '.venv/bin/python': 'x',
    'venv/lib/site.py': 'x',
    '__pycache__/main.cpython-312.pyc': 'x',
    'src/__pycache__/a.cpython-312.pyc': 'x',
    'src/a.py': 'a\n',
    'src/stray.pyc': 'x',
    'node_modules/left-pad/index.js': 'x',
    '.DS_Store': 'x',
    'src/.DS_Store': 'x',
    '.ubiops-ignore': '# nothing\n',
  };

  it('leaves out version control, virtual environments, caches and the ignore file by default', async () => {
    const folder = tree(junk);
    const manifest = await scanFolder(folder);
    assert.deepEqual(manifest.files.map((f) => f.path), ['main.py', 'requirements.txt', 'src/a.py']);
    assert.deepEqual(
      manifest.excludedFolders.map((f) => `${f.path} <- ${f.rule}`).sort(),
      ['.git <- default: .git/', '.venv <- default: .venv/', '__pycache__ <- default: __pycache__/', 'node_modules <- default: node_modules/',
        'src/__pycache__ <- default: __pycache__/', 'venv <- default: venv/'],
    );
    // Six folders, plus .DS_Store twice, stray.pyc and .ubiops-ignore.
    assert.equal(manifest.excluded, 10);
    assert.equal(manifest.totalBytes, 'numpy\n'.length + 'print(1)\n'.length + 'a\n'.length);
  });

  it('packs everything when the defaults are switched off', async () => {
    const folder = tree(junk);
    assert.deepEqual(await paths(folder, { defaultExclusions: false }), [
      '.DS_Store', '.git/HEAD', '.ubiops-ignore', '.venv/bin/python', '__pycache__/main.cpython-312.pyc', 'main.py',
      'node_modules/left-pad/index.js', 'requirements.txt', 'src/.DS_Store', 'src/__pycache__/a.cpython-312.pyc', 'src/a.py',
      'src/stray.pyc', 'venv/lib/site.py',
    ]);
  });

  it('applies .ubiops-ignore relative to the root: globs, anchors, folder patterns at any depth, negation', async () => {
    const folder = tree({
      'requirements.txt': 'x\n',
      '.ubiops-ignore': '*.log\n!keep.log\ndata/\n/build\ndocs/*.md\n\n# comment\n',
      'a.log': '', 'keep.log': '', 'sub/b.log': '', 'sub/keep.log': '',
      'data/big.csv': '', 'sub/data/nested.csv': '', 'sub/notdata/x.csv': '',
      'other/data': 'a file named data, not a folder',
      'build/out.o': '', 'sub/build/kept.o': '',
      'docs/readme.md': '', 'docs/deep/guide.md': '', 'readme.md': '',
    });
    const manifest = await scanFolder(folder);
    assert.deepEqual(manifest.files.map((f) => f.path), [
      'docs/deep/guide.md', 'keep.log', 'other/data', 'readme.md', 'requirements.txt', 'sub/build/kept.o', 'sub/keep.log', 'sub/notdata/x.csv',
    ]);
    assert.deepEqual(manifest.excludedFolders, [
      { path: 'build', rule: '.ubiops-ignore:4: /build' },
      { path: 'data', rule: '.ubiops-ignore:3: data/' },
      { path: 'sub/data', rule: '.ubiops-ignore:3: data/' },
    ]);
  });

  it('cannot re-include a file whose folder is excluded (git\'s rule), but can when only the contents are', async () => {
    const folder = tree({
      'requirements.txt': 'x\n',
      '.ubiops-ignore': 'secret/\n!secret/ok.txt\ncache/*\n!cache/keep.txt\n',
      'secret/ok.txt': '', 'secret/key.pem': '', 'cache/keep.txt': '', 'cache/junk.bin': '',
    });
    assert.deepEqual(await paths(folder), ['cache/keep.txt', 'requirements.txt']);
  });

  it('lets the ignore file and extra patterns override the defaults, and extra patterns come last', async () => {
    const folder = tree({ 'requirements.txt': 'x\n', '.ubiops-ignore': '!venv/\n', 'venv/a.py': '', 'notes.txt': '', 'tmp/x': '' });
    assert.deepEqual(await paths(folder), ['notes.txt', 'requirements.txt', 'tmp/x', 'venv/a.py']);
    assert.deepEqual(await paths(folder, { extraPatterns: ['*.txt', '!requirements.txt', 'tmp/'] }), ['requirements.txt', 'venv/a.py']);
  });

  it('reads another ignore file when told, and leaves that one out', async () => {
    const folder = tree({ 'requirements.txt': 'x\n', '.gitignore': '*.csv\n', 'a.csv': '', '.ubiops-ignore': '*.py\n', 'b.py': '' });
    assert.deepEqual(await paths(folder, { ignoreFileName: '.gitignore' }), ['.ubiops-ignore', 'b.py', 'requirements.txt']);
  });
});

describe('scanFolder: links and unreadable files', () => {
  it('follows links that stay inside the folder, reports those that leave it, point nowhere, or loop', async () => {
    const outside = tree({ 'secret.txt': 'do not ship', 'dir/file.txt': 'nor this' }, 'outside');
    const folder = tree({ 'requirements.txt': 'x\n', 'src/a.py': 'a', 'real/inner.txt': 'inner' });
    symlinkSync(path.join(folder, 'src/a.py'), path.join(folder, 'alias.py'));
    symlinkSync('real', path.join(folder, 'linked'));
    symlinkSync(path.join(outside, 'secret.txt'), path.join(folder, 'leak.txt'));
    symlinkSync(path.join(outside, 'dir'), path.join(folder, 'leakdir'));
    symlinkSync('../..', path.join(folder, 'src/up'));
    symlinkSync('..', path.join(folder, 'real/loop'));
    symlinkSync('missing.txt', path.join(folder, 'dangling'));

    const manifest = await scanFolder(folder);
    assert.deepEqual(manifest.files.map((f) => f.path), ['alias.py', 'linked/inner.txt', 'real/inner.txt', 'requirements.txt', 'src/a.py']);
    assert.deepEqual(
      manifest.skippedLinks.map(({ path: p, reason }) => `${p} ${reason}`),
      ['dangling broken', 'leak.txt outside', 'leakdir outside', 'linked/loop loop', 'real/loop loop', 'src/up outside'],
    );
    assert.equal(manifest.skippedLinks.find((l) => l.path === 'leak.txt')?.target, path.join(outside, 'secret.txt'));

    const { zipPath } = await packFolder(folder, { outFile: path.join(work, 'out.zip') });
    const zip = await JSZip.loadAsync(readFileSync(zipPath));
    assert.equal(await zip.file('environment_package/alias.py')?.async('string'), 'a');
    assert.equal(await zip.file('environment_package/linked/inner.txt')?.async('string'), 'inner');
    const all = await Promise.all(Object.values(zip.files).filter((f) => !f.dir).map((f) => f.async('string')));
    assert.ok(!all.some((content) => content.includes('do not ship') || content.includes('nor this')));
  });

  it('reports a file that is not a regular file, and packFolder refuses rather than zip without it', async () => {
    const folder = tree({ 'requirements.txt': 'x\n', 'ok.py': '' });
    execFileSync('mkfifo', [path.join(folder, 'pipe')]);
    const manifest = await scanFolder(folder);
    assert.deepEqual(manifest.files.map((f) => f.path), ['ok.py', 'requirements.txt']);
    assert.equal(manifest.unreadable.length, 1);
    assert.equal(manifest.unreadable[0]!.path, 'pipe');
    assert.match(manifest.unreadable[0]!.reason, /named pipe/);
    await rejectsWith(packFolder(folder, { outFile: path.join(work, 'out.zip') }), 'unreadable', /pipe \(a named pipe.*\.ubiops-ignore/);
    assert.deepEqual(readdirSync(work), ['env']);
    // Leaving it out is the way through.
    await packFolder(folder, { outFile: path.join(work, 'out.zip'), extraPatterns: ['pipe'] });
  });

  it('reports a file without read permission', async function () {
    // Root reads through permission bits, so chmod cannot make a file unreadable here; the FIFO test and the
    // vanishing-file test below cover the same refusal.
    if (process.getuid?.() === 0) this.skip();
    const folder = tree({ 'requirements.txt': 'x\n', 'locked.py': 'x' });
    chmodSync(path.join(folder, 'locked.py'), 0o000);
    const manifest = await scanFolder(folder);
    assert.deepEqual(manifest.unreadable, [{ path: 'locked.py', reason: 'permission denied' }]);
    await rejectsWith(packFolder(folder, { outFile: path.join(work, 'out.zip') }), 'unreadable', /locked\.py/);
  });

  it('fails, leaving no file, when a file vanishes or grows while packing', async () => {
    const files: Record<string, string> = { 'requirements.txt': 'x\n' };
    for (let i = 0; i < 300; i++) files[`f${String(i).padStart(3, '0')}.py`] = `print(${i})\n`;
    const folder = tree(files);
    const outFile = path.join(work, 'out.zip');
    let once = false;
    await rejectsWith(packFolder(folder, {
      outFile,
      onProgress: () => {
        if (!once) unlinkSync(path.join(folder, 'requirements.txt'));
        once = true;
      },
    }), 'unreadable', /requirements\.txt: no such file/);
    assert.deepEqual(readdirSync(work), ['env']);

    writeFileSync(path.join(folder, 'requirements.txt'), 'x\n');
    once = false;
    await rejectsWith(packFolder(folder, {
      outFile,
      onProgress: () => {
        if (!once) appendFileSync(path.join(folder, 'requirements.txt'), 'more\n');
        once = true;
      },
    }), 'changed', /requirements\.txt changed while it was being packed/);
    assert.deepEqual(readdirSync(work), ['env']);
  });
});

describe('packFolder', () => {
  it('writes every file under environment_package/, readable with its CRCs, stored or deflated as fits', async () => {
    const text = Array.from({ length: 60000 }, (_, i) => `line ${i} of some compressible text`).join('\n');
    const noise = randomBytes(1_500_000);
    const folder = tree({
      'requirements.txt': 'numpy==1.26\n',
      'ubiops.yaml': 'apt:\n  packages: [libgomp1]\n',
      'src/model.py': 'def f():\n    return 1\n',
      'src/empty.py': '',
      'données/été.txt': 'ünïcode',
      'big.txt': text,
      'weights.bin': noise,
      'small-noise.bin': randomBytes(300_000),
    });
    chmodSync(path.join(folder, 'src/model.py'), 0o755);
    const { zipPath, zipBytes, manifest } = await packFolder(folder, { outFile: path.join(work, 'out.zip') });
    const data = readFileSync(zipPath);
    assert.equal(data.length, zipBytes);

    const inspected = await readDependencyFilesFromZip(data);
    assert.equal(inspected.root, 'environment_package');
    assert.deepEqual(inspected.files, [
      { name: 'requirements.txt', content: 'numpy==1.26\n' },
      { name: 'ubiops.yaml', content: 'apt:\n  packages: [libgomp1]\n' },
    ]);
    assert.deepEqual([...inspected.entries].sort(), manifest.files.map((f) => `environment_package/${f.path}`).sort());

    const zip = await JSZip.loadAsync(data, { checkCRC32: true });
    assert.equal(await zip.file('environment_package/big.txt')!.async('string'), text);
    assert.ok((await zip.file('environment_package/weights.bin')!.async('nodebuffer')).equals(noise));
    assert.equal(await zip.file('environment_package/données/été.txt')!.async('string'), 'ünïcode');
    assert.equal(await zip.file('environment_package/src/empty.py')!.async('string'), '');
    assert.equal(Number(zip.file('environment_package/src/model.py')!.unixPermissions) & 0o777, 0o755);

    const entries = new Map((await listZip(zipPath)).map((e) => [e.path, e]));
    const big = entries.get('environment_package/big.txt')!;
    assert.ok(big.compressedSize < big.size / 3, 'compressible text is deflated');
    for (const name of ['weights.bin', 'small-noise.bin']) {
      const entry = entries.get(`environment_package/${name}`)!;
      assert.equal(entry.compressedSize, entry.size, `${name} is stored, not deflated for nothing`);
    }
    if (process.platform === 'linux') execFileSync('unzip', ['-tq', zipPath]);
  });

  it('writes what the dry run showed, and the dry run writes nothing', async () => {
    const folder = tree({ 'requirements.txt': 'x\n', 'a.py': 'a', 'b/c.py': 'c', '.git/x': '' });
    const before = strayTempZips();
    const listing = readdirSync(folder, { recursive: true });
    const dry = await scanFolder(folder);
    assert.deepEqual(strayTempZips(), before);
    assert.deepEqual(readdirSync(folder, { recursive: true }), listing);

    const { zipPath, manifest } = await packFolder(folder);
    try {
      assert.equal(path.dirname(zipPath), os.tmpdir());
      assert.deepEqual(manifest, dry);
      const zipped = (await listZip(zipPath)).map((e) => [e.path, e.size]);
      assert.deepEqual(zipped.sort(), dry.files.map((f) => [`environment_package/${f.path}`, f.size]).sort());
    } finally {
      rmSync(zipPath, { force: true });
    }
  });

  it('reports the dependency files and their problems with positions', async () => {
    const folder = tree({ 'requirements.txt': 'numpy\nnot a valid==line\n', 'renv.lock': '{}' });
    const manifest = await scanFolder(folder);
    assert.deepEqual(manifest.dependencyFiles, ['requirements.txt', 'renv.lock']);
    assert.ok(manifest.problems.length > 0);
    assert.ok(manifest.problems.every((p) => p.file === 'requirements.txt' && p.line === 1));
  });

  it('refuses a folder with no dependency file at its root, saying what to do, unless told to go on', async () => {
    const folder = tree({ 'src/requirements.txt': 'x\n', 'main.py': '' });
    await rejectsWith(packFolder(folder), 'no-dependency-file', /no dependency file at its root \(`requirements\.txt`, .*Add one/);
    const { zipPath } = await packFolder(folder, { allowNoDependencyFile: true });
    rmSync(zipPath);

    const ignored = tree({ 'requirements.txt': 'x\n', '.ubiops-ignore': '*.txt\n' }, 'ignored');
    await rejectsWith(packFolder(ignored), 'no-dependency-file', /`requirements\.txt` is there but left out by rule `\.ubiops-ignore:1: \*\.txt`/);
  });

  it('refuses more than maxBytes, naming the largest files', async () => {
    const folder = tree({ 'requirements.txt': 'x\n', 'data/huge.bin': Buffer.alloc(5000), 'small.py': 'x' });
    const before = strayTempZips();
    await rejectsWith(packFolder(folder, { maxBytes: 4096 }), 'too-large', /over the 4\.0 KB limit\. Largest: data\/huge\.bin \(4\.9 KB\)/);
    assert.deepEqual(strayTempZips(), before);
    assert.equal((await scanFolder(folder, { maxBytes: 4096 })).totalBytes, 5000 + 2 + 1);
  });

  it('refuses a path that is not a folder', async () => {
    const folder = tree({ 'requirements.txt': 'x\n' });
    await rejectsWith(scanFolder(path.join(folder, 'requirements.txt')), 'not-a-folder', /is not a folder/);
    await rejectsWith(packFolder(path.join(folder, 'missing')), 'not-a-folder');
  });

  it('stops when cancelled and leaves no file behind', async () => {
    const files: Record<string, string | Buffer> = { 'requirements.txt': 'x\n', 'big.bin': randomBytes(3 << 20) };
    for (let i = 0; i < 200; i++) files[`m${i}.py`] = `x = ${i}\n`.repeat(50);
    const folder = tree(files);
    const controller = new AbortController();
    const before = strayTempZips();
    let reports = 0;
    await rejectsWith(packFolder(folder, {
      signal: controller.signal,
      onProgress: () => {
        reports++;
        controller.abort();
      },
    }), 'cancelled', /cancelled/);
    assert.equal(reports, 1);
    assert.deepEqual(strayTempZips(), before);

    await rejectsWith(packFolder(folder, { outFile: path.join(work, 'out.zip'), signal: AbortSignal.abort() }), 'cancelled');
    assert.deepEqual(readdirSync(work), ['env']);
  });

  it('reports progress in files and bytes up to the totals', async () => {
    const files: Record<string, string | Buffer> = { 'requirements.txt': 'x\n', 'big.bin': randomBytes(2 << 20) };
    for (let i = 0; i < 50; i++) files[`m${i}.py`] = 'x\n'.repeat(i);
    const folder = tree(files);
    const seen: PackProgress[] = [];
    const { manifest } = await packFolder(folder, { outFile: path.join(work, 'out.zip'), onProgress: (p) => seen.push(p) });
    const last = seen[seen.length - 1]!;
    assert.deepEqual(last, { files: 52, totalFiles: 52, bytes: manifest.totalBytes, totalBytes: manifest.totalBytes });
    for (let i = 1; i < seen.length; i++) {
      assert.ok(seen[i]!.files > seen[i - 1]!.files && seen[i]!.bytes >= seen[i - 1]!.bytes);
    }
  });
});
