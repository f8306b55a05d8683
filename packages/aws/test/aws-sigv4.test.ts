import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { signRequest } from '../src/aws-sigv4.ts';

/** The SDK's signer wants a hash constructor; node:crypto, as the SDK's own Node hash is. */
class Sha256 {
  readonly #hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#hash =
      secret === undefined
        ? createHash('sha256')
        : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret as Uint8Array));
  }
  update(data: string | Uint8Array): void {
    this.#hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
}

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};

/** The AWS SDK's own SigV4 signer (@smithy/signature-v4), over the same request. */
async function sdkSignature(options: {
  url: URL;
  headers: Record<string, string>;
  body: string;
  region: string;
  service: string;
  sessionToken?: string;
  now: Date;
}): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    credentials: { ...credentials, ...(options.sessionToken ? { sessionToken: options.sessionToken } : {}) },
    region: options.region,
    service: options.service,
    sha256: Sha256,
    applyChecksum: true,
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: options.url.protocol,
      hostname: options.url.hostname,
      ...(options.url.port ? { port: Number(options.url.port) } : {}),
      path: options.url.pathname,
      query: queryOf(options.url.searchParams),
      headers: { ...options.headers, host: options.url.host },
      body: options.body,
    },
    { signingDate: options.now },
  );
  return signed.headers;
}

/** The SDK's query shape: a name's several values as a list. */
function queryOf(params: URLSearchParams): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const name of new Set(params.keys())) {
    const values = params.getAll(name);
    query[name] = values.length === 1 ? (values[0] as string) : values;
  }
  return query;
}

describe('SigV4, as the AWS SDK signs', () => {
  const now = new Date('2026-12-06T07:08:09.123Z');
  const headers = {
    'content-type': 'application/x-amz-json-1.0',
    'x-amz-target': 'DynamoDB_20120810.PutItem',
  };
  const body = JSON.stringify({
    TableName: 'factory',
    Item: { pk: { S: 'T#acme' }, note: { S: 'ünïcode ✓' } },
  });

  it('gives the SDK signer’s Authorization for a DynamoDB request with a role’s session token', async () => {
    const url = new URL('https://dynamodb.eu-west-1.amazonaws.com/');
    const sessionToken = 'IQoJb3JpZ2luX2VjEXAMPLE//session+token=';
    const ours = signRequest(
      { method: 'POST', url, headers, body },
      { region: 'eu-west-1', service: 'dynamodb', credentials: { ...credentials, sessionToken }, now },
    );
    const theirs = await sdkSignature({
      url,
      headers,
      body,
      region: 'eu-west-1',
      service: 'dynamodb',
      sessionToken,
      now,
    });
    expect(ours.authorization).toBe(theirs.authorization);
    expect(ours['x-amz-date']).toBe('20261206T070809Z');
    expect(ours['x-amz-security-token']).toBe(sessionToken);
  });

  it('agrees on an endpoint with a port, a path and a query, without a session token', async () => {
    const url = new URL('http://127.0.0.1:8000/some%20path/x?b=2&a=1&a=0&empty=');
    const ours = signRequest(
      { method: 'POST', url, headers: { ...headers, 'x-amz-target': 'AmazonSSM.GetParameter' }, body: '' },
      { region: 'us-east-1', service: 'ssm', credentials, now },
    );
    const theirs = await sdkSignature({
      url,
      headers: { ...headers, 'x-amz-target': 'AmazonSSM.GetParameter' },
      body: '',
      region: 'us-east-1',
      service: 'ssm',
      now,
    });
    expect(ours.authorization).toBe(theirs.authorization);
    expect(ours).not.toHaveProperty('x-amz-security-token');
  });

  it('changes with the body, so a changed body does not verify', () => {
    const url = new URL('https://dynamodb.eu-west-1.amazonaws.com/');
    const scope = { region: 'eu-west-1', service: 'dynamodb', credentials, now };
    const one = signRequest({ method: 'POST', url, headers, body }, scope);
    const other = signRequest({ method: 'POST', url, headers, body: `${body} ` }, scope);
    expect(one.authorization).not.toBe(other.authorization);
  });
});
