import type { IncomingWebhook, WebhookInterpretation, WebhookSource } from '@software-factory/sdk';
import { DEFAULT_TEST_SETTINGS } from '@software-factory/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LambdaHttpResult } from '../src/lambda-http-event.ts';
import { deployInstance, WEBHOOK_SECRET } from './support/deployment.ts';
import { headerOf, loadAwsFixture } from './support/lambda-events.ts';
import { type LocalDynamo, startLocalDynamo } from './support/local-dynamo.ts';
import { SignedTestSource, signTestWebhook } from './support/signed-test-source.ts';

/**
 * Each event shape through the real handler (hono's `handle` behind our checks), starting from the
 * example event AWS publishes for it (test/fixtures/SOURCES.md). A test moves the example to one of the
 * factory's routes and changes only what it names; the headers, cookies, query, request context and
 * source IP stay as AWS wrote them.
 */

type Event = Record<string, unknown> & { requestContext: Record<string, unknown> };

interface Shape {
  name: string;
  fixture: string;
  format: '1.0' | '2.0';
  tenant: string;
  /** The example's own request headers as the app sees them (every value of a repeated one). */
  headers: Record<string, string>;
  body: string;
  sourceIp: string;
}

const SHAPES: Shape[] = [
  {
    name: 'API Gateway REST (1.0)',
    fixture: 'apigw-v1-rest.proxy-input.awsdocs.json',
    format: '1.0',
    tenant: 'rest-api',
    headers: { header1: 'value1', header2: 'value1, value2' },
    body: 'Hello from Lambda!',
    sourceIp: 'IP',
  },
  {
    name: 'HTTP API (2.0)',
    fixture: 'apigw-v2-http.payload-2.0.awsdocs.json',
    format: '2.0',
    tenant: 'http-api',
    headers: { header1: 'value1', header2: 'value1,value2', cookie: 'cookie1; cookie2' },
    body: 'Hello from Lambda',
    sourceIp: '192.0.2.1',
  },
  {
    name: 'Function URL (2.0)',
    fixture: 'lambda-function-url.iam-auth-with-body.powertools.json',
    format: '2.0',
    tenant: 'function-url',
    headers: { header1: 'value1', header2: 'value1,value2', cookie: 'cookie1; cookie2' },
    body: 'Hello from client!',
    sourceIp: '123.123.123.123',
  },
];

interface Changes {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
  /** 2.0: the `cookies` list; 1.0: a `Cookie` header. */
  cookies?: string[];
  sourceIp?: string | null;
}

/** The published example, sent to `changes.path` with `changes.method`; everything else as published. */
function exampleEvent(shape: Shape, changes: Changes): Event {
  const event = structuredClone(loadAwsFixture<Event>(shape.fixture));
  const context = event.requestContext;
  if (shape.format === '1.0') {
    const identity = context.identity as Record<string, unknown>;
    const headers = event.headers as Record<string, string>;
    const multi = event.multiValueHeaders as Record<string, string[]>;
    const extra = { ...changes.headers, ...(changes.cookies ? { Cookie: changes.cookies.join('; ') } : {}) };
    for (const [name, value] of Object.entries(extra)) {
      headers[name] = value;
      multi[name] = [value];
    }
    Object.assign(event, { httpMethod: changes.method, path: changes.path, resource: changes.path });
    Object.assign(context, { httpMethod: changes.method, path: changes.path, resourcePath: changes.path });
    if (changes.sourceIp !== undefined) identity.sourceIp = changes.sourceIp;
  } else {
    const http = context.http as Record<string, unknown>;
    Object.assign(event.headers as Record<string, string>, changes.headers);
    if (changes.cookies) event.cookies = changes.cookies;
    Object.assign(event, { rawPath: changes.path });
    Object.assign(http, { method: changes.method, path: changes.path });
    if (changes.sourceIp !== undefined) http.sourceIp = changes.sourceIp;
  }
  if (changes.body !== undefined) event.body = changes.body;
  if (changes.isBase64Encoded !== undefined) event.isBase64Encoded = changes.isBase64Encoded;
  if (changes.sourceIp === null) {
    delete ((context.identity ?? context.http) as Record<string, unknown>).sourceIp;
  }
  return event;
}

/** A webhook source that keeps what the app handed it and answers with a reply of its own. */
class CapturingSource implements WebhookSource {
  readonly source = 'capture';
  // The published examples send no Content-Type.
  readonly contentTypes = ['', 'application/octet-stream'] as const;
  readonly seen: IncomingWebhook[] = [];

  async verify(): Promise<void> {}

  async interpret(webhook: IncomingWebhook): Promise<WebhookInterpretation> {
    this.seen.push(webhook);
    const reply = JSON.stringify({ received: webhook.rawBody.byteLength, note: 'Ünïcödé 🚀' });
    return { events: [], reply: { status: 200, contentType: 'application/json', body: reply } };
  }
}

const ADMIN_TOKEN = 'admin-token-of-the-event-shape-tests-01';
const capture = new CapturingSource();
let dynamo: LocalDynamo;
let deployment: ReturnType<typeof deployInstance>;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  const tenant = (id: string) => ({
    id,
    settings: DEFAULT_TEST_SETTINGS,
    adminToken: ADMIN_TOKEN,
    sources: [capture, new SignedTestSource(WEBHOOK_SECRET)],
  });
  deployment = deployInstance({
    dynamo,
    tableName: await dynamo.createTable(),
    tenants: [
      ...SHAPES.map((shape) => tenant(shape.tenant)),
      tenant('no-source-ip'),
      {
        id: 'not-connected',
        connections: [
          { provider: 'tracker', role: 'intake', status: { state: 'needs-auth', reason: 'no token yet' } },
        ],
      },
    ],
  });
});
afterAll(() => dynamo.close());

const json = (result: { body: string }) => JSON.parse(result.body) as Record<string, unknown>;

/** The result carries its own format's fields only: 1.0 never `cookies`, 2.0 never `multiValueHeaders`. */
function expectFormat(result: LambdaHttpResult, format: Shape['format']) {
  if (format === '1.0') expect(result).not.toHaveProperty('cookies');
  else expect(result).not.toHaveProperty('multiValueHeaders');
}

function setCookies(result: LambdaHttpResult, format: Shape['format']): string[] {
  return (format === '2.0' ? result.cookies : result.multiValueHeaders?.['set-cookie']) ?? [];
}

for (const shape of SHAPES) {
  describe(`${shape.name}, from AWS's example event (${shape.fixture})`, () => {
    const webhook = `/t/${shape.tenant}/webhooks/capture`;

    it('reaches the app with its headers (every value), its cookies and its body as sent', async () => {
      const before = capture.seen.length;
      const result = await deployment.handlers.http(exampleEvent(shape, { method: 'POST', path: webhook }));
      expect(result).toMatchObject({ statusCode: 200, isBase64Encoded: false });
      expectFormat(result, shape.format);
      expect(headerOf(result, 'content-type')).toBe('application/json');
      // JSON with characters beyond ASCII goes back as text, not base64.
      expect(json(result)).toEqual({ received: shape.body.length, note: 'Ünïcödé 🚀' });

      const seen = capture.seen.slice(before);
      expect(seen).toHaveLength(1);
      const [received] = seen as [IncomingWebhook];
      for (const [name, value] of Object.entries(shape.headers)) {
        expect([name, received.headers.get(name)]).toEqual([name, value]);
      }
      if (shape.format === '1.0') expect(received.headers.get('cookie')).toBeNull();
      expect(received.body).toBe(shape.body);
      expect(received.headers.get('content-length')).toBe(String(shape.body.length));
    });

    it('with a base64 body, reaches the app as the exact bytes that were encoded', async () => {
      const bytes = new TextEncoder().encode('Ünïcödé 🚀 — “quoted”\r\n\tand a tab');
      const before = capture.seen.length;
      const result = await deployment.handlers.http(
        exampleEvent(shape, {
          method: 'POST',
          path: webhook,
          body: Buffer.from(bytes).toString('base64'),
          isBase64Encoded: true,
        }),
      );
      expect(result.statusCode).toBe(200);
      expect(capture.seen.slice(before).map((seen) => [...seen.rawBody])).toEqual([[...bytes]]);
    });

    it('as a GET with a body (the example’s own body), is answered and the body ignored', async () => {
      const path = `/t/${shape.tenant}/dashboard.css`;
      const result = await deployment.handlers.http(exampleEvent(shape, { method: 'GET', path }));
      expect(result).toMatchObject({ statusCode: 200, isBase64Encoded: false });
      expect(headerOf(result, 'content-type')).toBe('text/css; charset=utf-8');
      expectFormat(result, shape.format);
    });

    it('a body over the cap is refused with 413 before the source sees it', async () => {
      const before = capture.seen.length;
      const result = await deployment.handlers.http(
        exampleEvent(shape, { method: 'POST', path: webhook, body: 'x'.repeat(1024 * 1024 + 1) }),
      );
      expect(result.statusCode).toBe(413);
      expect(json(result)).toEqual({ error: 'body larger than 1048576 bytes' });
      expect(capture.seen.length).toBe(before);
    });

    it('Set-Cookie goes back in its format, and the cookie sent back opens the dashboard', async () => {
      const login = await deployment.handlers.http(
        exampleEvent(shape, {
          method: 'POST',
          path: `/t/${shape.tenant}/login`,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ token: ADMIN_TOKEN }).toString(),
        }),
      );
      expect(login.statusCode).toBe(303);
      expectFormat(login, shape.format);
      const [session, ...others] = setCookies(login, shape.format);
      expect(others).toEqual([]);
      expect(session).toMatch(
        new RegExp(`^factory_session=[^;]+; Max-Age=\\d+; Path=/t/${shape.tenant}/; HttpOnly; Secure`),
      );

      const page = await deployment.handlers.http(
        exampleEvent(shape, {
          method: 'GET',
          path: `/t/${shape.tenant}/`,
          cookies: [session?.split(';')[0] ?? ''],
        }),
      );
      expect(page).toMatchObject({ statusCode: 200, isBase64Encoded: false });
      expect(headerOf(page, 'content-type')).toMatch(/^text\/html/);
      expect(page.body).toContain(shape.tenant);
      // Without the cookie, the same page asks for the token.
      const anonymous = await deployment.handlers.http(
        exampleEvent(shape, { method: 'GET', path: `/t/${shape.tenant}/` }),
      );
      expect(anonymous.statusCode).toBe(401);
    });

    it(`throttles wrong admin tokens by its source IP (${shape.sourceIp}), not X-Forwarded-For`, async () => {
      const status = (token: string, forwardedFor: string, sourceIp?: string) =>
        deployment.handlers.http(
          exampleEvent(shape, {
            method: 'GET',
            path: `/t/${shape.tenant}/status.json`,
            headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': forwardedFor },
            ...(sourceIp ? { sourceIp } : {}),
          }),
        );
      for (let n = 0; n < 6; n++)
        expect((await status('wrong-token', `198.51.100.${n}`)).statusCode).toBe(401);
      const blocked = await status(ADMIN_TOKEN, '198.51.100.200');
      expect(blocked.statusCode).toBe(429);
      expect(headerOf(blocked, 'retry-after')).toBe('1');
      expect((await status(ADMIN_TOKEN, '198.51.100.200', '203.0.113.9')).statusCode).toBe(200);
    });

    it('a tenant with a provider to connect answers 503 and says why', async () => {
      const body = JSON.stringify({
        deliveryId: `refused-${shape.tenant}`,
        item: deployment.harness('not-connected').clearItem(`item-${shape.tenant}`),
      });
      const headers = await signTestWebhook(WEBHOOK_SECRET, body, deployment.clock.now());
      const result = await deployment.handlers.http(
        exampleEvent(shape, {
          method: 'POST',
          path: '/t/not-connected/webhooks/test',
          headers,
          body,
        }),
      );
      expect(result.statusCode).toBe(503);
      expectFormat(result, shape.format);
      // What is unconnected, as data: the command that fixes it depends on where the reader is.
      expect(json(result)).toEqual({
        error: 'not processing work: tracker (intake) needs authorisation',
        unconnected: [{ provider: 'tracker', role: 'intake', state: 'needs-auth' }],
      });
    });
  });
}

describe('an event without a source IP', () => {
  it('puts every client in one throttle bucket: X-Forwarded-For is never taken for the address', async () => {
    const shape = { ...(SHAPES[1] as Shape), tenant: 'no-source-ip' };
    const status = (token: string, forwardedFor: string) =>
      deployment.handlers.http(
        exampleEvent(shape, {
          method: 'GET',
          path: '/t/no-source-ip/status.json',
          headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': forwardedFor },
          sourceIp: null,
        }),
      );
    for (let n = 0; n < 6; n++) expect((await status('wrong-token', `198.51.100.${n}`)).statusCode).toBe(401);
    expect((await status(ADMIN_TOKEN, '198.51.100.99')).statusCode).toBe(429);
  });
});
