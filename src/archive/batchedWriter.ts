import type { FileHandle } from 'node:fs/promises';

/**
 * Writes a file front to back in batches: a write smaller than the batch is copied into one buffer and written with
 * the ones around it (5,000 small zip entries would otherwise be 10,000 system calls one after another); a larger one
 * goes straight through. The caller may reuse its buffer once `write` resolves: fresh buffers per chunk would pile
 * up as garbage faster than V8 collects external memory (it waits for 64 MB more), and that is the memory goal.
 * Used by the packer's zip (ZipWriter) and by the upload's temporary file of deflated entries (TempData).
 */
export class BatchedWriter {
  private readonly staging: Buffer;
  private staged = 0;
  private next = 0;

  /** `handle` is asked for on the first write that reaches the file: a writer given nothing opens nothing. */
  constructor(
    private readonly handle: () => FileHandle | Promise<FileHandle>,
    batchBytes: number,
  ) {
    this.staging = Buffer.allocUnsafeSlow(batchBytes);
  }

  /** Where the next byte goes, counting what is still staged. */
  get position(): number {
    return this.next;
  }

  /** Resolves once `chunk` is copied or written: the caller may then reuse it. */
  async write(chunk: Buffer): Promise<void> {
    if (this.staged + chunk.length > this.staging.length) await this.flush();
    if (chunk.length >= this.staging.length) {
      await this.writeAt(chunk, this.next);
    } else {
      chunk.copy(this.staging, this.staged);
      this.staged += chunk.length;
    }
    this.next += chunk.length;
  }

  /** Writes what is staged. */
  async flush(): Promise<void> {
    if (this.staged === 0) return;
    const length = this.staged;
    this.staged = 0;
    await this.writeAt(this.staging.subarray(0, length), this.next - length);
  }

  private async writeAt(data: Buffer, at: number): Promise<void> {
    const handle = await this.handle();
    for (let done = 0; done < data.length;) {
      done += (await handle.write(data, done, data.length - done, at + done)).bytesWritten;
    }
  }
}
