/** HTTP helpers of the emulator: its error type, JSON answers, request paths, query parameters and file names. */
import type * as http from 'node:http';

export const API_PREFIX = '/v2.1';
/** How long a rejected body is drained before the connection is cut. */
const DRAIN_GRACE_MS = 1000;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
    /** The request body was refused part-way: drain briefly, then close. */
    readonly rejectBody = false,
  ) {
    super(message);
  }
}

export type Params = Record<string, string>;

/** One request as a handler sees it: the route's parameters and the query. */
export interface Ctx {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  params: Params;
  query: URLSearchParams;
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

/**
 * After answering a refused body: read and discard what is still coming so the client can read the answer (closing
 * with unread data makes the kernel send a reset, which can swallow the answer), but for a second at most; a client
 * still sending then is cut off.
 */
export function drainThenClose(req: http.IncomingMessage): void {
  if (req.complete) {
    return;
  }
  // A body that ends in time leaves the connection usable: clients reuse keep-alive sockets at once.
  const timer = setTimeout(() => req.socket.destroy(), DRAIN_GRACE_MS);
  req.on('end', () => clearTimeout(timer));
  req.on('close', () => clearTimeout(timer));
  req.resume();
}

/** The request target as a URL; origin-form only, so a path starting `//` is not read as a host. */
export function requestUrl(req: http.IncomingMessage): URL {
  try {
    // "//%/x" would otherwise be read as a host → Invalid URL.
    const target = req.url ?? '/';
    return new URL(target.startsWith('/') ? `http://emulator.invalid${target}` : target, 'http://emulator.invalid');
  } catch {
    throw new HttpError(400, 'Malformed request target.');
  }
}

/** Segments after `/v2.1`, decoded, one trailing slash tolerated; null when the path is not an API path. */
export function pathSegments(pathname: string): string[] | null {
  if (!pathname.startsWith(`${API_PREFIX}/`)) {
    return null;
  }
  let rest = pathname.slice(API_PREFIX.length + 1);
  if (rest.endsWith('/')) {
    rest = rest.slice(0, -1);
  }
  const parts = rest.split('/');
  try {
    const decoded = parts.map((p) => decodeURIComponent(p));
    return decoded.some((p) => p === '') ? null : decoded;
  } catch {
    return null;
  }
}

/** The `environment_type` query of the list and usage endpoints: base, custom or all (the default). */
export function environmentType(query: URLSearchParams): 'base' | 'custom' | 'all' {
  const type = query.get('environment_type') ?? 'all';
  if (type !== 'all' && type !== 'base' && type !== 'custom') {
    throw new HttpError(400, `environment_type must be one of "base", "custom" or "all", not "${type}".`);
  }
  return type;
}

/** The `labels` query filter, `k:v,k2:v2`; empty when absent. */
export function parseLabelFilter(raw: string | null): [string, string][] {
  if (raw === null || raw.trim() === '') {
    return [];
  }
  return raw.split(',').map((pair) => {
    const at = pair.indexOf(':');
    if (at <= 0) {
      throw new HttpError(400, `labels must be given as key:value pairs separated by commas, not "${raw}".`);
    }
    return [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
  });
}

/** Any pair of the filter matches; an empty filter matches everything. */
export function matchesLabels(labels: Record<string, string>, wanted: [string, string][]): boolean {
  return (
    wanted.length === 0 || wanted.some(([k, v]) => Object.prototype.hasOwnProperty.call(labels, k) && labels[k] === v)
  );
}

export function parseBool(raw: string | null, name: string): boolean | undefined {
  if (raw === null) {
    return undefined;
  }
  const v = raw.toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new HttpError(400, `${name} must be true or false, not "${raw}".`);
}

export function contentDisposition(fileName: string): string {
  // Quotes, backslashes and control characters cannot sit in a quoted filename; non-ASCII goes in filename*.
  // eslint-disable-next-line no-control-regex
  const ascii = fileName.replace(/[\u0000-\u001f\u007f"\\]/g, '_').replace(/[^\x20-\x7e]/g, '_');
  const plain = `attachment; filename="${ascii || 'environment.zip'}"`;
  return ascii === fileName ? plain : `${plain}; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}
