import type { Dispatcher } from 'undici';
import type { NetworkOptions } from './network';
import type { RequestEvent } from './transport';
import type { RetryOptions, TimeoutOptions, WaitEvent } from './waits';

/** Options every call takes. */
export interface CallOptions {
  /** Cancels the call, down to the socket. The call then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Overall deadline of the call, waits and retries included (default the client's, 5 min). */
  timeoutMs?: number;
  /** Called before each wait of this call ("waiting 30 s for the server (rate limited)"). */
  onWait?: (event: WaitEvent) => void;
}

export interface TransferProgress {
  /** Bytes of the file sent or received so far. */
  bytes: number;
  /** The file's size, when known. */
  total: number | undefined;
}

export interface UbiOpsClientOptions {
  /** API host; normalised (scheme, `/v2.1`). Default `https://api.ubiops.com/v2.1`. */
  host?: string;
  /** API token, with or without its `Token ` prefix. */
  token: string;
  network?: NetworkOptions;
  retry?: RetryOptions;
  /** Deadlines of calls and stall guards of transfers (see `TimeoutOptions`). */
  timeouts?: TimeoutOptions;
  /** Called once per attempt, for the request log. Never receives the token. */
  onRequest?: (event: RequestEvent) => void;
  /** Called before every wait of any call (rate limit, unavailable server, backoff), for the UI to show. */
  onWait?: (event: WaitEvent) => void;
  /** Sent as `User-Agent`. */
  userAgent?: string;
  /** A dispatcher to share (tests, or several clients of one host); the client then does not close it. */
  dispatcher?: Dispatcher;
}
