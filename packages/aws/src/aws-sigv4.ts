import { createHash, createHmac } from 'node:crypto';

/** The keys a request is signed with: the function's role, as Lambda puts it in the environment. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** Set for temporary credentials (a Lambda role's always are). */
  sessionToken?: string;
}

export interface SignableRequest {
  method: string;
  url: URL;
  /** Lowercase names; every one of them is signed. */
  headers: Record<string, string>;
  body: string;
}

export interface SigningScope {
  region: string;
  /** The signing name: `dynamodb`, `ssm`, `secretsmanager`. */
  service: string;
  credentials: AwsCredentials;
  now: Date;
}

/**
 * Signature Version 4 of a request with a body, as the AWS SDK signs its JSON-protocol requests: the
 * headers to send, `host`, `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token` and
 * `authorization` added. Every given header is signed. node:crypto, because this runs on Lambda only:
 * its HMAC is synchronous and costs no import.
 */
export function signRequest(request: SignableRequest, scope: SigningScope): Record<string, string> {
  const amzDate = scope.now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const payloadHash = sha256Hex(request.body);
  const headers: Record<string, string> = {
    ...request.headers,
    host: request.url.host,
    'x-amz-date': amzDate,
    'x-amz-content-sha256': payloadHash,
    ...(scope.credentials.sessionToken ? { 'x-amz-security-token': scope.credentials.sessionToken } : {}),
  };
  const names = Object.keys(headers)
    .map((name) => name.toLowerCase())
    .sort();
  const lowercase = Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    request.method,
    canonicalPath(request.url.pathname),
    canonicalQuery(request.url.searchParams),
    ...names.map((name) => `${name}:${(lowercase[name] ?? '').trim().replace(/\s+/g, ' ')}`),
    '',
    signedHeaders,
    payloadHash,
  ].join('\n');
  const credentialScope = `${day}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, credentialScope, sha256Hex(canonicalRequest)].join('\n');
  let key: Buffer = hmac(`AWS4${scope.credentials.secretAccessKey}`, day);
  for (const part of [scope.region, scope.service, 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  return {
    ...headers,
    authorization: `AWS4-HMAC-SHA256 Credential=${scope.credentials.accessKeyId}/${credentialScope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/**
 * The path with each segment URI-encoded once more, as SigV4 wants it for every service but S3 (the URL
 * holds it encoded once already). The JSON protocols always post to `/`; an endpoint may have a path.
 */
function canonicalPath(pathname: string): string {
  if (pathname === '' || pathname === '/') return '/';
  return pathname.split('/').map(uriEncode).join('/');
}

function canonicalQuery(params: URLSearchParams): string {
  return [...params]
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
