import { createHash, createHmac } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';

type Hmac = typeof import('../src/ingress/hmac.ts');

/** A fresh copy of the module, loaded as a runtime without `node:crypto` (Workers) loads it. */
async function withoutNodeCrypto(): Promise<Hmac> {
  vi.resetModules();
  vi.spyOn(process, 'getBuiltinModule').mockImplementation(() => undefined as never);
  return import('../src/ingress/hmac.ts');
}

async function withNodeCrypto(): Promise<Hmac> {
  vi.resetModules();
  return import('../src/ingress/hmac.ts');
}

afterEach(() => {
  vi.restoreAllMocks();
});

const SECRET = "It's a Secret to Everybody";
const BODY = 'Hello, World!';
// From GitHub's "Validating webhook deliveries" documentation.
const GITHUB_VECTOR = '757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

describe.each([
  ['with node:crypto (Node, Lambda)', withNodeCrypto],
  ['with Web Crypto only (Workers)', withoutNodeCrypto],
])('HMAC-SHA256 %s', (_, load) => {
  it('signs as the senders do: hex, base64, of text or bytes, with a text or byte secret', async () => {
    const hmac = await load();
    expect(await hmac.hmacSha256Hex(SECRET, BODY)).toBe(GITHUB_VECTOR);
    expect(await hmac.hmacSha256Hex(new TextEncoder().encode(SECRET), new TextEncoder().encode(BODY))).toBe(
      GITHUB_VECTOR,
    );
    expect(await hmac.hmacSha256Base64(SECRET, BODY)).toBe(
      createHmac('sha256', SECRET).update(BODY).digest('base64'),
    );
    expect(await hmac.sha256Hex('ünïcode')).toBe(createHash('sha256').update('ünïcode').digest('hex'));
  });

  it('a different secret or body gives a different signature', async () => {
    const hmac = await load();
    expect(await hmac.hmacSha256Hex(`${SECRET}!`, BODY)).not.toBe(GITHUB_VECTOR);
    expect(await hmac.hmacSha256Hex(SECRET, `${BODY} `)).not.toBe(GITHUB_VECTOR);
  });
});

describe('without node:crypto, a secret is imported as a key once', () => {
  it('signing again with the same secret imports nothing', async () => {
    const hmac = await withoutNodeCrypto();
    const imports = vi.spyOn(crypto.subtle, 'importKey');
    await hmac.hmacSha256Hex('secret-a', 'one');
    await hmac.hmacSha256Hex('secret-a', 'two');
    await hmac.hmacSha256Base64('secret-a', 'three');
    expect(imports).toHaveBeenCalledTimes(1);
    // The same characters as bytes are another key entry, but the same signature.
    expect(await hmac.hmacSha256Hex(new TextEncoder().encode('secret-a'), 'one')).toBe(
      await hmac.hmacSha256Hex('secret-a', 'one'),
    );
    expect(imports).toHaveBeenCalledTimes(2);
  });

  it('keeps at most 64 keys, dropping the one used least recently', async () => {
    const hmac = await withoutNodeCrypto();
    const imports = vi.spyOn(crypto.subtle, 'importKey');
    for (let i = 0; i < 64; i++) await hmac.hmacSha256Hex(`secret-${i}`, 'x');
    await hmac.hmacSha256Hex('secret-0', 'x'); // used again: now the most recent
    await hmac.hmacSha256Hex('secret-64', 'x'); // the 65th: secret-1 goes
    expect(imports).toHaveBeenCalledTimes(65);
    await hmac.hmacSha256Hex('secret-0', 'x');
    expect(imports).toHaveBeenCalledTimes(65);
    await hmac.hmacSha256Hex('secret-1', 'x');
    expect(imports).toHaveBeenCalledTimes(66);
  });
});

describe('with node:crypto, a secret given as text is made a key once', () => {
  /** The module loaded over a `node:crypto` whose keys are counted. */
  async function countingKeys(): Promise<{ hmac: Hmac; made: () => number }> {
    vi.resetModules();
    const nodeCrypto = process.getBuiltinModule('node:crypto');
    let made = 0;
    const counting = {
      ...nodeCrypto,
      createSecretKey: (key: Uint8Array) => {
        made += 1;
        return nodeCrypto.createSecretKey(key);
      },
    };
    vi.spyOn(process, 'getBuiltinModule').mockImplementation(((id: string) =>
      id === 'node:crypto' ? counting : undefined) as never);
    return { hmac: await import('../src/ingress/hmac.ts'), made: () => made };
  }

  it('signing again with the same secret makes no key, and signs as the text secret did', async () => {
    const { hmac, made } = await countingKeys();
    expect(await hmac.hmacSha256Hex(SECRET, BODY)).toBe(GITHUB_VECTOR);
    expect(await hmac.hmacSha256Hex(SECRET, new TextEncoder().encode(BODY))).toBe(GITHUB_VECTOR);
    expect(await hmac.hmacSha256Base64('sécret ✓', BODY)).toBe(
      createHmac('sha256', 'sécret ✓').update(BODY).digest('base64'),
    );
    expect(made()).toBe(2);
  });

  it('keeps at most 64 keys, dropping the one used least recently', async () => {
    const { hmac, made } = await countingKeys();
    for (let i = 0; i < 64; i++) await hmac.hmacSha256Hex(`secret-${i}`, 'x');
    await hmac.hmacSha256Hex('secret-0', 'x');
    await hmac.hmacSha256Hex('secret-64', 'x');
    expect(made()).toBe(65);
    await hmac.hmacSha256Hex('secret-0', 'x');
    expect(made()).toBe(65);
    await hmac.hmacSha256Hex('secret-1', 'x');
    expect(made()).toBe(66);
  });
});

describe('with node:crypto, Web Crypto is not used at all', () => {
  it('signs and hashes without a Web Crypto call', async () => {
    const hmac = await withNodeCrypto();
    const sign = vi.spyOn(crypto.subtle, 'sign');
    const digest = vi.spyOn(crypto.subtle, 'digest');
    await hmac.hmacSha256Hex(SECRET, BODY);
    await hmac.sha256Hex(BODY);
    expect(sign).not.toHaveBeenCalled();
    expect(digest).not.toHaveBeenCalled();
  });
});

describe('timingSafeEqual', () => {
  it('is true only for the same text', async () => {
    const { timingSafeEqual } = await withNodeCrypto();
    expect(timingSafeEqual('sha256=abc', 'sha256=abc')).toBe(true);
    expect(timingSafeEqual('sha256=abc', 'sha256=abd')).toBe(false);
    expect(timingSafeEqual('sha256=abc', 'sha256=ab')).toBe(false);
    expect(timingSafeEqual('', '')).toBe(true);
  });

  it('tells apart text that differs past the shorter one, or only outside ASCII', async () => {
    const { timingSafeEqual } = await withNodeCrypto();
    expect(timingSafeEqual('sha256=ab', 'sha256=ab\u0000')).toBe(false);
    expect(timingSafeEqual('café', 'cafe')).toBe(false);
    expect(timingSafeEqual('café 🚀', 'café 🚀')).toBe(true);
    expect(timingSafeEqual('🚀', '🚁')).toBe(false);
  });
});
