/** What a worker of `inOrder` has of its own. */
export interface Turn {
  /** True once another worker has failed: stop at the next step rather than work for nothing. */
  failed(): boolean;
  /** A buffer of this worker's, allocated on first use and reused from item to item. */
  buffer(bytes: number): Buffer;
}

/**
 * Works through `items` in order with up to `count` workers at once: each takes the next item when done with its
 * own. `beforeEach` runs before each item and may throw to stop (a cancellation). Waits until every worker has
 * ended; then throws the first failure, if any, after which no worker took another item.
 */
export async function inOrder<T>(
  items: readonly T[],
  count: number,
  beforeEach: () => void,
  work: (item: T, index: number, turn: Turn) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const failed = () => failure !== undefined;
  const worker = async () => {
    let own: Buffer | undefined;
    const turn: Turn = { failed, buffer: (bytes) => (own ??= Buffer.allocUnsafeSlow(bytes)) };
    while (!failed() && next < items.length) {
      beforeEach();
      const index = next++;
      await work(items[index], index, turn);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(count, items.length) }, () =>
      worker().catch((error: unknown) => {
        failure ??= { error };
      }),
    ),
  );
  if (failure) throw failure.error;
}
