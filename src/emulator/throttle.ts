import { Transform, type TransformCallback } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

/** Slices handed on at once: at 100 Mbit/s, 64 KiB is 5 ms of the link. */
const SLICE_BYTES = 64 * 1024;
/** Waits shorter than this are not slept: the debt carries over to the next slice, so the average rate holds. */
const MIN_SLEEP_MS = 2;

/**
 * A token bucket of `bytesPerSecond`, holding at most `burstBytes`: an idle link lets a burst through at once, then
 * bytes pass at the rate. Kept as the time the bucket's debt is paid off, so no timer runs while nothing is sent.
 */
export class TokenBucket {
  private paidUntil = -Infinity;
  readonly burstBytes: number;

  constructor(
    readonly bytesPerSecond: number,
    burstBytes?: number,
  ) {
    // 10 ms of the link, at least 16 KiB: enough for the headers and a small answer to go at once.
    this.burstBytes = burstBytes ?? Math.max(16 * 1024, Math.round(bytesPerSecond / 100));
  }

  /** Takes `bytes` and returns how many milliseconds to wait before they may go. */
  take(bytes: number, now = performance.now()): number {
    const burstMs = (this.burstBytes / this.bytesPerSecond) * 1000;
    this.paidUntil = Math.max(this.paidUntil, now - burstMs) + (bytes / this.bytesPerSecond) * 1000;
    return Math.max(0, this.paidUntil - now);
  }
}

/** Megabits a second (as links are sold: 10^6 bits) to bytes a second. */
export function megabitsToBytes(mbps: number): number {
  return (mbps * 1_000_000) / 8;
}

/**
 * A pass-through stream that lets bytes out no faster than `bucket` allows. Piped between a socket's request and
 * its reader (or a file and the answer), its backpressure reaches the socket, and TCP slows the other side down.
 */
export function throttle(bucket: TokenBucket): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      void (async () => {
        for (let at = 0; at < chunk.length; at += SLICE_BYTES) {
          const slice = chunk.subarray(at, at + SLICE_BYTES);
          const wait = bucket.take(slice.length);
          if (wait >= MIN_SLEEP_MS) await sleep(wait);
          this.push(slice);
        }
      })().then(() => callback(), callback);
    },
  });
}
