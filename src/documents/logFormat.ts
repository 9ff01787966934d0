import type { LogLine } from '../api';

/* No vscode here: the bench formats 50,000 lines with it in plain Node. */

const LEVELS: Record<string, string> = { error: 'ERROR', warning: 'WARN ', info: 'INFO ' };

/** One document line for a log line: local time to the millisecond, level, and the text made safe to show. */
export function formatLogLine(line: LogLine): string {
  const date = new Date(Number(line.timestamp / 1_000_000n));
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  const time = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
  const level = LEVELS[String(line.metadata.level)] ?? 'INFO ';
  // Server text is untrusted: no terminal escapes, no control characters, one document line per log line.
  const text = line.log
    // eslint-disable-next-line no-control-regex -- terminal escapes are what this removes
    .replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '')
    .replace(/\r?\n|\r/g, ' ⏎ ')
    // eslint-disable-next-line no-control-regex -- control characters are what this removes
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f\u2028\u2029]/g, '');
  return `${time}  ${level}  ${text}`;
}
