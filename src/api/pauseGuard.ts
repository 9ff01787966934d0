import type { Dispatcher } from 'undici';

type Headers = Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseStart']>>[2];

/**
 * Keeps undici 7 from crashing the process when a server closes the connection after an answer whose reader is
 * slower than the network (nodejs/undici#5360, fixed in undici 8 only, which needs Node 22.19).
 *
 * The trigger: when the reader of an answer's body falls behind, the body stream asks undici to pause its HTTP
 * parser. If the parser is paused on the last bytes of an answer that does not keep the connection alive
 * (`Connection: close`, or a body that ends when the connection does), the socket's end reaches a paused parser,
 * and `Parser.finish()` throws an AssertionError from a socket event handler: no caller can catch it. A pause
 * anywhere else is harmless, because then bytes of the answer are still unread: they come before the server's FIN,
 * so the socket cannot end while the parser waits.
 *
 * The guard removes the trigger and keeps backpressure: a pause asked for on the chunk that completes an answer of
 * known length is not passed on (that chunk, at most one socket read, is buffered past the stream's high-water
 * mark, and the answer ends at once); an answer without a length that is not chunked (it ends with the connection)
 * is never paused, as the end cannot be seen coming. A chunked answer needs nothing: its terminating chunk always
 * follows the last data.
 */
export const pauseGuard: Dispatcher.DispatchInterceptor = (dispatch) => (options, handler) =>
  dispatch(options, new PauseGuardHandler(handler));

class PauseGuardHandler implements Dispatcher.DispatchHandler {
  /** Bytes of the body still to come: a number for a known length, Infinity when chunked, undefined to the close. */
  private remaining: number | undefined = Infinity;
  private controller: Dispatcher.DispatchController | undefined;
  private readonly guarded: Dispatcher.DispatchController;

  constructor(private readonly handler: Dispatcher.DispatchHandler) {
    const outer = () => this.controller!;
    const pausable = () => this.remaining !== undefined && this.remaining > 0;
    this.guarded = {
      get aborted() {
        return outer().aborted;
      },
      get paused() {
        return outer().paused;
      },
      get reason() {
        return outer().reason;
      },
      abort: (reason: Error) => outer().abort(reason),
      pause: () => {
        if (pausable()) outer().pause();
      },
      resume: () => outer().resume(),
    };
  }

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.controller = controller;
    this.handler.onRequestStart?.(this.guarded, context);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Headers,
    statusMessage?: string,
  ): void {
    this.controller = controller;
    const length = Number(headers['content-length']);
    const encoding = String(headers['transfer-encoding'] ?? '').toLowerCase();
    this.remaining = encoding.includes('chunked')
      ? Infinity
      : headers['content-length'] !== undefined && Number.isFinite(length)
        ? length
        : undefined;
    this.handler.onResponseStart?.(this.guarded, statusCode, headers, statusMessage);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.controller = controller;
    if (this.remaining !== undefined) this.remaining -= chunk.length;
    this.handler.onResponseData?.(this.guarded, chunk);
  }

  onResponseEnd(controller: Dispatcher.DispatchController, trailers: Headers): void {
    this.controller = controller;
    this.handler.onResponseEnd?.(this.guarded, trailers);
  }

  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    this.controller = controller;
    this.handler.onResponseError?.(this.guarded, error);
  }
}
