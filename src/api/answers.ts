import { UbiOpsApiError } from './errors';
import { type Shape, shapeProblem } from './shapes';
import type { RequestSpec, Transport } from './transport';

/**
 * A JSON object answer; anything else is a clear error rather than a crash further on. With a `shape`, the
 * answer is capped at its size and must have its fields (`shapes.ts`).
 */
export async function readObject<T>(transport: Transport, spec: RequestSpec, shape?: Shape): Promise<T> {
  const value = await transport.json<unknown>(shape ? { maxBytes: shape.maxBytes, ...spec } : spec);
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw shapeError(transport, spec, 'an object', value);
  }
  const problem = shape && shapeProblem(value, shape);
  if (problem) {
    throw shapeError(transport, spec, shape.what, value, `but ${problem}`);
  }
  return value as T;
}

/**
 * A JSON array answer of objects; unknown fields in the objects are kept. With a `shape`, the answer is capped at
 * its size and item count before it is parsed, and every item must have the shape's fields: a list the explorer
 * could not show is refused whole, before any node is built.
 */
export async function readArray<T>(transport: Transport, spec: RequestSpec, shape?: Shape): Promise<T[]> {
  const value = await transport.json<unknown>(
    shape ? { maxBytes: shape.maxBytes, maxItems: shape.maxItems, ...spec } : spec,
  );
  if (!Array.isArray(value) || value.some((item) => !item || typeof item !== 'object' || Array.isArray(item))) {
    throw shapeError(transport, spec, 'a list of objects', value);
  }
  if (shape) {
    for (const [index, item] of value.entries()) {
      const problem = shapeProblem(item, shape);
      if (problem) {
        throw shapeError(
          transport,
          spec,
          `a list of ${shape.what.replace(/^an? /, '')} objects`,
          value,
          `but in item ${index + 1}, ${problem}`,
        );
      }
    }
  }
  return value as T[];
}

export function shapeError(
  transport: Transport,
  spec: RequestSpec,
  expected: string,
  value: unknown,
  problem?: string,
): UbiOpsApiError {
  const got = problem ?? `got ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value}`;
  return new UbiOpsApiError({
    method: spec.method,
    path: spec.path,
    host: transport.host,
    message: `${spec.method} ${spec.path}: expected ${expected} from ${transport.host}, ${got}. Is the host a UbiOps API?`,
  });
}
