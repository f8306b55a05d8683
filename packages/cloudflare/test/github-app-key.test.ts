import { GithubAppAuth } from '@software-factory/providers/registry';
import { describe, expect, it } from 'vitest';

// A GitHub App on Workers: the key GitHub hands out is PKCS#1 PEM, which WebCrypto does not import as
// it is; the App's JWT is still signed here, in workerd, and GitHub's side (played by the `fetch` the
// auth is given) verifies it with the App's public key before it issues an installation token.

const APP_ID = '424242';
const INSTALLATION = 7001;
const ALGORITHM = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

/** A fresh App key pair; the private key as PEM in PKCS#1 (GitHub's) or PKCS#8. */
async function appKey(format: 'pkcs1' | 'pkcs8'): Promise<{ pem: string; publicKey: CryptoKey }> {
  const pair = (await crypto.subtle.generateKey(
    { ...ALGORITHM, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
    true,
    ['sign', 'verify'],
  )) as CryptoKeyPair;
  const pkcs8 = new Uint8Array((await crypto.subtle.exportKey('pkcs8', pair.privateKey)) as ArrayBuffer);
  // PrivateKeyInfo of a 2048-bit key: 26 bytes of envelope (SEQUENCE, version, rsaEncryption, the
  // OCTET STRING's tag and two-byte length), then the PKCS#1 RSAPrivateKey.
  expect([pkcs8[22], pkcs8[23]]).toEqual([0x04, 0x82]);
  const der = format === 'pkcs1' ? pkcs8.slice(26) : pkcs8;
  const label = format === 'pkcs1' ? 'RSA PRIVATE KEY' : 'PRIVATE KEY';
  const body = btoa(String.fromCharCode(...der)).replace(/.{64}/g, '$&\n');
  return { pem: `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`, publicKey: pair.publicKey };
}

/** GitHub's token exchange: 201 with a token for a JWT the public key verifies, else 401. */
function github(publicKey: CryptoKey, calls: string[]): typeof fetch {
  return async (input, init) => {
    const url = String(input);
    calls.push(`${init?.method} ${new URL(url).pathname}`);
    const jwt = /^Bearer (.+)$/.exec(new Headers(init?.headers).get('authorization') ?? '')?.[1] ?? '';
    const [head = '', claims = '', signature = ''] = jwt.split('.');
    const bytes = (text: string) =>
      Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (char) => char.charCodeAt(0));
    const verified = await crypto.subtle.verify(
      ALGORITHM,
      publicKey,
      bytes(signature),
      new TextEncoder().encode(`${head}.${claims}`),
    );
    const iss = (JSON.parse(new TextDecoder().decode(bytes(claims))) as { iss?: unknown }).iss;
    if (!verified || iss !== APP_ID)
      return Response.json({ message: 'A JSON web token could not be decoded' }, { status: 401 });
    const expires_at = new Date(Date.now() + 3_600_000).toISOString();
    return Response.json({ token: 'ghs_installation_token', expires_at }, { status: 201 });
  };
}

describe('a GitHub App on Workers', () => {
  it.each(['pkcs1', 'pkcs8'] as const)(
    'signs its JWT with a %s key and exchanges it for an installation token',
    async (format) => {
      const { pem, publicKey } = await appKey(format);
      const calls: string[] = [];
      const auth = new GithubAppAuth({
        credentials: { appId: APP_ID, privateKey: pem },
        installationId: INSTALLATION,
        baseUrl: 'https://api.github.test',
        fetch: github(publicKey, calls),
      });
      expect(await auth.token()).toBe('ghs_installation_token');
      expect(calls).toEqual([`POST /app/installations/${INSTALLATION}/access_tokens`]);
    },
  );

  it("a JWT signed with another App's key is refused: needs-auth", async () => {
    const { pem } = await appKey('pkcs1');
    const other = await appKey('pkcs1');
    const auth = new GithubAppAuth({
      credentials: { appId: APP_ID, privateKey: pem },
      installationId: INSTALLATION,
      baseUrl: 'https://api.github.test',
      fetch: github(other.publicKey, []),
      retry: { sleep: async () => {} },
    });
    expect(await auth.check()).toMatchObject({ state: 'needs-auth' });
  });
});
