import assert from 'node:assert/strict';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { ExtractError, extractZip, listZip } from '../../../src/archive/extract';
import { packFolder } from '../../../src/archive/pack';
import { rawZip, type RawZipEntry } from './rawZip';
import { useTempDir } from '../../helpers/tempDir';
import { zipOf } from '../../helpers/zip';
import { rejectsWithCode } from './rejects';

const workDir = useTempDir('extract-test-', 'each');
let dest: string;

function zipFile(entries: RawZipEntry[] | Buffer, name = 'in.zip'): string {
  const file = path.join(workDir.path, name);
  writeFileSync(file, Buffer.isBuffer(entries) ? entries : rawZip(entries));
  return file;
}

function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp): Promise<ExtractError> {
  return rejectsWithCode(ExtractError, promise, code, message);
}

/** Everything under `folder`, dot files and links included. */
function contents(folder: string): string[] {
  return existsSync(folder) ? (readdirSync(folder, { recursive: true }) as string[]).sort() : [];
}

beforeEach(() => {
  dest = path.join(workDir.path, 'dest');
  mkdirSync(dest);
});

describe('listZip', () => {
  it('lists entries with sizes from the central directory', async () => {
    const file = zipFile([
      { name: 'environment_package/' },
      { name: 'environment_package/requirements.txt', data: Buffer.from('numpy\n') },
      { name: 'environment_package/big.txt', data: Buffer.from('a'.repeat(10000)), deflate: true },
    ]);
    const entries = await listZip(file);
    assert.deepEqual(
      entries.map(({ path: p, size, isDirectory }) => [p, size, isDirectory]),
      [
        ['environment_package/', 0, true],
        ['environment_package/requirements.txt', 6, false],
        ['environment_package/big.txt', 10000, false],
      ],
    );
    assert.ok(entries[2].compressedSize < 100);
  });

  it('says when a file is not a zip', async () => {
    const file = path.join(workDir.path, 'not.zip');
    writeFileSync(file, 'hello, this is text');
    await rejectsWith(listZip(file), 'not-a-zip', /not a readable zip file/);
  });
});

describe('extractZip', () => {
  it('extracts a packed folder back, without the top folder when asked, keeping the executable bit', async () => {
    const source = path.join(workDir.path, 'src');
    mkdirSync(path.join(source, 'pkg/deep'), { recursive: true });
    writeFileSync(path.join(source, 'requirements.txt'), 'numpy\n');
    writeFileSync(path.join(source, 'pkg/deep/data.txt'), 'x'.repeat(3 << 20));
    writeFileSync(path.join(source, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    const { zipPath } = await packFolder(source, { outFile: path.join(workDir.path, 'packed.zip') });

    const result = await extractZip(zipPath, dest, { stripTopFolder: true });
    assert.deepEqual(result.written.sort(), ['pkg/deep/data.txt', 'requirements.txt', 'run.sh']);
    assert.deepEqual(result.skipped, []);
    assert.equal(readFileSync(path.join(dest, 'pkg/deep/data.txt'), 'utf8'), 'x'.repeat(3 << 20));
    assert.ok(statSync(path.join(dest, 'run.sh')).mode & 0o100);
    assert.deepEqual(contents(dest), ['pkg', 'pkg/deep', 'pkg/deep/data.txt', 'requirements.txt', 'run.sh']);

    const kept = path.join(workDir.path, 'kept');
    await extractZip(zipPath, kept);
    assert.ok(existsSync(path.join(kept, 'environment_package/requirements.txt')));
  });

  it('reads zips written by jszip', async () => {
    const file = zipFile(
      await zipOf({ 'requirements.txt': 'torch\n', 'src/a.py': 'print(1)\n'.repeat(1000) }, 'model'),
    );
    await extractZip(file, dest, { stripTopFolder: true });
    assert.equal(readFileSync(path.join(dest, 'src/a.py'), 'utf8'), 'print(1)\n'.repeat(1000));
  });

  const escapes: [string, string][] = [
    ['../evil.txt', 'climbs out'],
    ['a/../../evil.txt', 'climbs out'],
    ['/tmp/evil.txt', 'absolute'],
    ['C:/evil.txt', 'drive letter'],
    ['C:evil.txt', 'drive letter'],
    ['..\\evil.txt', 'climbs out'],
    ['a\\..\\..\\evil.txt', 'climbs out'],
    ['\\evil.txt', 'absolute'],
    ['\\\\server\\share\\evil.txt', 'absolute'],
  ];
  for (const [name, reason] of escapes) {
    it(`refuses the whole zip for an entry named ${JSON.stringify(name)}`, async () => {
      const file = zipFile([
        { name: 'fine.txt', data: Buffer.from('ok') },
        { name, data: Buffer.from('pwned') },
      ]);
      await rejectsWith(extractZip(file, dest), 'unsafe-entry', new RegExp(reason));
      assert.deepEqual(contents(dest), []);
      assert.deepEqual(readdirSync(workDir.path).sort(), ['dest', 'in.zip']);
    });
  }

  it('refuses symbolic link entries', async () => {
    const file = zipFile([
      { name: 'passwd', data: Buffer.from('/etc/passwd'), mode: 0o120777 },
      { name: 'passwd2', data: Buffer.from('x') },
    ]);
    await rejectsWith(extractZip(file, dest), 'unsafe-entry', /`passwd` is a symbolic link/);
    assert.deepEqual(contents(dest), []);
  });

  it('refuses to write through a symbolic link already in the destination', async () => {
    const outside = path.join(workDir.path, 'outside');
    mkdirSync(outside);
    writeFileSync(path.join(outside, 'victim.txt'), 'original');
    symlinkSync(outside, path.join(dest, 'link'));
    symlinkSync(path.join(outside, 'victim.txt'), path.join(dest, 'victim.txt'));

    await rejectsWith(
      extractZip(zipFile([{ name: 'link/new.txt', data: Buffer.from('pwned') }]), dest),
      'unsafe-entry',
      /`link` in the destination is a symbolic link/,
    );
    assert.ok(!existsSync(path.join(outside, 'new.txt')));

    const overwrite = { onConflict: async () => 'overwrite' as const };
    await rejectsWith(
      extractZip(zipFile([{ name: 'victim.txt', data: Buffer.from('pwned') }]), dest, overwrite),
      'unsafe-entry',
      /victim\.txt/,
    );
    assert.equal(readFileSync(path.join(outside, 'victim.txt'), 'utf8'), 'original');
    assert.ok(lstatSync(path.join(dest, 'victim.txt')).isSymbolicLink());
  });

  it('refuses a zip that lists the same file twice', async () => {
    const file = zipFile([
      { name: 'a.txt', data: Buffer.from('1') },
      { name: './a.txt', data: Buffer.from('2') },
    ]);
    await rejectsWith(extractZip(file, dest), 'unsafe-entry', /more than once/);
  });

  describe('existing files', () => {
    const entries = [
      { name: 'top/a.txt', data: Buffer.from('new a') },
      { name: 'top/b.txt', data: Buffer.from('new b') },
    ];
    beforeEach(() => writeFileSync(path.join(dest, 'a.txt'), 'old a'));

    it('skips and reports them by default', async () => {
      const result = await extractZip(zipFile(entries), dest, { stripTopFolder: true });
      assert.deepEqual(result, { written: ['b.txt'], skipped: ['a.txt'] });
      assert.equal(readFileSync(path.join(dest, 'a.txt'), 'utf8'), 'old a');
    });

    it('overwrites or skips as onConflict answers, asking with the path under the destination', async () => {
      const asked: string[] = [];
      const result = await extractZip(zipFile(entries), dest, {
        stripTopFolder: true,
        onConflict: async (relative) => {
          asked.push(relative);
          return 'overwrite';
        },
      });
      assert.deepEqual(asked, ['a.txt']);
      assert.deepEqual(result, { written: ['a.txt', 'b.txt'], skipped: [] });
      assert.equal(readFileSync(path.join(dest, 'a.txt'), 'utf8'), 'new a');
    });

    it('writes nothing when onConflict cancels', async () => {
      await rejectsWith(
        extractZip(zipFile(entries), dest, { stripTopFolder: true, onConflict: async () => 'cancel' }),
        'cancelled',
      );
      assert.deepEqual(contents(dest), ['a.txt']);
      assert.equal(readFileSync(path.join(dest, 'a.txt'), 'utf8'), 'old a');
    });
  });

  describe('zip bombs and damage', () => {
    it('refuses a zip that declares more than maxTotalBytes', async () => {
      const file = zipFile([
        { name: 'a.bin', data: Buffer.alloc(3000) },
        { name: 'b.bin', data: Buffer.alloc(3000) },
      ]);
      await rejectsWith(
        extractZip(file, dest, { maxTotalBytes: 5000 }),
        'too-large',
        /6000 bytes, over the 5000-byte limit/,
      );
      assert.deepEqual(contents(dest), []);
      await extractZip(file, dest, { maxTotalBytes: 6000 });
    });

    it('refuses an entry that inflates by more than maxRatio', async () => {
      const file = zipFile([{ name: 'zeros.bin', data: Buffer.alloc(20 << 20), deflate: true }]);
      await rejectsWith(extractZip(file, dest), 'too-large', /zeros\.bin` would inflate \d+ times/);
      assert.deepEqual(contents(dest), []);
      await extractZip(file, dest, { maxRatio: 2000 });
      assert.equal(statSync(path.join(dest, 'zeros.bin')).size, 20 << 20);
    });

    it('stops an entry that inflates past the size it declares, and removes what it wrote', async () => {
      const file = zipFile([
        { name: 'first.txt', data: Buffer.from('fine') },
        { name: 'sub/liar.bin', data: Buffer.alloc(1 << 20), deflate: true, declaredSize: 1000 },
      ]);
      await rejectsWith(
        extractZip(file, dest, { maxRatio: 10000 }),
        'too-large',
        /inflates to more than the 1000 bytes it declares/,
      );
      assert.deepEqual(contents(dest), []);
    });

    it('refuses entries that share compressed data (the overlapping zip bomb)', async () => {
      const file = zipFile([
        { name: 'a.bin', data: Buffer.alloc(1000), deflate: true },
        { name: 'b.bin', sameDataAs: 0 },
      ]);
      await rejectsWith(extractZip(file, dest), 'corrupt', /overlaps another entry/);
      assert.deepEqual(contents(dest), []);
    });

    it('refuses an entry whose CRC does not match, leaving nothing', async () => {
      const file = zipFile([
        { name: 'ok.txt', data: Buffer.from('ok') },
        { name: 'bad.txt', data: Buffer.from('data'), crc: 1234 },
      ]);
      await rejectsWith(extractZip(file, dest), 'corrupt', /`bad\.txt` does not match its checksum/);
      assert.deepEqual(contents(dest), []);
    });

    it('says so when the zip is cut short', async () => {
      const full = rawZip([{ name: 'a.txt', data: Buffer.from('hello world') }]);
      await rejectsWith(extractZip(zipFile(full.subarray(0, 40)), dest), 'not-a-zip');
    });
  });

  it('writes nothing when cancelled', async () => {
    const file = zipFile([{ name: 'a.txt', data: Buffer.from('a') }]);
    await rejectsWith(extractZip(file, dest, { signal: AbortSignal.abort() }), 'cancelled');
    assert.deepEqual(contents(dest), []);
  });
});
