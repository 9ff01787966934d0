/**
 * The emulator's one clock: build steps, record timestamps, log line timestamps and the "now" that decides which of a
 * running build's log lines are served all read it, so they move together when the wall clock is stepped (NTP at a
 * machine's boot, a laptop waking up). Before, the log's "now" came from the monotonic clock and its lines from the
 * wall clock: once the two had drifted apart, a running build's log stayed empty until the build ended.
 *
 * Durations (a request's time, a rate-limit window, a wait) are measured with `performance.now()` instead: a step of
 * the wall clock must not end a wait early or make one last forever.
 */

const NS_PER_MS = 1_000_000n;
let last = 0;

/**
 * Epoch milliseconds, with sub-millisecond digits for the microseconds UbiOps' timestamps carry. Within one
 * millisecond readings never go back; a real step back of the wall clock is followed (this is the clock records
 * are stamped with, as a server's would be).
 */
export function wallClockMs(): number {
  // eslint-disable-next-line no-restricted-properties -- the one read of the wall clock in the emulator
  const ms = Date.now() + (performance.now() % 1);
  last = ms <= last && last - ms < 1 ? last + 0.001 : ms;
  return last;
}

/** `wallClockMs()` as an integer of nanoseconds since the epoch (log timestamps). */
export function wallClockNs(): bigint {
  return nanosecondsOf(wallClockMs());
}

/** Epoch milliseconds (fractional allowed) as an integer of nanoseconds. */
export function nanosecondsOf(ms: number): bigint {
  const whole = Math.floor(ms);
  return BigInt(whole) * NS_PER_MS + BigInt(Math.floor((ms - whole) * 1e6));
}
