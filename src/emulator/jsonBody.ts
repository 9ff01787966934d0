/** The JSON body parser of the emulator, and the checks of a JSON object's fields. */
import type * as http from 'node:http';
import { HttpError } from './http';

const MAX_JSON_BYTES = 1024 * 1024;

function tooLarge(): HttpError {
  return new HttpError(413, `The request body is larger than the limit of ${MAX_JSON_BYTES} bytes.`, {}, true);
}

/** The parsed body; undefined when there is none or it is blank. At most 1 MiB, of a JSON content type. */
export async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const declared = req.headers['content-length'];
  const hasBody = (declared !== undefined && declared !== '0') || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody) {
    return undefined;
  }
  if (Number(declared) > MAX_JSON_BYTES) {
    throw tooLarge();
  }
  const type = (req.headers['content-type'] ?? '').toLowerCase().split(';')[0].trim();
  if (type !== 'application/json' && !type.endsWith('+json')) {
    throw new HttpError(415, `Unsupported media type "${type || 'none'}": send application/json.`, {}, true);
  }
  const text = await readText(req);
  if (text.trim() === '') {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `Malformed JSON: ${(err as Error).message}`);
  }
}

function readText(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  return new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > MAX_JSON_BYTES) {
        req.removeListener('data', onData);
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) {
        reject(new HttpError(400, 'The request body was interrupted.'));
      }
    });
  });
}

export function asObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) {
    return {};
  }
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'The request body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}

export function requireString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (value === undefined || value === null || value === '') {
    throw new HttpError(400, `The field "${field}" is required.`);
  }
  if (typeof value !== 'string') {
    throw new HttpError(400, `The field "${field}" must be a string.`);
  }
  return value;
}

export function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'string') {
    throw new HttpError(400, `The field "${field}" must be a string.`);
  }
  return value;
}
