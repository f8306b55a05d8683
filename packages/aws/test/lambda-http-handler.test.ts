import { DEFAULT_TEST_SETTINGS } from '@software-factory/sdk/testing';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LambdaEventError } from '../src/lambda-http-event.ts';
import { deployInstance, OPERATOR_TOKEN, WEBHOOK_SECRET } from './support/deployment.ts';
import {
  asFunctionUrlEvent,
  asHttpApiEvent,
  asRestApiEvent,
  headerOf,
  loadAwsFixture,
  type WrappedRequest,
} from './support/lambda-events.ts';
import { type LocalDynamo, startLocalDynamo } from './support/local-dynamo.ts';
import { signTestWebhook } from './support/signed-test-source.ts';

const ADMIN_TOKEN = 'admin-token-of-the-lambda-handler-test-01';

let dynamo: LocalDynamo;
let deployment: ReturnType<typeof deployInstance>;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  deployment = deployInstance({
    dynamo,
    tableName: await dynamo.createTable(),
    tenants: [
      {
        id: 'acme',
        settings: { ...DEFAULT_TEST_SETTINGS, limits: { maxInFlight: 100 } },
        adminToken: ADMIN_TOKEN,
      },
    ],
  });
});
afterAll(() => dynamo.close());

const shapes = [
  { name: 'API Gateway REST (1.0)', wrap: (request: WrappedRequest) => asRestApiEvent(request) },
  { name: 'HTTP API (2.0)', wrap: (request: WrappedRequest) => asHttpApiEvent(request) },
  { name: 'Function URL (2.0)', wrap: (request: WrappedRequest) => asFunctionUrlEvent(request) },
];

async function signedDelivery(workItemId: string, deliveryId: string) {
  const item = deployment.harness('acme').clearItem(workItemId);
  const body = JSON.stringify({ deliveryId, item });
  const headers = await signTestWebhook(WEBHOOK_SECRET, body, deployment.clock.now());
  return { body, headers };
}

const json = (result: { body: string }) => JSON.parse(result.body) as Record<string, unknown>;

describe('captured events are answered in their own result shape', () => {
  const captured = [
    { fixture: 'apigw-v1-rest.no-auth.powertools.json', format: '1.0' },
    { fixture: 'apigw-v1-rest.with-body.aws-lambda-go.json', format: '1.0' },
    { fixture: 'apigw-v2-http.no-auth.powertools.json', format: '2.0' },
    { fixture: 'apigw-v2-http.with-body.powertools.json', format: '2.0' },
    { fixture: 'apigw-v2-http.no-authorizer.aws-lambda-go.json', format: '2.0' },
    { fixture: 'lambda-function-url.iam-auth-with-body.powertools.json', format: '2.0' },
  ];
  for (const { fixture, format } of captured) {
    it(`${fixture}: a path the factory does not serve gets its 404 (payload ${format})`, async () => {
      const result = await deployment.handlers.http(loadAwsFixture(fixture));
      expect(result).toMatchObject({ statusCode: 404, isBase64Encoded: false });
      expect(headerOf(result, 'content-type')).toMatch(/^application\/json/);
      expect(json(result)).toEqual({ error: 'not found' });
      // The result of one format never carries the other format's fields.
      if (format === '1.0') expect(result).not.toHaveProperty('cookies');
      else expect(result).not.toHaveProperty('multiValueHeaders');
    });
  }
});

describe('GET /healthz', () => {
  for (const { name, wrap } of shapes) {
    it(`answers through ${name}: status and version for anyone, the store and tenants for the operator`, async () => {
      const anonymous = await deployment.handlers.http(
        wrap({ method: 'GET', path: '/healthz', headers: {} }),
      );
      expect(anonymous.statusCode).toBe(200);
      expect(json(anonymous)).toEqual({ status: 'ok', version: 'test-version' });
      const result = await deployment.handlers.http(
        wrap({ method: 'GET', path: '/healthz', headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } }),
      );
      expect(result.statusCode).toBe(200);
      expect(json(result)).toMatchObject({
        status: 'ok',
        version: 'test-version',
        store: { ok: true },
        tenants: [{ id: 'acme', processing: true }],
      });
    });
  }

  it('is found under a named HTTP API stage, which format 2.0 puts in front of the path', async () => {
    const event = asHttpApiEvent({ method: 'GET', path: '/prod/healthz', headers: {} });
    event.requestContext = { ...event.requestContext, stage: 'prod' };
    expect((await deployment.handlers.http(event)).statusCode).toBe(200);
  });
});

describe("the client's address is the event's source IP", () => {
  const statusJson = (sourceIp: string, token: string, forwardedFor: string) => {
    const event = asHttpApiEvent({
      method: 'GET',
      path: '/t/acme/status.json',
      headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': forwardedFor },
    });
    const http = event.requestContext.http as Record<string, unknown>;
    event.requestContext = { ...event.requestContext, http: { ...http, sourceIp } };
    return deployment.handlers.http(event);
  };

  it('throttles wrong admin tokens by it, whatever X-Forwarded-For the client sends', async () => {
    for (let n = 0; n < 6; n++) {
      const wrong = await statusJson('198.51.100.77', 'wrong-token', `192.0.2.${n}`);
      expect(wrong.statusCode).toBe(401);
    }
    const blocked = await statusJson('198.51.100.77', ADMIN_TOKEN, '192.0.2.200');
    expect(blocked.statusCode).toBe(429);
    expect(headerOf(blocked, 'retry-after')).toBe('1');
    expect((await statusJson('198.51.100.78', ADMIN_TOKEN, '192.0.2.200')).statusCode).toBe(200);
  });
});

describe('a signed webhook', () => {
  for (const [n, { name, wrap }] of shapes.entries()) {
    it(`wrapped in ${name} is verified and dispatches the work item once`, async () => {
      const workItemId = `item-shape-${n}`;
      const { body, headers } = await signedDelivery(workItemId, `delivery-shape-${n}`);
      const event = wrap({ method: 'POST', path: '/t/acme/webhooks/test', headers, body });
      const result = await deployment.handlers.http(event);
      expect(result.statusCode).toBe(200);
      expect(json(result)).toMatchObject({
        status: 'processed',
        results: [{ event: 'work-item.changed', outcome: 'changed', workItemId }],
      });
      expect((await deployment.store.getRecord('acme', workItemId))?.status).toBe('dispatched');

      const again = await deployment.handlers.http(event);
      expect(json(again)).toEqual({ status: 'duplicate', deliveryId: `delivery-shape-${n}` });
      expect(deployment.harness('acme').fleet.agentsFor(workItemId)).toHaveLength(1);
    });
  }

  describe('with a base64-encoded body', () => {
    // Non-ASCII text, CRLF and a tab: bytes a text round trip through the wrong decoding would change.
    const rawBody = async (workItemId: string, deliveryId: string) => {
      const item = deployment.harness('acme').clearItem(workItemId, {
        title: 'Ünïcödé 🚀 — “export” in 日本語',
        description: 'Line one\r\n\tLine two\r\n',
      });
      const bytes = new TextEncoder().encode(JSON.stringify({ deliveryId, item }, null, '\t'));
      return { bytes, headers: await signTestWebhook(WEBHOOK_SECRET, bytes, deployment.clock.now()) };
    };
    const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

    for (const [n, { name, wrap }] of shapes.entries()) {
      it(`verifies through ${name} because the decoded bytes are the signed bytes`, async () => {
        const { bytes, headers } = await rawBody(`item-b64-${n}`, `delivery-b64-${n}`);
        const event = wrap({
          method: 'POST',
          path: '/t/acme/webhooks/test',
          headers,
          body: base64(bytes),
          isBase64Encoded: true,
        });
        const result = await deployment.handlers.http(event);
        expect(result.statusCode).toBe(200);
        const record = await deployment.store.getRecord('acme', `item-b64-${n}`);
        expect(record?.item.title).toBe('Ünïcödé 🚀 — “export” in 日本語');
        expect(record?.item.description).toBe('Line one\r\n\tLine two\r\n');
      });
    }

    it('is refused with 401 when one byte differs from what was signed, and nothing is stored', async () => {
      const { bytes, headers } = await rawBody('item-b64-tampered', 'delivery-b64-tampered');
      const tampered = new Uint8Array(bytes);
      tampered[tampered.length - 2] = 0x20;
      const event = asHttpApiEvent({
        method: 'POST',
        path: '/t/acme/webhooks/test',
        headers,
        body: base64(tampered),
        isBase64Encoded: true,
      });
      const result = await deployment.handlers.http(event);
      expect(result.statusCode).toBe(401);
      expect(json(result)).toEqual({ error: 'signature does not match' });
      expect(await deployment.store.getRecord('acme', 'item-b64-tampered')).toBeUndefined();
    });

    it('is not verified when the event does not say it is base64 (the flag is honoured)', async () => {
      const { bytes, headers } = await rawBody('item-b64-unflagged', 'delivery-b64-unflagged');
      const event = asRestApiEvent({
        method: 'POST',
        path: '/t/acme/webhooks/test',
        headers,
        body: base64(bytes),
        isBase64Encoded: false,
      });
      expect((await deployment.handlers.http(event)).statusCode).toBe(401);
      expect(await deployment.store.getRecord('acme', 'item-b64-unflagged')).toBeUndefined();
    });
  });
});

describe('bad requests get a clear 4xx and change nothing', () => {
  it('an unknown tenant is 404', async () => {
    const { body, headers } = await signedDelivery('item-unknown-tenant', 'delivery-unknown-tenant');
    const result = await deployment.handlers.http(
      asHttpApiEvent({ method: 'POST', path: '/t/nobody/webhooks/test', headers, body }),
    );
    expect(result.statusCode).toBe(404);
    expect(json(result)).toEqual({ error: 'unknown tenant' });
  });

  it('a wrong signature is 401', async () => {
    const { body, headers } = await signedDelivery('item-bad-signature', 'delivery-bad-signature');
    const forged = { ...headers, 'X-Test-Signature': 'f'.repeat(64) };
    deployment.requests.reset();
    const result = await deployment.handlers.http(
      asRestApiEvent({ method: 'POST', path: '/t/acme/webhooks/test', headers: forged, body }),
    );
    expect(result.statusCode).toBe(401);
    expect(deployment.requests.total).toBe(0);
  });

  it('a GET to a webhook route is 405', async () => {
    const result = await deployment.handlers.http(
      asHttpApiEvent({ method: 'GET', path: '/t/acme/webhooks/test', headers: {} }),
    );
    expect(result.statusCode).toBe(405);
  });
});

describe('invocations that are not HTTP events are refused before any state is touched', () => {
  const refused = [
    {
      name: 'an EventBridge event',
      event: loadAwsFixture('eventbridge.base.powertools.json'),
      message: /not an HTTP event/,
    },
    { name: 'null', event: null, message: /not an HTTP event/ },
    {
      name: 'a 2.0 event without requestContext.http',
      event: {
        ...loadAwsFixture<APIGatewayProxyEventV2>('apigw-v2-http.no-auth.powertools.json'),
        requestContext: {},
      },
      message: /malformed HTTP API \/ Function URL \(2\.0\) event: requestContext\.http/,
    },
    {
      name: 'a 1.0 event with a relative path',
      event: {
        ...loadAwsFixture<APIGatewayProxyEvent>('apigw-v1-rest.no-auth.powertools.json'),
        path: 'no-slash',
      },
      message: /malformed API Gateway REST \(1\.0\) event: path/,
    },
    {
      name: 'a body flagged base64 that is not base64',
      event: asHttpApiEvent({
        method: 'POST',
        path: '/t/acme/webhooks/test',
        headers: {},
        body: '{"not":"base64"}',
        isBase64Encoded: true,
      }),
      message: /not valid base64/,
    },
  ];
  for (const { name, event, message } of refused) {
    it(name, async () => {
      deployment.requests.reset();
      const error = await deployment.handlers.http(event).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(LambdaEventError);
      expect((error as Error).message).toMatch(message);
      expect(deployment.requests.total).toBe(0);
    });
  }
});
