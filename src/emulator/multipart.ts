/**
 * The upload body parser: multipart/form-data (or a urlencoded `source_environment`), streamed, the file part to a
 * temp file of the store, counted against the upload limit, never whole in memory.
 */
import type * as http from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { HttpError } from './http';
import type { Store } from './store';

/** Room for multipart headers and boundaries around the file when judging an upload by its Content-Length. */
const MULTIPART_OVERHEAD = 1024 * 1024;

export interface UploadForm {
  /** The `file` part, stored in a temp file of the store. */
  file?: { tempPath: string; name: string };
  /** The `source_environment` field. */
  source?: string;
}

export interface UploadLimits {
  store: Store;
  maxUploadBytes: number;
  /** The request body as it should be read (through the connection's bandwidth model). */
  body(req: http.IncomingMessage): Readable;
}

/** Reads the upload's form; refuses other content types (415), a declared size over the limit (413), bad framing. */
export function readUpload(req: http.IncomingMessage, limits: UploadLimits): Promise<UploadForm> {
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (!type.startsWith('multipart/form-data') && !type.startsWith('application/x-www-form-urlencoded')) {
    throw new HttpError(415, `Unsupported media type "${type || 'none'}": send multipart/form-data.`);
  }
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limits.maxUploadBytes + MULTIPART_OVERHEAD) {
    throw tooLarge(limits.maxUploadBytes);
  }
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      // File names are UTF-8 as sent (browsers, undici, Python's urllib3), not latin1, busboy's default.
      defParamCharset: 'utf8',
      limits: { fileSize: limits.maxUploadBytes, fieldSize: 64 * 1024, fields: 100, parts: 200 },
    });
  } catch (err) {
    throw new HttpError(400, `Malformed multipart body: ${(err as Error).message}`);
  }
  const body = limits.body(req);
  return new Promise((resolve, reject) => {
    new UploadReader(req, body, parser, limits, { resolve, reject }).start();
  });
}

function tooLarge(max: number): HttpError {
  return new HttpError(413, `The upload is larger than the limit of ${max} bytes.`, {}, true);
}

/** The part name of a file, `environment.zip` when it has none. */
function baseName(filename: string | undefined): string {
  const name = (filename ?? '').split(/[\\/]/).pop() ?? '';
  return name.trim() === '' ? 'environment.zip' : name;
}

/** One upload being read: the parts seen so far, and the settling of its promise exactly once. */
class UploadReader {
  private settled = false;
  private source: string | undefined;
  private file: { tempPath: string; name: string } | undefined;
  private fileParts = 0;
  private readonly temps: string[] = [];
  private readonly writes: Promise<void>[] = [];
  private readonly streams: { destroy(): void }[] = [];

  constructor(
    private readonly req: http.IncomingMessage,
    private readonly body: Readable,
    private readonly parser: busboy.Busboy,
    private readonly limits: UploadLimits,
    private readonly promise: { resolve(form: UploadForm): void; reject(err: HttpError): void },
  ) {}

  start(): void {
    const { req, parser } = this;
    parser.on('file', (name, stream, info) => this.onFile(name, stream, info.filename));
    parser.on('field', (name, value) => {
      if (name === 'source_environment') {
        this.source = value;
      }
    });
    parser.on('error', (err: Error) =>
      this.settle(new HttpError(400, `Malformed multipart body: ${err.message}`, {}, true)),
    );
    parser.on('close', () => {
      void Promise.all(this.writes).then(
        () => this.settle(null),
        () => undefined,
      );
    });
    req.on('error', (err) => this.settle(new HttpError(400, `The upload was interrupted: ${err.message}`)));
    req.on('close', () => {
      if (!req.complete) {
        this.settle(new HttpError(400, 'The upload was interrupted.'));
      }
    });
    this.body.pipe(parser);
  }

  private onFile(name: string, stream: Readable, filename: string | undefined): void {
    if (this.settled || name !== 'file') {
      stream.resume();
      return;
    }
    this.fileParts += 1;
    if (this.fileParts > 1) {
      stream.resume();
      this.settle(new HttpError(400, 'Send exactly one file part.', {}, true));
      return;
    }
    const out = this.limits.store.createTempZipStream();
    this.temps.push(out.path);
    this.streams.push(stream, out.stream);
    const entry = { tempPath: out.path, name: baseName(filename) };
    stream.on('limit', () => this.settle(tooLarge(this.limits.maxUploadBytes)));
    this.writes.push(
      pipeline(stream, out.stream).then(
        () => {
          this.file = entry;
        },
        (err: Error) => this.settle(new HttpError(500, `Could not store the upload: ${err.message}`, {}, true)),
      ),
    );
  }

  private settle(err: HttpError | null): void {
    if (this.settled) {
      return;
    }
    this.settled = true;
    if (!err) {
      this.promise.resolve({ file: this.file, source: this.source });
      return;
    }
    const { req, body, parser } = this;
    body.unpipe(parser);
    if (body !== req) {
      req.unpipe();
    }
    parser.removeAllListeners('file');
    // Unpiped, the parser will not end the file streams: end them here so the writes settle.
    for (const s of this.streams) {
      s.destroy();
    }
    // Writes still open hold the temp files; remove them once they are done.
    void Promise.allSettled(this.writes).then(() => {
      for (const t of this.temps) {
        void this.limits.store.removeTemp(t);
      }
    });
    this.promise.reject(err);
  }
}
