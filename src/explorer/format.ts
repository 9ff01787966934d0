/** `1.2 GB`, `340 MB`, `12 KB`: decimal units, as UbiOps' web app and `ls -h --si` show sizes. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 || value >= 100 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/** A server timestamp in the user's locale, to the minute; the raw value when it does not parse. */
export function formatDate(timestamp: string | null | undefined): string {
  if (!timestamp) {
    return '';
  }
  const date = new Date(timestamp);
  if (Number.isNaN(date.getTime())) {
    return timestamp;
  }
  return date.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** Newest first, by a server timestamp. */
export function newestFirst<T extends { creation_date: string }>(items: T[]): T[] {
  return [...items].sort((a, b) => Date.parse(b.creation_date) - Date.parse(a.creation_date));
}
