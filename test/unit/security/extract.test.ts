/**
 * Issue 14, §5: extracting a downloaded revision. The whole zip is held to a size ratio (not only each entry), a
 * failure while moving files into place puts back what was there, and names that Windows cannot hold or that
 * disguise themselves with bidirectional-text characters are refused with a message that shows them as stored.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ExtractError, extractZip } from '../../../src/archive/extract';
import { useTempDir } from '../../helpers/tempDir';
import { rawZip, type RawZipEntry } from '../archive/rawZip';

describe('security: extracting a download', () => {
  const work = useTempDir('sec-extract-', 'each');
  let dest: string;
  beforeEach(() => {
    dest = path.join(work.path, 'dest');
    mkdirSync(dest);
  });

  /** Writes a zip of exactly these entries (see rawZip) and returns its path. */
  const zipFile = (entries: RawZipEntry[]) => {
    const file = path.join(work.path, 'in.zip');
    writeFileSync(file, rawZip(entries));
    return file;
  };
  const contents = () => (readdirSync(dest, { recursive: true }) as string[]).sort();
  async function refusal(promise: Promise<unknown>): Promise<ExtractError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof ExtractError, `expected an ExtractError, got ${String(error)}`);
    return error;
  }

  it('refuses 60 entries of 16 MiB from under 1 MiB: the total is bounded, not only each entry', async function () {
    this.timeout(30_000);
    const zeros = Buffer.alloc(16 << 20);
    const file = zipFile(Array.from({ length: 60 }, (_, i) => ({ name: `f${i}.bin`, data: zeros, deflate: true })));
    const error = await refusal(extractZip(file, dest));
    assert.equal(error.code, 'too-large');
    assert.match(error.message, /would unpack to 1006632960 bytes from \d+, \d+ times its size/);
    assert.deepEqual(contents(), []);
  });

  it('puts back a file the user allowed to be overwritten when a later move fails', async () => {
    for (const name of ['a.txt', 'b.txt', 'c.txt']) writeFileSync(path.join(dest, name), `old ${name}`);
    const file = zipFile(['a.txt', 'b.txt', 'c.txt'].map((name) => ({ name, data: Buffer.from(`new ${name}`) })));
    const error = await refusal(
      extractZip(file, dest, {
        onConflict: async (relative) => {
          if (relative === 'c.txt') {
            // Something else changes the folder after b.txt was looked at: b.txt becomes a folder.
            rmSync(path.join(dest, 'b.txt'));
            mkdirSync(path.join(dest, 'b.txt'));
            writeFileSync(path.join(dest, 'b.txt', 'keep'), 'keep');
          }
          return 'overwrite';
        },
      }),
    );
    assert.equal(error.code, 'in-the-way');
    assert.equal(readFileSync(path.join(dest, 'a.txt'), 'utf8'), 'old a.txt', 'the overwritten file is back');
    assert.equal(readFileSync(path.join(dest, 'c.txt'), 'utf8'), 'old c.txt');
    assert.deepEqual(
      contents(),
      ['a.txt', 'b.txt', path.join('b.txt', 'keep'), 'c.txt'],
      'nothing else is left, no staging folder',
    );
  });

  it('moves files into place only at the end, leaving no staging folder on success', async () => {
    writeFileSync(path.join(dest, 'a.txt'), 'old');
    const file = zipFile([
      { name: 'top/a.txt', data: Buffer.from('new') },
      { name: 'top/sub/b.txt', data: Buffer.from('b') },
    ]);
    const result = await extractZip(file, dest, { stripTopFolder: true, onConflict: async () => 'overwrite' });
    assert.deepEqual(result, { written: ['a.txt', 'sub/b.txt'], skipped: [] });
    assert.deepEqual(contents(), ['a.txt', 'sub', path.join('sub', 'b.txt')]);
    assert.equal(readFileSync(path.join(dest, 'a.txt'), 'utf8'), 'new');
  });

  const refused: [string, RegExp][] = [
    ['CON', /device name Windows reserves/],
    ['src/aux.py', /`aux`, a device name Windows reserves/],
    ['sub/LPT1.txt', /`LPT1`, a device name/],
    ['com9', /device name/],
    ['notes.', /ends in a dot or a space/],
    ['folder /x.txt', /ends in a dot or a space/],
    ['a<b.txt', /a character Windows cannot hold/],
    ['what?.txt', /a character Windows cannot hold/],
    ['ab:cd', /a character Windows cannot hold/],
    ['tab\there', /a character Windows cannot hold/],
    ['invoice\u202Efdp.exe', /bidirectional-text character/],
    ['a\u2066b.py', /bidirectional-text character/],
    ['a\u200Eb.py', /bidirectional-text character/],
    ['a\u200Fb.py', /bidirectional-text character/],
    ['a\u061Cb.py', /bidirectional-text character/],
  ];
  for (const [name, reason] of refused) {
    it(`refuses an entry named ${JSON.stringify(name)}, saying why, on every system`, async () => {
      const error = await refusal(
        extractZip(
          zipFile([
            { name: 'ok.txt', data: Buffer.from('ok') },
            { name, data: Buffer.from('x') },
          ]),
          dest,
        ),
      );
      assert.equal(error.code, 'unsafe-entry');
      assert.match(error.message, reason);
      assert.doesNotMatch(
        error.message,
        /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/,
        'the message shows the name as stored, escaped',
      );
      assert.ok(!existsSync(path.join(dest, 'ok.txt')), 'nothing was extracted');
    });
  }

  it('still extracts ordinary names that merely look close (`console.py`, `com10`, `.env`, Arabic text)', async () => {
    const names = ['console.py', 'com10', '.env', 'auxiliary/x.txt', 'نص.txt', 'a.b.c'];
    await extractZip(zipFile(names.map((name) => ({ name, data: Buffer.from('x') }))), dest);
    for (const name of names) assert.ok(existsSync(path.join(dest, name)), name);
  });
});
