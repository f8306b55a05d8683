/**
 * A GitHub App's JWT: RS256 over `{ iat, exp, iss }` with the App's private key, through WebCrypto, which
 * Node, Lambda and Workers all have. GitHub hands out the key in PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`),
 * which WebCrypto does not import, so that key is wrapped in the PKCS#8 envelope first (a PKCS#8 PEM,
 * `BEGIN PRIVATE KEY`, is taken as it is).
 */
export async function githubAppJwt(appId: string, privateKeyPem: string, nowMs: number): Promise<string> {
  const key = await crypto.subtle.importKey(
    'pkcs8',
    pkcs8Of(privateKeyPem),
    { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  // Issued 30 s in the past against clock skew; GitHub takes at most ten minutes from `iat` to `exp`.
  const iat = Math.floor(nowMs / 1000) - 30;
  const signed = `${base64UrlJson({ alg: 'RS256', typ: 'JWT' })}.${base64UrlJson({ iat, exp: iat + 600, iss: appId })}`;
  const signature = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', key, new TextEncoder().encode(signed));
  return `${signed}.${base64Url(new Uint8Array(signature))}`;
}

/** rsaEncryption's AlgorithmIdentifier: SEQUENCE { OID 1.2.840.113549.1.1.1, NULL }. */
const RSA_ALGORITHM = [
  0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
];

/** The DER PKCS#8 of a PEM private key: as it is, or a PKCS#1 RSA key wrapped as PrivateKeyInfo. */
function pkcs8Of(pem: string): Uint8Array<ArrayBuffer> {
  const match = /-----BEGIN (RSA )?PRIVATE KEY-----([\s\S]+?)-----END \1PRIVATE KEY-----/.exec(pem);
  if (!match?.[2]) throw new Error('not a PEM private key');
  const der = Uint8Array.from(atob(match[2].replace(/\s+/g, '')), (char) => char.charCodeAt(0));
  if (!match[1]) return der;
  // PrivateKeyInfo ::= SEQUENCE { version INTEGER 0, algorithm, privateKey OCTET STRING (the PKCS#1 key) }
  const body = [0x02, 0x01, 0x00, ...RSA_ALGORITHM, 0x04, ...derLength(der.length), ...der];
  return Uint8Array.from([0x30, ...derLength(body.length), ...body]);
}

/** A DER length: one byte below 128, else 0x80 + the count of big-endian bytes that follow. */
function derLength(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return [0x80 | bytes.length, ...bytes];
}

function base64UrlJson(value: object): string {
  return base64Url(new TextEncoder().encode(JSON.stringify(value)));
}

function base64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}
