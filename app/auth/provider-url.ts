import { isIPv4 } from 'node:net';

/**
 * Whether keel may fetch an identity provider's discovery document or key set from this URL: https, or plain
 * http only on this machine (127.0.0.0/8, [::1], localhost), where no one on the network can swap the keys.
 * A URL with credentials in it is refused: they would end up in logs and errors.
 */
export function isAllowedProviderUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.username !== '' || parsed.password !== '') return false;
  if (parsed.protocol === 'https:') return parsed.hostname !== '';
  return parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname);
}

/** URL has already normalised the host: lower case, IPv4 in dotted decimal (127.1 → 127.0.0.1), IPv6 in brackets. */
function isLoopbackHost(hostname: string): boolean {
  if (hostname === 'localhost' || hostname === '[::1]') return true;
  return isIPv4(hostname) && hostname.startsWith('127.');
}
