/**
 * Reading UbiOps' logs endpoint (`GET /projects/{project}/logs`, platform notes "Revisions and builds").
 *
 * Timestamps are integers of nanoseconds since the epoch, past 2^53: `JSON.parse` would round them (two lines a
 * few nanoseconds apart would get the same number, and paging by them would lose or repeat lines). The answer's
 * text is therefore rewritten before parsing so that each `"timestamp": <integer>` becomes a string, which is then
 * read as a BigInt. The rewrite cannot touch text inside a JSON string: there a quote is always escaped, so
 * `"timestamp":` with both quotes bare only occurs as a key. A server that sends no integer gets its nanoseconds
 * from `timestamp_str` (exact when it has nine fractional digits).
 */
import type { UnknownField } from './models';

export type LogLevel = 'info' | 'warning' | 'error';

export interface LogMetadata {
  environment_name?: string;
  environment_build_id?: string;
  // eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents -- names the known levels for readers; the server may send others
  level?: LogLevel | string;
  system?: boolean;
  [field: string]: UnknownField;
}

/** One line of a log, with its timestamp exact. */
export interface LogLine {
  /** Nanoseconds since the epoch. */
  timestamp: bigint;
  timestamp_str: string;
  log: string;
  metadata: LogMetadata;
}

export interface ListLogsOptions {
  /** UbiOps' filter, e.g. ``| environment_name=`env` and environment_build_id=`id` `` (see `buildLogQuery`). */
  query?: string;
  /** Inclusive: nanoseconds since the epoch, a `Date`, or ISO 8601 text. */
  start?: bigint | Date | string;
  /** Exclusive; same forms as `start`. */
  end?: bigint | Date | string;
  /** Lines per answer: the server's default is 1000, its maximum 5000. */
  limit?: number;
  signal?: AbortSignal;
}

export const MAX_LOG_LIMIT = 5000;

/** The filter UbiOps' own client sends for one build's log. */
export function buildLogQuery(environment: string, build: string): string {
  return `| environment_name=\`${environment}\` and environment_build_id=\`${build}\``;
}

export function logTimeParameter(value: bigint | Date | string | undefined): string | undefined {
  if (value === undefined) {
    return undefined;
  }
  return typeof value === 'bigint' ? value.toString() : value instanceof Date ? value.toISOString() : value;
}

/** `JSON.parse` for a logs answer, keeping every `timestamp` integer as its exact text. */
export function parseLogsText(text: string): unknown {
  return JSON.parse(text.replace(/"timestamp"(\s*:\s*)(-?\d+)(?=\s*[,}])/g, '"timestamp"$1"$2"'));
}

/** One parsed item as a `LogLine`, or undefined when it is not an object with a usable timestamp. */
export function toLogLine(item: unknown): LogLine | undefined {
  if (!item || typeof item !== 'object' || Array.isArray(item)) {
    return undefined;
  }
  const raw = item as Record<string, unknown>;
  const timestampStr = typeof raw.timestamp_str === 'string' ? raw.timestamp_str : '';
  const timestamp = nanoseconds(raw.timestamp) ?? nanosecondsFromText(timestampStr);
  if (timestamp === undefined) {
    return undefined;
  }
  const metadata = raw.metadata && typeof raw.metadata === 'object' && !Array.isArray(raw.metadata) ? raw.metadata : {};
  return {
    timestamp,
    timestamp_str: timestampStr,
    log:
      typeof raw.log === 'string' ? raw.log : raw.log === undefined || raw.log === null ? '' : JSON.stringify(raw.log),
    metadata: metadata as LogMetadata,
  };
}

function nanoseconds(value: unknown): bigint | undefined {
  if (typeof value === 'string' && /^-?\d+$/.test(value)) {
    return BigInt(value);
  }
  if (typeof value === 'number' && Number.isFinite(value)) {
    return BigInt(Math.round(value));
  }
  return undefined;
}

/** Nanoseconds of ISO 8601 text (no zone = UTC), exact to the nanosecond; undefined when it is not such text. */
export function nanosecondsFromText(text: string): bigint | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(
    text.trim(),
  );
  if (!m) {
    return undefined;
  }
  const time = m[2].length === 5 ? `${m[2]}:00` : m[2];
  const whole = Date.parse(`${m[1]}T${time}${!m[4] || m[4].toUpperCase() === 'Z' ? 'Z' : offset(m[4])}`);
  return Number.isNaN(whole) ? undefined : BigInt(whole) * 1_000_000n + BigInt((m[3] ?? '').slice(0, 9).padEnd(9, '0'));
}

function offset(text: string): string {
  const digits = text.slice(1).replace(':', '').padEnd(4, '0');
  return `${text[0]}${digits.slice(0, 2)}:${digits.slice(2)}`;
}

/**
 * Reads one build's log page by page, from where it stopped, never losing or repeating a line. UbiOps' client
 * resumes at the last timestamp plus one, which loses the lines that share the last line's nanosecond when a page
 * ends between them; this reader resumes at the last timestamp itself, asks for as many more lines as it has
 * already seen at that nanosecond, and skips those.
 */
export class BuildLogReader {
  private last: bigint | undefined;
  /** Lines already returned whose timestamp is `last`. */
  private seenAtLast = 0;

  constructor(
    private readonly list: (options: ListLogsOptions) => Promise<LogLine[]>,
    private readonly query: string,
    private readonly limit = MAX_LOG_LIMIT,
  ) {}

  /** The next lines (possibly none) and whether the page was full, so that more are already waiting. */
  async next(signal?: AbortSignal): Promise<{ lines: LogLine[]; more: boolean }> {
    // The lines of the last nanosecond come again: ask for that many more, so that a page always has new ones.
    const limit = Math.min(MAX_LOG_LIMIT, this.limit + this.seenAtLast);
    const page = await this.list({ query: this.query, start: this.last, limit, signal });
    let skip = 0;
    while (skip < page.length && skip < this.seenAtLast && page[skip].timestamp === this.last) {
      skip++;
    }
    const lines = page.slice(skip);
    const full = page.length >= limit;
    if (lines.length === 0 && full) {
      // 5000 lines at one nanosecond, all seen: step past it (the only case where a line could be skipped).
      this.last = (this.last ?? 0n) + 1n;
      this.seenAtLast = 0;
      return { lines, more: true };
    }
    for (const line of lines) {
      if (line.timestamp === this.last) {
        this.seenAtLast++;
      } else {
        this.last = line.timestamp;
        this.seenAtLast = 1;
      }
    }
    return { lines, more: full };
  }

  /** Every line not yet returned, page after page. */
  async rest(signal?: AbortSignal, onPage?: (lines: LogLine[]) => void): Promise<LogLine[]> {
    const all: LogLine[] = [];
    for (;;) {
      const { lines, more } = await this.next(signal);
      all.push(...lines);
      onPage?.(lines);
      if (!more) {
        return all;
      }
    }
  }
}
