import { createReadStream, promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { CallOptions, TransferProgress } from './calls';
import type { StreamBody } from './transport';

/** A zip produced as it is sent (the archive's `prepareZipUpload`): its exact length first, then its bytes. */
export interface ZipBody {
  length: number;
  chunks(signal?: AbortSignal): AsyncIterable<Uint8Array>;
}

/**
 * The throughput of the latest upload of at least MEASURED_UPLOAD_BYTES to each host, bytes a second: what the next
 * upload's choice of what to deflate goes by. In memory only, shared by the clients of this process.
 */
const uploadThroughput = new Map<string, number>();
/** Smaller uploads measure the round trip more than the link. */
const MEASURED_UPLOAD_BYTES = 1024 * 1024;

export interface UploadOptions extends CallOptions {
  /** File name sent with the zip; default the path's base name. */
  fileName?: string;
  onProgress?: (progress: TransferProgress) => void;
}

/** The zip to send: a file's bytes, checked against the size it had when the upload began, or a `ZipBody`. */
export async function zipContent(zip: string | ZipBody): Promise<ZipBody> {
  if (typeof zip !== 'string') {
    return zip;
  }
  let size: number;
  try {
    const stat = await fs.stat(zip);
    if (!stat.isFile()) {
      throw new Error('not a file');
    }
    size = stat.size;
  } catch (cause) {
    throw new Error(`Cannot upload ${zip}: the file cannot be read (${(cause as Error).message}).`, { cause });
  }
  return { length: size, chunks: () => fileChunks(zip, size) };
}

/**
 * An upload's multipart body, with what happened to it: the error of a zip that could not be read to its end, and
 * the link's throughput once the upload was answered (`measured`).
 */
export class ZipUpload {
  readonly body: StreamBody;
  contentError: unknown;
  private firstByte: number | undefined;

  constructor(
    private readonly content: ZipBody,
    fileName: string,
    options: UploadOptions,
  ) {
    this.body = multipartFile(
      'file',
      fileName,
      'application/zip',
      content,
      options.signal,
      (bytes) => {
        this.firstByte ??= performance.now();
        options.onProgress?.({ bytes, total: content.length });
      },
      (error) => (this.contentError = error),
    );
  }

  /** Records the throughput of this upload, once answered, as the link's to `host`. */
  measured(host: string): void {
    if (this.firstByte !== undefined && this.content.length >= MEASURED_UPLOAD_BYTES) {
      const seconds = Math.max(0.001, (performance.now() - this.firstByte) / 1000);
      uploadThroughput.set(host, this.content.length / seconds);
    }
  }
}

/** Bytes a second the latest upload of a megabyte or more to `host` went at; undefined before one. */
export function uploadBytesPerSecond(host: string): number | undefined {
  return uploadThroughput.get(host);
}

function boundary(): string {
  return `----ubiops-vscode-${randomBytes(12).toString('hex')}`;
}

/** Quotes a form-data name or file name as browsers do (WHATWG HTML, multipart/form-data encoding). */
function quote(value: string): string {
  return value.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A multipart body of one file part of a known length, streamed, counting the file's bytes. */
function multipartFile(
  field: string,
  fileName: string,
  contentType: string,
  content: ZipBody,
  signal: AbortSignal | undefined,
  onBytes: (bytes: number) => void,
  onContentError: (error: unknown) => void,
): StreamBody {
  const mark = boundary();
  const head = Buffer.from(
    `--${mark}\r\nContent-Disposition: form-data; name="${quote(field)}"; filename="${quote(fileName)}"\r\n` +
      `Content-Type: ${contentType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${mark}--\r\n`);
  let started = false;
  return {
    contentType: `multipart/form-data; boundary=${mark}`,
    length: head.length + content.length + tail.length,
    started: () => started,
    async *open() {
      started = true;
      yield head;
      let sent = 0;
      onBytes(0);
      try {
        for await (const chunk of content.chunks(signal)) {
          sent += chunk.length;
          yield chunk;
          onBytes(sent);
        }
        if (sent !== content.length) {
          throw new Error(
            `The zip was ${sent} bytes instead of the ${content.length} announced: a file changed during the upload.`,
          );
        }
      } catch (error) {
        onContentError(error);
        throw error;
      }
      yield tail;
    },
  };
}

/** A file's bytes, checked against the size it had when the upload began. */
async function* fileChunks(filePath: string, size: number): AsyncGenerator<Buffer> {
  let read = 0;
  // 1 MB reads: a quarter of the chunks of 256 KB through the streams and the socket (less CPU a GB), and no
  // more memory: the peak is the garbage V8 lets build up before collecting it, whatever the chunk size.
  for await (const chunk of createReadStream(filePath, { highWaterMark: 1024 * 1024 })) {
    read += (chunk as Buffer).length;
    yield chunk as Buffer;
  }
  if (read !== size) {
    throw new Error(`${filePath} changed size during the upload (${size} bytes expected, ${read} read).`);
  }
}

/**
 * A multipart body of one plain field. It is as small as a JSON body and is treated like one: repeated after a 429
 * (the server refused it unread), never after a dropped connection (it may have been acted on).
 */
export function multipartField(field: string, value: string): StreamBody {
  const mark = boundary();
  const body = Buffer.from(
    `--${mark}\r\nContent-Disposition: form-data; name="${quote(field)}"\r\n\r\n${value}\r\n--${mark}--\r\n`,
  );
  return {
    contentType: `multipart/form-data; boundary=${mark}`,
    length: body.length,
    started: () => false,
    async *open() {
      yield body;
    },
  };
}
