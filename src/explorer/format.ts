export { formatBytes } from '../archive/format';

/** A server timestamp in the user's locale, to the minute; the raw value when it does not parse. */
export function formatDate(timestamp: string | null | undefined): string {
  if (!timestamp) {
    return '';
  }
  const date = new Date(timestamp);
  if (Number.isNaN(date.getTime())) {
    return timestamp;
  }
  return date.toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

/** Newest first, by a server timestamp. */
export function newestFirst<T extends { creation_date: string }>(items: T[]): T[] {
  return [...items].sort((a, b) => Date.parse(b.creation_date) - Date.parse(a.creation_date));
}
