import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import zlib from 'node:zlib';
import JSZip from 'jszip';
import {
  DEFLATE_BYTES_PER_SECOND,
  PackError,
  prepareZipUpload,
  smallFileDeflateOptions,
  scanForPacking,
  type ZipUpload,
} from '../../../src/archive';
import { readChunks } from '../../../src/archive/streams';
import { crc32, DEFLATE, STORE, ZipWriter } from '../../../src/archive/zipWriter';
import { useEmulatorSuite } from '../../helpers/emulator';

const TOKEN = 'stored-zip-token';
const PROJECT = 'demo-project';
const MB = 1024 * 1024;

/** Source-like text: compresses to about a third, as code does. */
function sourceText(lines: number, seed: number): string {
  const words = ['import', 'numpy', 'def', 'return', 'self', 'model', 'data', 'for', 'in', 'range', 'value', 'config'];
  return Array.from(
    { length: lines },
    (_, i) =>
      `${words[(i * seed) % words.length]} ${words[(i + seed) % words.length]}_${(i * 7919 + seed) % 100000} = ${i}`,
  ).join('\n');
}

/**
 * The zip the packer's writer (ZipWriter, what packFolder writes to disk with) makes of `folder` with the upload's
 * choices (the order of the entries, stored or deflated): what the streamed upload must be byte for byte.
 */
async function writtenByPacker(folder: string, file: string, upload: ZipUpload): Promise<Buffer> {
  const { sources, root } = await scanForPacking(folder);
  const byPath = new Map(sources.map((source) => [source.path, source]));
  const deflated = (relative: string) => upload.entries.find(({ path: p }) => p === relative)!.method === 'deflate';
  const handle = await fs.open(file, 'w');
  try {
    const writer = new ZipWriter(handle);
    for (const { path: relative } of upload.entries) {
      const source = byPath.get(relative)!;
      const info = { name: `environment_package/${source.path}`, mtime: new Date(source.mtimeMs), mode: source.mode };
      const data = await fs.readFile(path.join(root, source.path));
      if (deflated(source.path)) {
        // Small files with the window they need, large ones with deflate's default, as the upload chose.
        const options =
          data.length <= MB ? smallFileDeflateOptions(upload.level, data.length) : { level: upload.level };
        await writer.addBuffered(info, DEFLATE, crc32(data), data.length, zlib.deflateRawSync(data, options));
      } else {
        const input = await fs.open(path.join(root, source.path), 'r');
        let crc = 0;
        async function* chunks() {
          for await (const chunk of readChunks(input, 0, source.size)) {
            crc = crc32(chunk, crc);
            yield chunk;
          }
        }
        await writer.addStreamed(info, STORE, chunks(), () => ({ crc, size: source.size }));
        await input.close();
      }
    }
    await writer.finish();
  } finally {
    await handle.close();
  }
  return fs.readFile(file);
}

describe('streamed zip upload (prepareZipUpload)', function () {
  this.timeout(60_000);
  const suite = useEmulatorSuite({ token: TOKEN, tempPrefix: 'stored-zip-' });
  let folder: string;
  const files: Record<string, Buffer> = {};

  before(async () => {
    folder = path.join(suite.dir, 'env');
    files['requirements.txt'] = Buffer.from('numpy==1.26.4\n');
    files['ubiops.yaml'] = Buffer.from('apt:\n  packages:\n    - libgomp1\n');
    for (let i = 0; i < 40; i++) files[`src/pkg${i % 4}/module_${i}.py`] = Buffer.from(sourceText(50 + i * 20, i + 1));
    files['src/empty.py'] = Buffer.alloc(0);
    files['données/modèle ü.txt'] = Buffer.from(sourceText(30, 3));
    files['weights.bin'] = randomBytes(Math.round(1.5 * MB)); // large, incompressible
    files['corpus.txt'] = Buffer.from(sourceText(60_000, 5)); // large, compressible
    files['small.bin'] = randomBytes(5000); // small, incompressible
    for (const [name, data] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(folder, name)), { recursive: true });
      await fs.writeFile(path.join(folder, name), data);
    }
    await fs.chmod(path.join(folder, 'src/pkg0/module_0.py'), 0o755);
  });

  /** Uploads `upload` as a new revision of a fresh environment; returns the zip as the emulator stored it. */
  async function uploadAndFetch(name: string, upload: ZipUpload): Promise<{ received: Buffer; status: string }> {
    await suite.client.createEnvironment(PROJECT, { name, base_environment: 'python3-12' });
    const created = await suite.client.uploadRevision(PROJECT, name, upload, { fileName: 'env.zip' });
    const target = path.join(suite.dir, `${name}-received.zip`);
    await suite.client.downloadRevision(PROJECT, name, created.revision, { filePath: target });
    const build = await suite.client.getBuild(PROJECT, name, created.revision, created.build);
    return { received: await fs.readFile(target), status: build.status };
  }

  async function assertContents(zipBytes: Buffer): Promise<void> {
    const zip = await JSZip.loadAsync(zipBytes, { checkCRC32: true });
    const names = Object.keys(zip.files)
      .filter((name) => !zip.files[name].dir)
      .sort();
    assert.deepEqual(
      names,
      Object.keys(files)
        .map((name) => `environment_package/${name}`)
        .sort(),
    );
    for (const [name, data] of Object.entries(files)) {
      assert.ok((await zip.file(`environment_package/${name}`)!.async('nodebuffer')).equals(data), name);
    }
  }

  it('on a fast link stores every file, streamed with its exact length, byte-identical to the packer writing the same zip to disk', async () => {
    const upload = await prepareZipUpload(folder, { linkBytesPerSecond: 125_000_000 });
    try {
      assert.equal(upload.deflated, 0);
      assert.equal(upload.stored, Object.keys(files).length);
      // Small files first, then the large ones (whose CRCs are taken while the small ones go out).
      assert.deepEqual(
        upload.entries
          .slice(-2)
          .map(({ path: p }) => p)
          .sort(),
        ['corpus.txt', 'weights.bin'],
      );
      const { received, status } = await uploadAndFetch('stored-fast', upload);
      assert.equal(received.length, upload.length, 'the Content-Length announced is the zip the server got');
      const expected = await writtenByPacker(folder, path.join(suite.dir, 'packer-stored.zip'), upload);
      assert.ok(received.equals(expected), 'the emulator received the bytes the packer writes to disk');
      assert.equal(status, 'success', 'the emulator builds it');
      await assertContents(received);
    } finally {
      await upload.dispose();
    }
  });

  for (const { link, level } of [
    { link: 1_000_000, level: 6 },
    { link: 12_500_000, level: 1 },
  ]) {
    it(`at ${link / 1e6} MB/s deflates what pays (source files) at level ${level} and stores the rest, again byte-identical to the packer`, async () => {
      const upload = await prepareZipUpload(folder, { linkBytesPerSecond: link });
      try {
        // Deflated where that saves more than it costs at that speed: all but the random bytes, the empty file and files so
        // small that deflate makes them no smaller.
        assert.equal(upload.level, level);
        const worthIt = 1 - link / DEFLATE_BYTES_PER_SECOND;
        const deflated = (name: string) =>
          files[name].length > 0 && zlib.deflateRawSync(files[name], { level }).length < files[name].length * worthIt;
        assert.ok(
          deflated('corpus.txt') &&
            deflated('src/pkg1/module_1.py') &&
            !deflated('weights.bin') &&
            !deflated('small.bin'),
        );
        assert.equal(upload.deflated, Object.keys(files).filter(deflated).length);
        assert.deepEqual(
          upload.entries
            .filter(({ method }) => method === 'deflate')
            .map(({ path: p }) => p)
            .sort(),
          Object.keys(files).filter(deflated).sort(),
        );
        const { received, status } = await uploadAndFetch(`mixed-${level}`, upload);
        const expected = await writtenByPacker(folder, path.join(suite.dir, `packer-mixed-${level}.zip`), upload);
        assert.equal(received.length, upload.length);
        assert.ok(received.equals(expected), 'the emulator received the bytes the packer writes to disk');
        assert.ok(
          upload.length < Object.values(files).reduce((sum, data) => sum + data.length, 0) * 0.8,
          'smaller than the files',
        );
        assert.equal(status, 'success');
        await assertContents(received);
        // A second attempt streams the same bytes again.
        const again: Buffer[] = [];
        for await (const chunk of upload.chunks()) again.push(Buffer.from(chunk));
        assert.ok(Buffer.concat(again).equals(expected));
      } finally {
        await upload.dispose();
      }
    });
  }

  it('learns the link from an upload and deflates when it is slow', async () => {
    suite.emulator.setFaults({ bandwidthMbps: 80 }); // 10 MB a second
    try {
      const first = await prepareZipUpload(folder, { linkBytesPerSecond: 125_000_000 });
      await uploadAndFetch('learns-link', first);
      await first.dispose();
      const measured = suite.client.uploadBytesPerSecond();
      assert.ok(
        measured !== undefined && measured <= 10_000_000,
        `measured ${measured} bytes a second through an 80 Mbit/s link`,
      );
      const second = await prepareZipUpload(folder, { linkBytesPerSecond: measured });
      assert.ok(second.deflated > 0, 'at the measured speed, source files are deflated');
      await second.dispose();
    } finally {
      suite.emulator.setFaults({});
    }
  });

  it('fails the upload, creating nothing, when a file changes between the scan and the sending', async () => {
    const copy = path.join(suite.dir, 'changing');
    await fs.cp(folder, copy, { recursive: true });
    const upload = await prepareZipUpload(copy, { linkBytesPerSecond: 125_000_000 });
    try {
      await fs.appendFile(path.join(copy, 'weights.bin'), 'grown since the scan');
      await suite.client.createEnvironment(PROJECT, { name: 'changed-files', base_environment: 'python3-12' });
      await assert.rejects(
        suite.client.uploadRevision(PROJECT, 'changed-files', upload),
        (error: Error) =>
          error instanceof PackError &&
          error.code === 'changed' &&
          /weights\.bin changed while it was being uploaded/.test(error.message),
      );
      assert.deepEqual(await suite.client.listRevisions(PROJECT, 'changed-files'), []);
    } finally {
      await upload.dispose();
    }
  });

  it('leaves no temporary data behind', async () => {
    const tempDir = path.join(suite.dir, 'temp');
    await fs.mkdir(tempDir);
    const upload = await prepareZipUpload(folder, { linkBytesPerSecond: 1_000_000, tempDir });
    assert.equal((await fs.readdir(tempDir)).length, 1, 'the deflated entries wait in one file');
    await upload.dispose();
    assert.deepEqual(await fs.readdir(tempDir), []);
  });
});
