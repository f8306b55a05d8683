import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsJsonClient, AwsServiceError, DYNAMODB, SSM } from '../src/aws-json-client.ts';

type Answer = { status: number; body: string; headers?: Record<string, string> };

/** A loopback service that answers from a script, one answer per request, and records what it got. */
class ScriptedService {
  readonly answers: Answer[] = [];
  readonly requests: { target: string; contentType: string; authorization: string; body: string }[] = [];
  #server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.#server = createServer((request, response) => void this.#answer(request, response));
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }

  async #answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    this.requests.push({
      target: String(request.headers['x-amz-target']),
      contentType: String(request.headers['content-type']),
      authorization: String(request.headers.authorization),
      body: Buffer.concat(chunks).toString('utf8'),
    });
    const answer = this.answers.shift() ?? { status: 200, body: '{}' };
    response.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0', ...answer.headers });
    response.end(answer.body);
  }
}

const service = new ScriptedService();
const waits: number[] = [];
const client = (env: Record<string, string> = {}, maxAttempts?: number) =>
  new AwsJsonClient(DYNAMODB, {
    env: {
      AWS_ENDPOINT_URL_DYNAMODB: service.url,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      ...env,
    },
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...(maxAttempts ? { maxAttempts } : {}),
  });
const throttled: Answer = {
  status: 400,
  body: JSON.stringify({
    __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
    message: 'slow down',
  }),
};

beforeAll(() => service.start());
afterAll(() => service.stop());
beforeEach(() => {
  service.answers.length = 0;
  service.requests.length = 0;
  waits.length = 0;
});

describe('AwsJsonClient', () => {
  it('posts the operation as the JSON protocol wants it, signed for the service and region', async () => {
    service.answers.push({ status: 200, body: '{"Item":{"pk":{"S":"a"}}}' });
    await expect(client().call('GetItem', { TableName: 't', Key: { pk: { S: 'a' } } })).resolves.toEqual({
      Item: { pk: { S: 'a' } },
    });
    expect(service.requests).toEqual([
      {
        target: 'DynamoDB_20120810.GetItem',
        contentType: 'application/x-amz-json-1.0',
        authorization: expect.stringMatching(
          /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-target, Signature=[0-9a-f]{64}$/,
        ),
        body: '{"TableName":"t","Key":{"pk":{"S":"a"}}}',
      },
    ]);
  });

  it('retries throttling and 5xx, waiting a jittered, growing while, and returns the answer that came', async () => {
    service.answers.push(throttled, { status: 503, body: '' }, { status: 200, body: '{}' });
    await expect(client().call('PutItem', {})).resolves.toEqual({});
    expect(service.requests).toHaveLength(3);
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeLessThanOrEqual(100);
    expect(waits[1]).toBeLessThanOrEqual(200);
  });

  it('gives up after its attempts with the last error, named by its type', async () => {
    service.answers.push(throttled, throttled, throttled, { status: 200, body: '{}' });
    const failure = client().call('PutItem', {});
    await expect(failure).rejects.toBeInstanceOf(AwsServiceError);
    await expect(failure).rejects.toMatchObject({
      name: 'ProvisionedThroughputExceededException',
      message: 'slow down',
      status: 400,
      service: 'dynamodb',
      operation: 'PutItem',
    });
    expect(service.requests).toHaveLength(3);
  });

  it('does not retry an answer that would be the same again: a failed condition, a bad request', async () => {
    service.answers.push({
      status: 400,
      body: JSON.stringify({
        __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
        message: 'The conditional request failed',
      }),
    });
    await expect(client().call('PutItem', {})).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
    });
    // SSM names some errors only in a header, with an empty body.
    service.answers.push({
      status: 400,
      body: '',
      headers: {
        'x-amzn-errortype': 'ParameterNotFound:http://internal.amazon.com/coral/com.amazonaws.ssm/',
      },
    });
    await expect(client().call('GetParameter', {})).rejects.toMatchObject({
      name: 'ParameterNotFound',
      message: '',
    });
    expect(service.requests).toHaveLength(2);
  });

  it('hands on the fields of an error, as a cancelled transaction’s reasons', async () => {
    service.answers.push({
      status: 400,
      body: JSON.stringify({
        __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
        Message:
          'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]',
        CancellationReasons: [
          { Code: 'None' },
          { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' },
        ],
      }),
    });
    const failure = client().call('TransactWriteItems', {});
    await expect(failure).rejects.toMatchObject({
      name: 'TransactionCanceledException',
      CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }],
    });
  });

  it('retries a connection that failed, then says so', async () => {
    const unreachable = client({ AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:1' });
    await expect(unreachable.call('GetItem', {})).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(waits).toHaveLength(2);
  });

  it('reads the service’s own endpoint variable before AWS_ENDPOINT_URL, as the SDKs do', async () => {
    const ssm = new AwsJsonClient(SSM, {
      env: {
        AWS_ENDPOINT_URL: service.url,
        AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:1',
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'secret',
      },
    });
    await ssm.call('GetParameter', { Name: 'x' });
    expect(service.requests[0]).toMatchObject({
      target: 'AmazonSSM.GetParameter',
      contentType: 'application/x-amz-json-1.1',
      authorization: expect.stringContaining('/eu-west-1/ssm/aws4_request'),
    });
  });

  it('refuses a 2xx answer that is not JSON rather than hand on nothing', async () => {
    service.answers.push({ status: 200, body: '<html>' });
    await expect(client().call('GetItem', {})).rejects.toThrow(
      'dynamodb GetItem: answered 200 with a body that is not JSON',
    );
  });
});
