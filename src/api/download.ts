import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import contentDisposition from 'content-disposition';
import type { CallOptions, TransferProgress } from './calls';
import { UbiOpsApiError } from './errors';
import type { RawResponse, RequestSpec, Transport } from './transport';

export interface DownloadOptions extends CallOptions {
  /** Save under this exact path. */
  filePath?: string;
  /** Or save in this folder under the server's file name (default: `<environment>_<revision>.zip`). */
  directory?: string;
  /** With `directory`: replace a file of the same name instead of picking a free name (default false). */
  overwrite?: boolean;
  onProgress?: (progress: TransferProgress) => void;
}

export interface DownloadResult {
  path: string;
  /** The file name as the server gave it (stripped of any folder), or the fallback. */
  fileName: string;
  bytes: number;
}

/** The file name of a `Content-Disposition` header, stripped of any folder part, or undefined. */
export function fileNameFromDisposition(header: string | undefined): string | undefined {
  if (!header) {
    return undefined;
  }
  let name: string | undefined;
  try {
    name = contentDisposition.parse(header).parameters.filename;
  } catch {
    // A malformed header: take a plain filename="…" if there is one.
    name = /filename\s*=\s*"?([^";]+)"?/i.exec(header)?.[1];
  }
  return name === undefined ? undefined : safeFileName(name);
}

/** A name that cannot leave its folder: no folder part, no control characters, no `.`/`..`. */
export function safeFileName(name: string): string | undefined {
  const base = name.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex -- control characters are what this removes
  const cleaned = base.replace(/[\u0000-\u001f\u007f<>:"|?*]/g, '_').trim();
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? undefined : cleaned;
}

/** `file.zip`, else `file (1).zip`, … : never silently replaces a file the user has. */
async function freePath(wanted: string, overwrite: boolean): Promise<string> {
  if (overwrite) {
    return wanted;
  }
  const extension = path.extname(wanted);
  const stem = wanted.slice(0, wanted.length - extension.length);
  for (let index = 0; ; index++) {
    const candidate = index === 0 ? wanted : `${stem} (${index})${extension}`;
    try {
      await fs.access(candidate);
    } catch {
      return candidate;
    }
  }
}

/** Failures in the middle of a body after which the download is repeated from the start: a GET changes nothing. */
const DROPPED_CODES = new Set([
  'ECONNRESET',
  'UND_ERR_SOCKET',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_ABORTED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UBIOPS_TRANSFER_STALLED',
]);
/** Attempts at a download whose body breaks off, the first included. */
const DOWNLOAD_ATTEMPTS = 3;

/**
 * Streams the answer to `spec` into a file (see `UbiOpsClient.downloadRevision`): under a temporary name, renamed
 * when complete; a failed or aborted download leaves nothing. A body that breaks off is asked for again.
 */
export async function downloadToFile(
  transport: Transport,
  spec: RequestSpec,
  fallbackName: string,
  options: DownloadOptions,
): Promise<DownloadResult> {
  for (let attempt = 1; ; attempt++) {
    const response = await transport.send(spec);
    const header = response.headers['content-disposition'];
    const fileName = fileNameFromDisposition(Array.isArray(header) ? header[0] : header) ?? fallbackName;
    const target =
      options.filePath ?? (await freePath(path.join(options.directory!, fileName), options.overwrite ?? false));
    const partial = `${target}.${randomBytes(4).toString('hex')}.part`;
    const received = { bytes: 0 };
    try {
      await receive(transport, response, partial, received, options);
      await fs.rename(partial, target);
      return { path: target, fileName, bytes: received.bytes };
    } catch (error) {
      response.body.destroy();
      await fs.rm(partial, { force: true });
      if (options.signal?.aborted) {
        throw options.signal.reason;
      }
      const code = (error as { code?: string }).code ?? '';
      if (!DROPPED_CODES.has(code) || attempt >= DOWNLOAD_ATTEMPTS) {
        throw downloadError(transport, spec, { error, code, bytes: received.bytes, attempt, target });
      }
    }
  }
}

/** Writes the body of `response` to `partial`, counting its bytes into `received`, watched for stalls. */
async function receive(
  transport: Transport,
  response: RawResponse,
  partial: string,
  received: { bytes: number },
  options: DownloadOptions,
): Promise<void> {
  const lengthHeader = Number(response.headers['content-length']);
  const total = Number.isFinite(lengthHeader) && lengthHeader >= 0 ? lengthHeader : undefined;
  options.onProgress?.({ bytes: 0, total });
  // Counted as the chunks go by rather than through a Transform (one stream less per chunk); the file is written in
  // batches (writev) of up to 1 MB while the next chunks arrive: about a quarter less CPU a GB.
  response.body.on('data', (chunk: Buffer) => {
    received.bytes += chunk.length;
    options.onProgress?.({ bytes: received.bytes, total });
  });
  // No overall deadline (a large file on a slow link takes long): a download that stalls is stopped instead.
  const stopWatching = transport.watchTransfer(
    () => received.bytes,
    options.signal,
    () =>
      response.body.destroy(
        Object.assign(new Error(`stalled: ${transport.stallText()}`), { code: 'UBIOPS_TRANSFER_STALLED' }),
      ),
  );
  try {
    await pipeline(response.body, createWriteStream(partial, { flags: 'wx', highWaterMark: 1024 * 1024 }), {
      signal: options.signal,
    });
  } finally {
    stopWatching();
  }
  if (total !== undefined && received.bytes !== total) {
    throw Object.assign(new Error(`the answer ended after ${received.bytes} of ${total} bytes`), {
      code: 'UND_ERR_SOCKET',
    });
  }
}

function downloadError(
  transport: Transport,
  spec: RequestSpec,
  failure: { error: unknown; code: string; bytes: number; attempt: number; target: string },
): UbiOpsApiError {
  const { error, code, bytes, attempt, target } = failure;
  const where = `GET ${spec.path}: the download from ${transport.host}`;
  return new UbiOpsApiError({
    method: 'GET',
    path: spec.path,
    host: transport.host,
    code: code || undefined,
    message:
      code === 'UBIOPS_TRANSFER_STALLED'
        ? `${where} stalled (${transport.stallText()}) after ${bytes} bytes, ${attempt} times. Try again, or check the network.`
        : DROPPED_CODES.has(code)
          ? `${where} was cut off after ${bytes} bytes, ${attempt} times. Try again.`
          : `GET ${spec.path}: could not save the download to ${target}: ${(error as Error).message}`,
    cause: error,
  });
}
