import assert from 'node:assert/strict';
import JSZip from 'jszip';
import { zipOf as sharedZipOf } from '../../helpers/zip';
import { NotAZipError, readDependencyFilesFromZip, ZipEntryTooLargeError } from '../../../src/archive/zipInspect';

/** The names as they are, no folder added; a plain Uint8Array of its own (not a Buffer's view of a pool). */
const zipOf = async (files: Record<string, string | Uint8Array>) => new Uint8Array(await sharedZipOf(files, null));

/** Rewrites every declared uncompressed size in the zip, as a zip bomb would, to prove it is not trusted. */
function lieAboutSizes(data: Uint8Array, size: number): Uint8Array {
  const copy = data.slice();
  const view = new DataView(copy.buffer);
  for (let i = 0; i + 4 <= copy.length; i++) {
    const signature = view.getUint32(i, true);
    if (signature === 0x04034b50) view.setUint32(i + 22, size, true); // local file header
    if (signature === 0x02014b50) view.setUint32(i + 24, size, true); // central directory header
  }
  return copy;
}

/** The root found in a zip of `files`, and the dependency files read there as [name, content], in the order found. */
async function found(files: Record<string, string>): Promise<[string, [string, string][]]> {
  const result = await readDependencyFilesFromZip(await zipOf(files));
  return [result.root, result.files.map(({ name, content }) => [name, content])];
}

describe('readDependencyFilesFromZip', () => {
  it('reads dependency files at the root, in DEPENDENCY_FILE_NAMES order, and lists file entries only', async () => {
    const zip = new JSZip();
    zip.file('ubiops.yaml', 'apt:\n  packages: [git]\n');
    zip.file('requirements.txt', 'numpy\n');
    zip.folder('src')?.file('main.py', 'print(1)\n');
    zip.file('src/requirements.txt', 'nested\n');
    const result = await readDependencyFilesFromZip(await zip.generateAsync({ type: 'uint8array' }));
    assert.equal(result.root, '');
    assert.deepEqual(result.files, [
      { name: 'requirements.txt', content: 'numpy\n' },
      { name: 'ubiops.yaml', content: 'apt:\n  packages: [git]\n' },
    ]);
    assert.deepEqual([...result.entries].sort(), [
      'requirements.txt',
      'src/main.py',
      'src/requirements.txt',
      'ubiops.yaml',
    ]);
  });

  it('reads the CLI layout under a single top folder', async () => {
    const zip = {
      'environment_package/requirements.txt': 'scipy\n',
      'environment_package/environment.yaml': 'name: x\n',
    };
    assert.deepEqual(await found({ ...zip, 'environment_package/lib/helper.py': '' }), [
      'environment_package',
      [
        ['requirements.txt', 'scipy\n'],
        ['environment.yaml', 'name: x\n'],
      ],
    ]);
  });

  it('prefers files at the root over a top folder', async () => {
    const zip = { 'requirements.txt': 'root\n', 'environment_package/requirements.txt': 'inner\n' };
    assert.deepEqual(await found(zip), ['', [['requirements.txt', 'root\n']]]);
  });

  it('does not look deeper than the single top folder', async () => {
    const zip = { 'environment_package/inner/requirements.txt': 'deep\n', 'environment_package/README.md': '' };
    assert.deepEqual(await found(zip), ['environment_package', []]);
  });

  it('reads the CLI layout when a stray file sits at the root beside it (a README)', async () => {
    const zip = { 'README.md': '# env\n', 'environment_package/requirements.txt': 'scipy\n', 'notes/todo.txt': '' };
    assert.deepEqual(await found(zip), ['environment_package', [['requirements.txt', 'scipy\n']]]);
  });

  it('prefers environment_package when several top folders hold dependency files', async () => {
    const zip = { 'other/requirements.txt': 'other\n', 'environment_package/requirements.txt': 'cli\n' };
    assert.deepEqual(await found(zip), ['environment_package', [['requirements.txt', 'cli\n']]]);
  });

  it('does not pick a folder when there are several top folders', async () => {
    assert.deepEqual(await found({ 'a/requirements.txt': 'a\n', 'b/ubiops.yaml': '' }), ['', []]);
  });

  it('finds nothing in a zip without dependency files', async () => {
    const result = await readDependencyFilesFromZip(await zipOf({ 'main.py': '', 'data/x.csv': '' }));
    assert.deepEqual(result, { root: '', entries: ['main.py', 'data/x.csv'], files: [] });
  });

  it('ignores macOS __MACOSX entries when looking for the top folder', async () => {
    const data = await zipOf({
      'environment_package/requirements.txt': 'numpy\n',
      '__MACOSX/environment_package/._requirements.txt': 'resource fork',
      '__MACOSX/._environment_package': '',
    });
    const result = await readDependencyFilesFromZip(data);
    assert.equal(result.root, 'environment_package');
    assert.deepEqual(result.files, [{ name: 'requirements.txt', content: 'numpy\n' }]);
    assert.equal(result.entries.length, 3);
  });

  it('decodes UTF-8 and strips a BOM', async () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('café==1.0\n')]);
    const result = await readDependencyFilesFromZip(await zipOf({ 'requirements.txt': bytes }));
    assert.deepEqual(result.files, [{ name: 'requirements.txt', content: 'café==1.0\n' }]);
  });

  it('throws NotAZipError for data that is not a zip', async () => {
    await assert.rejects(readDependencyFilesFromZip(new TextEncoder().encode('numpy==1.0\n')), NotAZipError);
    await assert.rejects(readDependencyFilesFromZip(new Uint8Array()), NotAZipError);
  });

  describe('size guard', () => {
    const big = 'x'.repeat(5 * 1024 * 1024);

    it('throws ZipEntryTooLargeError for a dependency file past maxFileBytes', async () => {
      const data = await zipOf({ 'requirements.txt': big });
      assert.ok(data.length < 100_000, 'the test zip should be a small, highly compressed one');
      await assert.rejects(readDependencyFilesFromZip(data, { maxFileBytes: 1024 * 1024 }), ZipEntryTooLargeError);
    });

    it('defaults to 1 MiB', async () => {
      await assert.rejects(readDependencyFilesFromZip(await zipOf({ 'requirements.txt': big })), ZipEntryTooLargeError);
      const exact = await readDependencyFilesFromZip(await zipOf({ 'requirements.txt': 'y'.repeat(1024 * 1024) }));
      assert.equal(exact.files[0]?.content.length, 1024 * 1024);
    });

    it('counts inflated bytes rather than the sizes the zip declares', async () => {
      const data = lieAboutSizes(await zipOf({ 'environment_package/requirements.txt': big }), 10);
      await assert.rejects(readDependencyFilesFromZip(data, { maxFileBytes: 1024 * 1024 }), ZipEntryTooLargeError);
    });

    it('allows a file of exactly maxFileBytes and leaves other large files unread', async () => {
      const data = await zipOf({ 'requirements.txt': '0123456789', 'weights.bin': big });
      const result = await readDependencyFilesFromZip(data, { maxFileBytes: 10 });
      assert.deepEqual(result.files, [{ name: 'requirements.txt', content: '0123456789' }]);
      await assert.rejects(
        readDependencyFilesFromZip(await zipOf({ 'requirements.txt': '0123456789!' }), { maxFileBytes: 10 }),
        ZipEntryTooLargeError,
      );
    });
  });
});
