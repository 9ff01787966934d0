import type { FileHandle } from 'node:fs/promises';
import type zlib from 'node:zlib';

/**
 * Reads `length` bytes of `handle` from `start` into two buffers in turn, reading the next chunk while the caller
 * handles the current one. A chunk is valid until the caller asks for the one after next: hand it on (write it,
 * `ZlibPump.push` it) before moving on. Reusing buffers keeps memory flat: see BatchedWriter.
 */
export async function* readChunks(
  handle: FileHandle,
  start: number,
  length: number,
  chunkBytes = 1 << 20,
): AsyncGenerator<Buffer> {
  const buffers = [
    Buffer.allocUnsafeSlow(Math.min(chunkBytes, Math.max(length, 1))),
    Buffer.allocUnsafeSlow(Math.min(chunkBytes, Math.max(length, 1))),
  ];
  const read = (index: number, at: number) => {
    const buffer = buffers[index % 2];
    return handle
      .read(buffer, 0, Math.min(buffer.length, length - at), start + at)
      .then(({ bytesRead }) => buffer.subarray(0, bytesRead));
  };
  let done = 0;
  let index = 0;
  let next = length > 0 ? read(index, 0) : undefined;
  while (next) {
    const chunk = await next;
    if (chunk.length === 0) throw new EndOfFileError(start + done);
    done += chunk.length;
    index++;
    next = done < length ? read(index, done) : undefined;
    yield chunk;
  }
}

export class EndOfFileError extends Error {
  constructor(readonly position: number) {
    super(`The file ended at byte ${position}, earlier than expected`);
  }
}

/** Drives a zlib stream one chunk at a time: `push` resolves once zlib has consumed the chunk, with the output so far. */
export class ZlibPump {
  private output: Buffer[] = [];
  private failure: Error | undefined;

  constructor(private readonly stream: zlib.DeflateRaw | zlib.InflateRaw) {
    stream.on('data', (chunk: Buffer) => this.output.push(chunk));
    stream.on('error', (error: Error) => (this.failure = error));
  }

  push(chunk: Buffer): Promise<Buffer[]> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      // A damaged deflate stream errors inside write(), and zlib then never calls the write's callback: without
      // this listener a corrupt zip would hang the extraction forever (found by test/unit/reliability/fuzz).
      const onError = (error: Error) => reject(error);
      this.stream.once('error', onError);
      this.stream.write(chunk, (error) => {
        this.stream.removeListener('error', onError);
        if (error) reject(error);
        else this.take(resolve, reject);
      });
    });
  }

  finish(): Promise<Buffer[]> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.stream.once('end', () => this.take(resolve, reject));
      this.stream.once('error', reject);
      this.stream.end();
    });
  }

  destroy(): void {
    this.stream.destroy();
  }

  private take(resolve: (chunks: Buffer[]) => void, reject: (error: Error) => void): void {
    if (this.failure) return reject(this.failure);
    const chunks = this.output;
    this.output = [];
    resolve(chunks);
  }
}
