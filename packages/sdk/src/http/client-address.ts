import type { Context } from 'hono';

/** An address as bytes: 4 for IPv4 (an IPv4-mapped IPv6 address counts as IPv4), 16 for IPv6. */
function parseIp(input: string): Uint8Array | undefined {
  const text = input
    .trim()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/%.*$/, '');
  const v4 = parseIpv4(text);
  if (v4) return v4;
  const v6 = parseIpv6(text);
  if (!v6) return undefined;
  const mapped = v6.slice(0, 10).every((byte) => byte === 0) && v6[10] === 0xff && v6[11] === 0xff;
  return mapped ? v6.slice(12) : v6;
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = parts.map((part) => (/^(0|[1-9]\d{0,2})$/.test(part) ? Number(part) : Number.NaN));
  return bytes.every((byte) => byte <= 255) ? new Uint8Array(bytes) : undefined;
}

function parseIpv6(text: string): Uint8Array | undefined {
  if (!text.includes(':')) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string | undefined): number[] | undefined => {
    if (!half) return [];
    const out: number[] = [];
    const parts = half.split(':');
    for (const [index, part] of parts.entries()) {
      if (index === parts.length - 1 && part.includes('.')) {
        const v4 = parseIpv4(part);
        if (!v4) return undefined;
        out.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
      } else if (/^[0-9a-f]{1,4}$/i.test(part)) out.push(Number.parseInt(part, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...Array.from({ length: halves.length === 2 ? missing : 0 }, () => 0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((group, index) => {
    bytes[index * 2] = group >> 8;
    bytes[index * 2 + 1] = group & 0xff;
  });
  return bytes;
}

interface Network {
  bytes: Uint8Array;
  prefix: number;
}

function parseNetwork(entry: string): Network | undefined {
  const [address, prefixText, ...rest] = entry.trim().split('/');
  if (rest.length > 0 || address === undefined) return undefined;
  const bytes = parseIp(address);
  if (!bytes) return undefined;
  const bits = bytes.length * 8;
  if (prefixText === undefined) return { bytes, prefix: bits };
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  // An IPv4-mapped network written in IPv6 form counts its prefix over the IPv4 part.
  const written = Number(prefixText);
  const prefix = bytes.length === 4 && address.includes(':') ? written - 96 : written;
  return prefix >= 0 && prefix <= bits ? { bytes, prefix } : undefined;
}

function contains(network: Network, address: Uint8Array): boolean {
  if (network.bytes.length !== address.length) return false;
  for (let bit = 0; bit < network.prefix; bit++) {
    const mask = 0x80 >> (bit % 8);
    const byte = Math.floor(bit / 8);
    if (((network.bytes[byte] as number) & mask) !== ((address[byte] as number) & mask)) return false;
  }
  return true;
}

/** True for an IP address (v4 or v6) or a CIDR range such as `10.0.0.0/8` or `fd00::/8`. */
export function isIpOrCidr(value: string): boolean {
  return parseNetwork(value) !== undefined;
}

/** The proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` the app believes. */
export class TrustedProxies {
  readonly #networks: Network[];

  /** Throws naming the first entry that is neither an IP address nor a CIDR range. */
  constructor(entries: readonly string[] = []) {
    this.#networks = entries.map((entry) => {
      const network = parseNetwork(entry);
      if (!network) throw new Error(`trusted proxy "${entry}" is not an IP address or CIDR range`);
      return network;
    });
  }

  get empty(): boolean {
    return this.#networks.length === 0;
  }

  includes(address: string | undefined): boolean {
    if (address === undefined) return false;
    const bytes = parseIp(address);
    return bytes !== undefined && this.#networks.some((network) => contains(network, bytes));
  }
}

/** Who sent a request, as far as the app can tell. */
export interface RequestClient {
  /** The client's address: the runtime's peer, or the one a trusted proxy forwarded for. */
  address: string | undefined;
  /** The client reached us over https: the request URL says so, or a trusted proxy does. */
  https: boolean;
}

/**
 * The client of a request. `peer` is the runtime's own view of the connection (Node's socket, the
 * Lambda event's source IP, Cloudflare's `CF-Connecting-IP`); forwarding headers count only when that
 * peer is a trusted proxy. `X-Forwarded-For` is read right to left, skipping trusted proxies, so a
 * client cannot choose its own address by sending the header itself.
 */
export function requestClient(c: Context, peer: string | undefined, trusted: TrustedProxies): RequestClient {
  const ownHttps = new URL(c.req.url).protocol === 'https:';
  if (!trusted.includes(peer)) return { address: peer, https: ownHttps };
  const hops = (c.req.header('x-forwarded-for') ?? '')
    .split(',')
    .map((hop) => hop.trim())
    .filter((hop) => parseIp(hop) !== undefined);
  let address = peer;
  for (let index = hops.length - 1; index >= 0; index--) {
    address = hops[index];
    if (!trusted.includes(address)) break;
  }
  const proto = (c.req.header('x-forwarded-proto') ?? '').split(',')[0]?.trim().toLowerCase();
  return { address, https: ownHttps || proto === 'https' };
}
