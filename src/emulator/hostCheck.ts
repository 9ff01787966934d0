import * as os from 'node:os';

/**
 * Which `Host` headers the emulator answers: names of this machine only, so that a web page whose own name was
 * re-pointed at 127.0.0.1 (DNS rebinding) cannot drive it with the default token. Allowed, with any port:
 * `localhost`, `*.localhost`, every 127.x.x.x, `[::1]`, the address or name it was started with (`--host`) and, when
 * bound to every interface (`0.0.0.0`/`::`), the addresses of this machine's interfaces. A request without a
 * `Host` header (HTTP/1.0) is answered: browsers always send one.
 */
export function hostAllowed(header: string | undefined, boundHost: string): boolean {
  if (header === undefined) return true;
  const name = hostName(header);
  if (name === undefined) return false;
  if (name === 'localhost' || name.endsWith('.localhost') || name === '::1' || /^127(\.\d{1,3}){3}$/.test(name))
    return true;
  const bound = boundHost.replace(/^\[|\]$/g, '').toLowerCase();
  if (name === bound) return true;
  if (bound === '0.0.0.0' || bound === '::' || bound === '') {
    return Object.values(os.networkInterfaces()).some((list) =>
      list?.some((iface) => iface.address.toLowerCase() === name),
    );
  }
  return false;
}

/** The host part of a `Host` header (`name`, `name:port`, `[v6]`, `[v6]:port`), lower-cased; undefined if malformed. */
function hostName(header: string): string | undefined {
  const value = header.trim().toLowerCase();
  const match = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(value) ?? /^([^:[\]\s]+)(?::\d{1,5})?$/.exec(value);
  return match?.[1]?.replace(/\.$/, '');
}
