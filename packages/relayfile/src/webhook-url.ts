/**
 * Why relayfile's cloud would not deliver to a webhook URL, or undefined when it would.
 *
 * relayfile's conformance suite (AgentWorkforce/relayfile, scripts/conformance.ts, "SSRF rejection")
 * expects `400 invalid_webhook_url` for a plain-http URL and for a loopback one (`https://127.0.0.1/…`).
 * The cloud's full list is not public, so this is the conservative reading of the same rule: the URL is
 * https and names a host relayfile can reach over the internet, not this machine nor a private network.
 * A host name is judged by its spelling (`localhost`, `*.localhost`); one that resolves to a private
 * address is not looked up here.
 */
export function webhookUrlProblem(url: URL): string | undefined {
  if (url.protocol !== 'https:')
    return `it is ${url.protocol.replace(/:$/, '')}, and relayfile delivers only to https`;
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return `${host} is this machine (loopback)`;
  const v4 = ipv4Of(host);
  if (v4) return ipv4Problem(v4, host);
  if (host.startsWith('[') && host.endsWith(']')) return ipv6Problem(host.slice(1, -1), host);
  return undefined;
}

function ipv4Of(host: string): number[] | undefined {
  const parts = host.split('.');
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part))) return undefined;
  const bytes = parts.map(Number);
  return bytes.every((byte) => byte <= 255) ? bytes : undefined;
}

function ipv4Problem([a = 0, b = 0]: number[], host: string): string | undefined {
  if (a === 127) return `${host} is this machine (loopback)`;
  if (a === 0) return `${host} is not an address relayfile can post to`;
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168))
    return `${host} is a private network address`;
  if (a === 169 && b === 254) return `${host} is a link-local address`;
  if (a === 100 && b >= 64 && b <= 127) return `${host} is a shared (carrier-grade NAT) address`;
  return undefined;
}

function ipv6Problem(address: string, host: string): string | undefined {
  // URL() writes IPv6 in its shortest form; an IPv4-mapped one ends in hex, e.g. ::ffff:7f00:1.
  if (address === '::1') return `${host} is this machine (loopback)`;
  if (address === '::') return `${host} is not an address relayfile can post to`;
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(address);
  if (mapped) {
    const high = Number.parseInt(mapped[1] ?? '0', 16);
    const low = Number.parseInt(mapped[2] ?? '0', 16);
    return ipv4Problem([high >> 8, high & 255, low >> 8, low & 255], host);
  }
  const first = Number.parseInt(address.split(':')[0] || '0', 16);
  if ((first & 0xfe00) === 0xfc00) return `${host} is a private (unique local) address`;
  if ((first & 0xffc0) === 0xfe80) return `${host} is a link-local address`;
  return undefined;
}
