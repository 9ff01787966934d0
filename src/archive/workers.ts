/**
 * Runs `count` copies of `worker` at once and waits until every one has ended; then throws the first failure, if
 * any. `failed()` tells the others one has failed, so that they stop at their next item rather than work for nothing.
 */
export async function runWorkers(count: number, worker: (failed: () => boolean) => Promise<void>): Promise<void> {
  let failure: { error: unknown } | undefined;
  const failed = () => failure !== undefined;
  await Promise.all(
    Array.from({ length: count }, () =>
      worker(failed).catch((error: unknown) => {
        failure ??= { error };
      }),
    ),
  );
  if (failure) throw failure.error;
}
