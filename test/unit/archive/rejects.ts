import assert from 'node:assert/strict';

/**
 * Awaits `promise`, which must fail with an error of `type` (PackError, ExtractError) with `code`, and a message
 * matching `message` if given; returns that error.
 */
export async function rejectsWithCode<E extends Error & { code: string }>(
  type: abstract new (...args: never[]) => E,
  promise: Promise<unknown>,
  code: string,
  message?: RegExp,
): Promise<E> {
  let caught: unknown;
  await promise.catch((error: unknown) => (caught = error));
  assert.ok(caught instanceof type, `expected ${type.name}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (message) assert.match(caught.message, message);
  return caught;
}
