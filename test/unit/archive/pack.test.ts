import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ignore from 'ignore';
import JSZip from 'jszip';
import { listZip } from '../../../src/archive/extract';
import { IgnoreRules } from '../../../src/archive/ignoreRules';
import { DEFAULT_MAX_FILES, packFolder, PackError, scanFolder, type PackProgress } from '../../../src/archive/pack';
import { readDependencyFilesFromZip } from '../../../src/archive/zipInspect';
import cliFileLists from './cliFileLists.json';
import { useTempDir } from '../../helpers/tempDir';
import { rejectsWithCode } from './rejects';

const workDir = useTempDir('pack-test-', 'each');

/** Creates `files` under a new folder; a value of `null` makes a folder. */
function tree(files: Record<string, string | Buffer | null>, name = 'env'): string {
  const root = path.join(workDir.path, name);
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

/** A folder with requirements.txt, a `.ubiops-ignore` of `rules`, and an empty file at each of `names`. */
function ignoring(rules: string, ...names: string[]): string {
  return tree({
    'requirements.txt': 'x\n',
    '.ubiops-ignore': rules,
    ...Object.fromEntries(names.map((name) => [name, ''])),
  });
}

async function paths(folder: string, options?: Parameters<typeof scanFolder>[1]): Promise<string[]> {
  return (await scanFolder(folder, options)).files.map((f) => f.path);
}

function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp): Promise<PackError> {
  return rejectsWithCode(PackError, promise, code, message);
}

/** The temp files a default pack would leave, if it left any. */
function strayTempZips(): string[] {
  return readdirSync(os.tmpdir()).filter((name) => name.startsWith('ubiops-environment-'));
}

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
    assert.deepEqual(
      manifest.files.map((f) => f.path),
      ['main.py', 'requirements.txt', 'src/a.py'],
    );
    assert.deepEqual(manifest.excludedFolders.map((f) => `${f.path} <- ${f.rule}`).sort(), [
      '.git <- default: .git/',
      '.venv <- default: .venv/',
      '__pycache__ <- default: __pycache__/',
      'node_modules <- default: node_modules/',
      'src/__pycache__ <- default: __pycache__/',
      'venv <- default: venv/',
    ]);
    // Six folders, plus .DS_Store twice, stray.pyc and .ubiops-ignore.
    assert.equal(manifest.excluded, 10);
    assert.equal(manifest.totalBytes, 'numpy\n'.length + 'print(1)\n'.length + 'a\n'.length);
  });

  it('packs everything when the defaults are switched off', async () => {
    const folder = tree(junk);
    assert.deepEqual(await paths(folder, { defaultExclusions: false }), [
      '.DS_Store',
      '.git/HEAD',
      '.ubiops-ignore',
      '.venv/bin/python',
      '__pycache__/main.cpython-312.pyc',
      'main.py',
      'node_modules/left-pad/index.js',
      'requirements.txt',
      'src/.DS_Store',
      'src/__pycache__/a.cpython-312.pyc',
      'src/a.py',
      'src/stray.pyc',
      'venv/lib/site.py',
    ]);
  });

  // The same folder and `.ubiops-ignore` as UbiOps' CLI (2.28, `ubiops environments deploy`) packs: every file's path
  // is tested against every rule and the last rule that matches decides; the rules' syntax is gitignore's. The
  // default exclusions are off here, since the CLI has none: each row is exactly the CLI's file list.
  // The rows are data (./cliFileLists.json): a folder's files, its `.ubiops-ignore`, and what the CLI packs of them.
  const table = cliFileLists as { name: string; ignore: string; files: string[]; packed: string[] }[];
  for (const row of table) {
    it(`the CLI's file list: ${row.name}`, async () => {
      const files: Record<string, string> = { '.ubiops-ignore': row.ignore };
      for (const file of row.files) files[file] = file === 'requirements.txt' ? 'numpy\n' : `${file}\n`;
      const folder = tree(files);
      assert.deepEqual(await paths(folder, { defaultExclusions: false }), row.packed);
      // The zip holds exactly those, under environment_package/.
      const { zipPath } = await packFolder(folder, {
        defaultExclusions: false,
        outFile: path.join(workDir.path, 'out.zip'),
      });
      assert.deepEqual(
        (await listZip(zipPath)).map((entry) => entry.path).sort(),
        row.packed.map((p) => `environment_package/${p}`).sort(),
      );
    });
  }

  it("matches case-sensitively whatever the platform says (git folds case on macOS and Windows; UbiOps' CLI does not)", async () => {
    const folder = ignoring('*.TXT\nData/\n', 'notes.txt', 'data/a', 'Data/b');
    const real = Object.getOwnPropertyDescriptor(process, 'platform')!;
    for (const platform of ['darwin', 'win32']) {
      Object.defineProperty(process, 'platform', { ...real, value: platform });
      try {
        assert.deepEqual(await paths(folder), ['data/a', 'notes.txt', 'requirements.txt'], platform);
      } finally {
        Object.defineProperty(process, 'platform', real);
      }
    }
  });

  it('matches each rule alone as the ignore package does for one path: the rule, or a folder above it', () => {
    const patterns = [
      'data/',
      'data',
      '/data',
      '*.txt',
      'a/*.txt',
      'a/**/b',
      '**/b',
      'b/**',
      '\\#x',
      '\\!x',
      'x\\ ',
      'x  ',
      '[a-c]?',
      'sub/d*/',
      '**',
      '*',
    ];
    const candidates = [
      'data',
      'data/x',
      'x/data',
      'x/data/y',
      'a.txt',
      'a/b.txt',
      'a/c/b.txt',
      'a/b',
      'a/x/y/b',
      'b/q',
      'q/b/r',
      '#x',
      '!x',
      'x ',
      'x',
      'ab',
      'sub/dd/e',
      'sub/dd',
    ];
    for (const pattern of patterns) {
      for (const negated of [false, true]) {
        const rules = new IgnoreRules([{ pattern: negated ? `!${pattern}` : pattern, source: 't' }]);
        for (const candidate of candidates) {
          const expected = ignore({ ignorecase: false }).add(pattern).ignores(candidate);
          const match = rules.match(candidate);
          assert.equal(match !== undefined, expected, `${negated ? '!' : ''}${pattern} on ${candidate}`);
          if (match) assert.equal(match.excluded, !negated);
        }
      }
    }
  });

  it('lets the ignore file and extra patterns override the defaults, and extra patterns come last', async () => {
    const folder = ignoring('!venv/\n', 'venv/a.py', 'notes.txt', 'tmp/x');
    assert.deepEqual(await paths(folder), ['notes.txt', 'requirements.txt', 'tmp/x', 'venv/a.py']);
    assert.deepEqual(await paths(folder, { extraPatterns: ['*.txt', '!requirements.txt', 'tmp/'] }), [
      'requirements.txt',
      'venv/a.py',
    ]);
  });

  it('reads another ignore file when told, and leaves that one out', async () => {
    const folder = ignoring('*.py\n', 'a.csv', 'b.py');
    writeFileSync(path.join(folder, '.gitignore'), '*.csv\n');
    assert.deepEqual(await paths(folder, { ignoreFileName: '.gitignore' }), [
      '.ubiops-ignore',
      'b.py',
      'requirements.txt',
    ]);
  });

  it('reads a folder left out only when a later negation could bring something in it back', async () => {
    const folder = ignoring('big/\ndata/\n!data/*.json\n', 'big/a', 'data/a.csv', 'data/b.json');
    chmodSync(path.join(folder, 'big'), 0o000);
    try {
      // `big/` is never read (as root could, the permission cannot show it); `data/` is, for the negation.
      const manifest = await scanFolder(folder, { maxFiles: 6 });
      assert.deepEqual(
        manifest.files.map((f) => f.path),
        ['data/b.json', 'requirements.txt'],
      );
      assert.deepEqual(manifest.unreadable, []);
      assert.deepEqual(manifest.excludedFolders, [
        { path: 'big', rule: '.ubiops-ignore:1: big/' },
        { path: 'data', rule: '.ubiops-ignore:2: data/' },
      ]);
    } finally {
      chmodSync(path.join(folder, 'big'), 0o755);
    }
  });
});

describe('scanFolder: the ignore file itself', () => {
  it('refuses an ignore file that is a link, at once, without reading through it', async () => {
    const folder = tree({ 'requirements.txt': 'x\n' });
    symlinkSync('/dev/urandom', path.join(folder, '.ubiops-ignore'));
    await rejectsWith(
      scanFolder(folder),
      'unreadable',
      /\.ubiops-ignore is a symbolic link, which is not followed\. Make it a regular file of at most 1\.0 MB/,
    );
  });

  it('refuses an ignore file that is a FIFO rather than waiting on it for ever', async () => {
    const folder = tree({ 'requirements.txt': 'x\n' });
    execFileSync('mkfifo', [path.join(folder, '.ubiops-ignore')]);
    await rejectsWith(scanFolder(folder), 'unreadable', /\.ubiops-ignore is a named pipe \(FIFO\), not a regular file/);
  });

  it('refuses an ignore file over 1 MiB, and reads one of 1 MiB', async () => {
    const folder = tree({ 'requirements.txt': 'x\n', 'a.csv': '' });
    writeFileSync(path.join(folder, '.ubiops-ignore'), `*.csv\n${'#'.repeat((1 << 20) - 6)}`);
    assert.deepEqual(await paths(folder, { defaultExclusions: false }), ['.ubiops-ignore', 'requirements.txt']);
    appendFileSync(path.join(folder, '.ubiops-ignore'), '#');
    await rejectsWith(scanFolder(folder), 'unreadable', /\.ubiops-ignore is 1\.0 MB, too large for an ignore file/);
  });
});

describe('scanFolder: links, dependency files, bounds', () => {
  it("packs a link to a file with its target's content, wherever it lies, and says so; never descends a link to a folder", async () => {
    const common = tree({ 'requirements.txt': 'pandas==2.2\n', 'lib/helper.py': 'h' }, 'common');
    const folder = tree({ 'real/inner.txt': 'inner', 'src/a.py': 'a' });
    symlinkSync('../common/requirements.txt', path.join(folder, 'requirements.txt'));
    symlinkSync(path.join(folder, 'src/a.py'), path.join(folder, 'alias.py'));
    symlinkSync('real', path.join(folder, 'linked'));
    symlinkSync(path.join(common, 'lib'), path.join(folder, 'lib'));
    symlinkSync('..', path.join(folder, 'real/loop'));
    symlinkSync('missing.txt', path.join(folder, 'dangling'));

    const manifest = await scanFolder(folder);
    assert.deepEqual(
      manifest.files,
      [
        { path: 'alias.py', size: 1 },
        { path: 'real/inner.txt', size: 5 },
        { path: 'requirements.txt', size: 12 },
        { path: 'src/a.py', size: 1 },
      ].map((file) => ({ ...manifest.files.find((f) => f.path === file.path), ...file })),
    );
    assert.deepEqual(
      manifest.files.map((f) => f.path),
      ['alias.py', 'real/inner.txt', 'requirements.txt', 'src/a.py'],
    );
    assert.deepEqual(manifest.dependencyFiles, ['requirements.txt']);
    assert.deepEqual(manifest.linkedFromOutside, [{ path: 'requirements.txt', target: '../common/requirements.txt' }]);
    assert.deepEqual(
      manifest.skippedLinks.map(({ path: p, reason }) => `${p} ${reason}`),
      ['dangling broken', 'lib folder', 'linked folder', 'real/loop folder'],
    );
    assert.deepEqual(manifest.leftOutDependencyFiles, []);

    const { zipPath } = await packFolder(folder, { outFile: path.join(workDir.path, 'out.zip') });
    const zip = await JSZip.loadAsync(readFileSync(zipPath));
    assert.equal(await zip.file('environment_package/requirements.txt')?.async('string'), 'pandas==2.2\n');
    assert.equal(await zip.file('environment_package/alias.py')?.async('string'), 'a');
    assert.deepEqual(
      Object.keys(zip.files)
        .filter((name) => !zip.files[name].dir)
        .sort(),
      [
        'environment_package/alias.py',
        'environment_package/real/inner.txt',
        'environment_package/requirements.txt',
        'environment_package/src/a.py',
      ],
    );
  });

  it('never leaves a dependency file out silently: a rule, a link or an unreadable file is reported with its reason', async () => {
    const folder = tree({
      'ubiops.yaml': 'environment_variables: []\n',
      'requirements.txt': 'x\n',
      '.ubiops-ignore': '*.txt\n',
      'elsewhere/': null,
    });
    symlinkSync('nowhere.R', path.join(folder, 'install_packages.R'));
    symlinkSync('elsewhere', path.join(folder, 'renv.lock'));
    execFileSync('mkfifo', [path.join(folder, 'environment.yaml')]);
    const manifest = await scanFolder(folder);
    assert.deepEqual(manifest.dependencyFiles, ['ubiops.yaml']);
    assert.deepEqual(manifest.leftOutDependencyFiles, [
      { name: 'environment.yaml', reason: 'a named pipe (FIFO), not a regular file; remove it or leave it out' },
      { name: 'install_packages.R', reason: 'a symbolic link to nowhere.R, which does not exist' },
      { name: 'renv.lock', reason: 'a symbolic link to the folder elsewhere' },
      { name: 'requirements.txt', reason: 'left out by the rule `.ubiops-ignore:1: *.txt`' },
    ]);
    // A dependency file deeper down is not one UbiOps reads, and is not reported.
    const nested = tree({ 'requirements.txt': 'x\n', '.ubiops-ignore': 'sub/\n', 'sub/ubiops.yaml': '' }, 'nested');
    assert.deepEqual((await scanFolder(nested)).leftOutDependencyFiles, []);
    // With none left, the refusal gives the reason.
    const none = tree({ 'requirements.txt': 'x\n', '.ubiops-ignore': '*.txt\n' }, 'none');
    await rejectsWith(
      packFolder(none),
      'no-dependency-file',
      /`requirements\.txt` is there but left out by the rule `\.ubiops-ignore:1: \*\.txt`/,
    );
  });

  it('reads each real folder once, however links to folders are arranged', async () => {
    // Each level links twice to the one below: followed, 24 levels would be 2^24 walks.
    const levels = 24;
    const folder = tree({ 'requirements.txt': 'x\n' });
    for (let i = 0; i < levels; i++) {
      mkdirSync(path.join(folder, `l${i}`));
      writeFileSync(path.join(folder, `l${i}`, 'file.txt'), `${i}`);
      if (i + 1 < levels) {
        symlinkSync(`../l${i + 1}`, path.join(folder, `l${i}`, 'a'));
        symlinkSync(`../l${i + 1}`, path.join(folder, `l${i}`, 'b'));
      }
    }
    const started = performance.now();
    const manifest = await scanFolder(folder);
    assert.ok(performance.now() - started < 15_000);
    assert.equal(manifest.files.length, levels + 1);
    assert.equal(manifest.skippedLinks.length, 2 * (levels - 1));
    assert.ok(manifest.skippedLinks.every((link) => link.reason === 'folder'));
  });

  it('stops at the bound on files, saying what to do; folders left out whole do not count', async () => {
    const files: Record<string, string> = { 'requirements.txt': 'x\n' };
    for (let i = 0; i < 30; i++) files[`node_modules/m${i}.js`] = '';
    for (let i = 0; i < 8; i++) files[`src/f${i}.py`] = '';
    const folder = tree(files);
    // requirements.txt, node_modules, src and its 8 files: 11.
    assert.equal((await scanFolder(folder, { maxFiles: 11 })).files.length, 9);
    await rejectsWith(
      scanFolder(folder, { maxFiles: 10 }),
      'too-many-files',
      /holds more than 10 files and folders .*Leave data and build output out with \.ubiops-ignore/,
    );
    await rejectsWith(scanFolder(folder, { maxFiles: 11, defaultExclusions: false }), 'too-many-files');
    assert.equal(DEFAULT_MAX_FILES, 100_000);
  });

  it('can be cancelled while it walks', async () => {
    const files: Record<string, string> = { 'requirements.txt': 'x\n' };
    for (let i = 0; i < 300; i++) files[`d${i}/f.txt`] = '';
    const folder = tree(files);
    const controller = new AbortController();
    const scanning = scanFolder(folder, { signal: controller.signal });
    setImmediate(() => controller.abort());
    await rejectsWith(scanning, 'cancelled');
  });

  it('counts and names what the default exclusions leave out', async () => {
    const folder = ignoring(
      'data/\n',
      '.git/HEAD',
      '.git/objects/ab',
      'venv/lib/a.py',
      'src/__pycache__/a.pyc',
      'stray.pyc',
      'data/a.csv',
    );
    const manifest = await scanFolder(folder);
    assert.deepEqual(
      manifest.files.map((f) => f.path),
      ['requirements.txt'],
    );
    // .git, venv, src/__pycache__, stray.pyc, .ubiops-ignore by default; data by the ignore file.
    assert.equal(manifest.excluded, 6);
    assert.equal(manifest.excludedByDefault, 5);
    assert.deepEqual(manifest.excludedFolders.map((f) => f.path).sort(), ['.git', 'data', 'src/__pycache__', 'venv']);
  });
});

describe('packFolder: what is packed is what was scanned', () => {
  function setUp() {
    const outside = tree({ 'sub/a.py': 'OUTSIDE', 'a.py': 'OUTSIDE', 'req.txt': 'OUTSIDE' }, 'outside');
    const folder = tree({ 'requirements.txt': 'x\n', 'sub/a.py': 'inside', 'a.py': 'inside', 'common.txt': 'numpy\n' });
    symlinkSync('common.txt', path.join(folder, 'linked.txt'));
    return { outside, folder, out: path.join(workDir.path, 'out.zip') };
  }

  it('packs a scanned manifest as it is, and refuses a folder swapped for a link since', async () => {
    const { outside, folder, out } = setUp();
    const scanned = await scanFolder(folder);
    renameSync(path.join(folder, 'sub'), path.join(workDir.path, 'sub-moved'));
    symlinkSync(path.join(outside, 'sub'), path.join(folder, 'sub'));
    await rejectsWith(
      packFolder(folder, { scanned, outFile: out }),
      'changed',
      /sub\/a\.py changed while it was being packed/,
    );
    assert.ok(!existsSync(out));
    // Scanned afresh, the link is not followed.
    const { zipPath } = await packFolder(folder, { outFile: out });
    assert.ok(!(await listZip(zipPath)).some((entry) => entry.path.includes('sub/')));
  });

  it('refuses a file swapped for a link, and a link whose target changed', async () => {
    const { outside, folder, out } = setUp();
    const scanned = await scanFolder(folder);
    unlinkSync(path.join(folder, 'a.py'));
    symlinkSync(path.join(outside, 'a.py'), path.join(folder, 'a.py'));
    await rejectsWith(packFolder(folder, { scanned, outFile: out }), 'changed', /a\.py changed/);

    const again = tree({ 'requirements.txt': 'x\n', 'common.txt': 'numpy\n', 'other.txt': 'OTHER' }, 'again');
    symlinkSync('common.txt', path.join(again, 'linked.txt'));
    const linked = await scanFolder(again);
    unlinkSync(path.join(again, 'linked.txt'));
    symlinkSync(path.join(outside, 'req.txt'), path.join(again, 'linked.txt'));
    await rejectsWith(packFolder(again, { scanned: linked, outFile: out }), 'changed', /linked\.txt changed/);
    assert.ok(!existsSync(out));
  });
});

describe('scanFolder: unreadable files', () => {
  it('reports a file that is not a regular file, and packFolder refuses rather than zip without it', async () => {
    const folder = tree({ 'requirements.txt': 'x\n', 'ok.py': '' });
    execFileSync('mkfifo', [path.join(folder, 'pipe')]);
    const manifest = await scanFolder(folder);
    assert.deepEqual(
      manifest.files.map((f) => f.path),
      ['ok.py', 'requirements.txt'],
    );
    assert.equal(manifest.unreadable.length, 1);
    assert.equal(manifest.unreadable[0].path, 'pipe');
    assert.match(manifest.unreadable[0].reason, /named pipe/);
    await rejectsWith(
      packFolder(folder, { outFile: path.join(workDir.path, 'out.zip') }),
      'unreadable',
      /pipe \(a named pipe.*\.ubiops-ignore/,
    );
    assert.deepEqual(readdirSync(workDir.path), ['env']);
    // Leaving it out is the way through.
    await packFolder(folder, { outFile: path.join(workDir.path, 'out.zip'), extraPatterns: ['pipe'] });
  });

  it('reports a file without read permission', async function () {
    // Root reads through permission bits, so chmod cannot make a file unreadable here; the FIFO test and the
    // vanishing-file test below cover the same refusal.
    if (process.getuid?.() === 0) this.skip();
    const folder = tree({ 'requirements.txt': 'x\n', 'locked.py': 'x' });
    chmodSync(path.join(folder, 'locked.py'), 0o000);
    const manifest = await scanFolder(folder);
    assert.deepEqual(manifest.unreadable, [{ path: 'locked.py', reason: 'permission denied' }]);
    await rejectsWith(packFolder(folder, { outFile: path.join(workDir.path, 'out.zip') }), 'unreadable', /locked\.py/);
  });

  it('fails, leaving no file, when a file vanishes or grows while packing', async () => {
    const files: Record<string, string> = { 'requirements.txt': 'x\n' };
    for (let i = 0; i < 300; i++) files[`f${String(i).padStart(3, '0')}.py`] = `print(${i})\n`;
    const folder = tree(files);
    const outFile = path.join(workDir.path, 'out.zip');
    let once = false;
    await rejectsWith(
      packFolder(folder, {
        outFile,
        onProgress: () => {
          if (!once) unlinkSync(path.join(folder, 'requirements.txt'));
          once = true;
        },
      }),
      'unreadable',
      /requirements\.txt: no such file/,
    );
    assert.deepEqual(readdirSync(workDir.path), ['env']);

    writeFileSync(path.join(folder, 'requirements.txt'), 'x\n');
    once = false;
    await rejectsWith(
      packFolder(folder, {
        outFile,
        onProgress: () => {
          if (!once) appendFileSync(path.join(folder, 'requirements.txt'), 'more\n');
          once = true;
        },
      }),
      'changed',
      /requirements\.txt changed while it was being packed/,
    );
    assert.deepEqual(readdirSync(workDir.path), ['env']);
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
    const { zipPath, zipBytes, manifest } = await packFolder(folder, { outFile: path.join(workDir.path, 'out.zip') });
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
    await rejectsWith(
      packFolder(folder),
      'no-dependency-file',
      /no dependency file at its root \(`requirements\.txt`, .*Add one/,
    );
    const { zipPath } = await packFolder(folder, { allowNoDependencyFile: true });
    rmSync(zipPath);
  });

  it('refuses more than maxBytes, naming the largest files', async () => {
    const folder = tree({ 'requirements.txt': 'x\n', 'data/huge.bin': Buffer.alloc(5000), 'small.py': 'x' });
    const before = strayTempZips();
    await rejectsWith(
      packFolder(folder, { maxBytes: 4096 }),
      'too-large',
      /over the 4\.0 KB limit\. Largest: data\/huge\.bin \(4\.9 KB\)/,
    );
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
    await rejectsWith(
      packFolder(folder, {
        signal: controller.signal,
        onProgress: () => {
          reports++;
          controller.abort();
        },
      }),
      'cancelled',
      /cancelled/,
    );
    assert.equal(reports, 1);
    assert.deepEqual(strayTempZips(), before);

    await rejectsWith(
      packFolder(folder, { outFile: path.join(workDir.path, 'out.zip'), signal: AbortSignal.abort() }),
      'cancelled',
    );
    assert.deepEqual(readdirSync(workDir.path), ['env']);
  });

  it('reports progress in files and bytes up to the totals', async () => {
    const files: Record<string, string | Buffer> = { 'requirements.txt': 'x\n', 'big.bin': randomBytes(2 << 20) };
    for (let i = 0; i < 50; i++) files[`m${i}.py`] = 'x\n'.repeat(i);
    const folder = tree(files);
    const seen: PackProgress[] = [];
    const { manifest } = await packFolder(folder, {
      outFile: path.join(workDir.path, 'out.zip'),
      onProgress: (p) => seen.push(p),
    });
    const last = seen[seen.length - 1];
    assert.deepEqual(last, { files: 52, totalFiles: 52, bytes: manifest.totalBytes, totalBytes: manifest.totalBytes });
    for (let i = 1; i < seen.length; i++) {
      assert.ok(seen[i].files > seen[i - 1].files && seen[i].bytes >= seen[i - 1].bytes);
    }
  });
});
