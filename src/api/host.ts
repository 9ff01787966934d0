/** Where the official client sends requests when no host is configured. */
export const DEFAULT_API_HOST = 'https://api.ubiops.com/v2.1';

/**
 * Normalises a host as UbiOps' official client does (`docs/ubiops-api/platform-notes.md`, "Connecting"): trims, adds `https://` when no
 * scheme is given, removes trailing slashes and appends `/v2.1` when the URL carries no `/vN` part.
 * Throws a `TypeError` with a message fit for the user when the result is not an http(s) URL.
 */
export function normaliseHost(input: string): string {
  let host = input.trim();
  if (host === '') {
    throw new TypeError('The UbiOps API host is empty. Enter a URL such as https://api.ubiops.com/v2.1.');
  }
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(host)) {
    host = `https://${host}`;
  }
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new TypeError(`"${input.trim()}" is not a valid URL. Enter a URL such as https://api.ubiops.com/v2.1.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError(
      `The UbiOps API host must use https:// (or http:// for a local server), not ${url.protocol}//.`,
    );
  }
  if (url.username || url.password) {
    throw new TypeError('The UbiOps API host must not carry a user name or password; the token is sent separately.');
  }
  url.hash = '';
  url.search = '';
  let path = url.pathname.replace(/\/+$/, '');
  if (!/\/v\d+(\.\d+)?(\/|$)/.test(path)) {
    path = `${path}/v2.1`;
  }
  return `${url.origin}${path}`;
}

/**
 * Normalises a token: the web app hands out tokens that already start with `Token `, and a doubled prefix is
 * rejected by the API, so a pasted prefix (in any case, repeated or not) is removed and the client adds it once.
 */
export function normaliseToken(input: string): string {
  return input
    .trim()
    .replace(/^(token\s+)+/i, '')
    .trim();
}

/** True for hosts on this machine, the only ones a token may be sent to over plain http. */
export function isLoopbackHost(hostname: string): boolean {
  const name = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return name === 'localhost' || name.endsWith('.localhost') || name === '::1' || /^127(\.\d{1,3}){3}$/.test(name);
}
