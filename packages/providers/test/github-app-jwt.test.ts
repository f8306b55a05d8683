import { generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { githubAppJwt } from '../src/github/app-jwt.ts';

// The JWT a GitHub App authenticates with, signed through WebCrypto (no library, the same code on Node
// and Workers), and checked here as GitHub checks it: RS256 with the App's public key.

const NOW = Date.parse('2026-05-04T10:00:00Z');

function keyPair(modulusLength: number, type: 'pkcs1' | 'pkcs8') {
  return generateKeyPairSync('rsa', {
    modulusLength,
    privateKeyEncoding: { type, format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
}

function decode(jwt: string, publicKey: string) {
  const [head = '', body = '', signature = ''] = jwt.split('.');
  return {
    header: JSON.parse(Buffer.from(head, 'base64url').toString('utf8')) as unknown,
    claims: JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as unknown,
    verified: verify(
      'RSA-SHA256',
      Buffer.from(`${head}.${body}`),
      publicKey,
      Buffer.from(signature, 'base64url'),
    ),
    urlSafe: /^[\w-]+\.[\w-]+\.[\w-]+$/.test(jwt),
  };
}

describe('githubAppJwt', () => {
  it.each([
    ['the PKCS#1 key GitHub hands out (BEGIN RSA PRIVATE KEY)', 2048, 'pkcs1'],
    ['a PKCS#8 key (BEGIN PRIVATE KEY)', 2048, 'pkcs8'],
    ['a 4096-bit PKCS#1 key', 4096, 'pkcs1'],
  ] as const)(
    'signs with %s: RS256 the public key verifies, iss the App, ten minutes from 30 s back',
    async (_, bits, type) => {
      const { privateKey, publicKey } = keyPair(bits, type);
      expect(privateKey).toContain(type === 'pkcs1' ? 'BEGIN RSA PRIVATE KEY' : 'BEGIN PRIVATE KEY');
      const jwt = await githubAppJwt('424242', privateKey, NOW);
      const iat = NOW / 1000 - 30;
      expect(decode(jwt, publicKey)).toEqual({
        header: { alg: 'RS256', typ: 'JWT' },
        claims: { iat, exp: iat + 600, iss: '424242' },
        verified: true,
        urlSafe: true,
      });
    },
  );

  it("a signature another App's key made does not verify", async () => {
    const jwt = await githubAppJwt('424242', keyPair(2048, 'pkcs1').privateKey, NOW);
    expect(decode(jwt, keyPair(2048, 'pkcs1').publicKey).verified).toBe(false);
  });

  it.each([
    ['no PEM at all', 'not a key'],
    ['a public key', keyPair(2048, 'pkcs1').publicKey],
    [
      'a PEM whose body is not a key',
      '-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n',
    ],
  ])('refuses %s', async (_, pem) => {
    await expect(githubAppJwt('424242', pem, NOW)).rejects.toThrow();
  });
});
