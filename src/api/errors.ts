/**
 * The one error type of the client. It carries what a user (or a log reader) needs to act: which call, which host,
 * which status, the server's own message and, for a rate limit, when to try again. A network failure has no status;
 * `cause` names what went wrong (ECONNREFUSED, a timeout, a TLS problem).
 *
 * Cancellation is not an error of this type: an aborted call rejects with the signal's reason (an `AbortError`),
 * so callers can tell "the user cancelled" from "it failed".
 */
export class UbiOpsApiError extends Error {
  /** HTTP method of the failed call. */
  readonly method: string;
  /** Path of the call below the API base, e.g. `/projects/p/environments`. */
  readonly path: string;
  /** Host name (and port) the call went to. Never contains credentials. */
  readonly host: string;
  /** HTTP status, or undefined when no answer came (network failure, timeout). */
  readonly status: number | undefined;
  /** The server's own message (`error`, `error_message` or `detail`), as it sent it. */
  readonly serverMessage: string | undefined;
  /** For 429 (and 503 with Retry-After): seconds to wait before trying again. */
  readonly retryAfterSeconds: number | undefined;
  /** For network failures: the system error code or kind, e.g. `ECONNREFUSED`, `UND_ERR_CONNECT_TIMEOUT`. */
  readonly code: string | undefined;

  constructor(init: {
    method: string;
    path: string;
    host: string;
    status?: number;
    serverMessage?: string;
    retryAfterSeconds?: number;
    code?: string;
    message: string;
    cause?: unknown;
    /** Values that must not appear in the error's texts (the API token): each is replaced by `[redacted]`. */
    secrets?: readonly string[];
  }) {
    super(redactSecrets(init.message, init.secrets), init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'UbiOpsApiError';
    this.method = init.method;
    this.path = init.path;
    this.host = init.host;
    this.status = init.status;
    this.serverMessage = init.serverMessage === undefined ? undefined : redactSecrets(init.serverMessage, init.secrets);
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.code = init.code;
  }

  /** True when no answer came from the server. */
  get isNetworkError(): boolean {
    return this.status === undefined;
  }
}

/**
 * Removes credentials from a text that goes into an error: every given secret (the token, wherever it appears, as a
 * server that echoes the `Authorization` header would put it) and any `Token …`/`Bearer …` value. Every error of the
 * client passes through here (the `UbiOpsApiError` constructor), so the token reaches no message, notification,
 * tooltip or log through an error.
 */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length >= 4) result = result.split(secret).join('[redacted]');
  }
  // A credential after the scheme word: one that holds a digit, or is long (UbiOps tokens are 40 hex digits); not
  // the word that follows "Token" in a sentence ("Token expired").
  return result.replace(
    /\b(Token|Bearer|token|bearer)(\s*[:=]\s*|\s+)([^\s"',;)}\]]+)/g,
    (whole, scheme: string, gap: string, value: string) =>
      /\d/.test(value) || value.length >= 20 ? `${scheme}${gap}[redacted]` : whole,
  );
}

/** What to tell a user to do next for a status, appended to the message. */
export function adviceForStatus(status: number): string {
  switch (status) {
    case 401:
      return 'Check the API token: it may be wrong, expired or revoked. Sign in again with a valid token.';
    case 403:
      return 'The token has no permission for this. Ask a project admin for access, or use a token with more rights.';
    case 404:
      return 'It may have been deleted or renamed: refresh and try again.';
    case 413:
      return 'The upload is too large for the server.';
    case 429:
      return 'UbiOps is limiting the request rate.';
    default:
      return status >= 500 ? 'UbiOps had a problem answering; try again in a moment.' : '';
  }
}

/**
 * Reads the server's message from an error body: `error`, `error_message` or `detail`, which may be a string,
 * a list or an object of field errors. Falls back to the text itself when it is short and not HTML.
 */
export function serverMessageFromBody(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') {
    return undefined;
  }
  try {
    const body: unknown = JSON.parse(trimmed);
    if (body && typeof body === 'object' && !Array.isArray(body)) {
      const record = body as Record<string, unknown>;
      for (const key of ['error', 'error_message', 'detail', 'message']) {
        const message = flatten(record[key]);
        if (message) {
          return message;
        }
      }
      return flatten(record);
    }
    return flatten(body);
  } catch {
    if (trimmed.startsWith('<')) {
      return undefined;
    }
    return trimmed.length > 300 ? `${trimmed.slice(0, 300)}…` : trimmed;
  }
}

function flatten(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') {
    return undefined;
  }
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  if (Array.isArray(value)) {
    const parts = value.map(flatten).filter((part): part is string => !!part);
    return parts.length ? parts.join(' ') : undefined;
  }
  if (typeof value === 'object') {
    // DRF field errors: {"name": ["This field is required."]}
    const parts = Object.entries(value as Record<string, unknown>)
      .map(([key, inner]) => {
        const message = flatten(inner);
        return message ? `${key}: ${message}` : undefined;
      })
      .filter((part): part is string => !!part);
    return parts.length ? parts.join('; ') : undefined;
  }
  return undefined;
}
