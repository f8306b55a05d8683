import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { requestFromEvent, resultFromResponse } from '../src/lambda-http-event.ts';
import { loadAwsFixture } from './support/lambda-events.ts';

describe('an event becomes the Request it describes', () => {
  it('REST (1.0): every value of a repeated header, any case, the query, the exact body text', async () => {
    const event = loadAwsFixture<APIGatewayProxyEvent>('apigw-v1-rest.with-body.aws-lambda-go.json');
    event.multiValueHeaders = {
      ...event.multiValueHeaders,
      'X-Forwarded-For': ['54.240.196.186', '54.182.214.83'],
    };
    const { format, request } = requestFromEvent(event);
    expect(format).toBe('1.0');
    expect(request.method).toBe('POST');
    expect(new URL(request.url).pathname).toBe('/hello/world');
    expect(new URL(request.url).search).toBe('?name=me');
    expect(request.headers.get('x-forwarded-for')).toBe('54.240.196.186, 54.182.214.83');
    expect(request.headers.get('HEADERNAME')).toBe('headerValue');
    expect(await request.text()).toBe('{\r\n\t"a": 1\r\n}');
  });

  it('REST (1.0) without multiValueHeaders falls back to headers', () => {
    const event = loadAwsFixture<APIGatewayProxyEvent>('apigw-v1-rest.no-auth.powertools.json');
    const { multiValueHeaders: _dropped, ...single } = event;
    const { request } = requestFromEvent(single);
    expect(request.headers.get('user-agent')).toBe('HTTPie/3.2.2');
    expect(request.body).toBeNull();
  });

  it('HTTP API (2.0): the raw query string, cookies as a Cookie header, comma-joined header values kept', async () => {
    const event = loadAwsFixture<APIGatewayProxyEventV2>('apigw-v2-http.with-body.powertools.json');
    const { format, request } = requestFromEvent(event);
    expect(format).toBe('2.0');
    expect(new URL(request.url).search).toBe('?parameter1=value1&parameter1=value2&parameter2=value');
    expect(request.headers.get('cookie')).toBe('cookie1; cookie2');
    expect(request.headers.get('header2')).toBe('value1,value2');
    expect(await request.text()).toBe('{"message": "hello world", "username": "tom"}');
  });

  it('Function URL (2.0): a GET never carries a body, a POST carries its text', async () => {
    const post = requestFromEvent(loadAwsFixture('lambda-function-url.iam-auth-with-body.powertools.json'));
    expect(await post.request.text()).toBe('Hello from client!');
    const get = requestFromEvent({
      ...loadAwsFixture<APIGatewayProxyEventV2>('apigw-v2-http.no-authorizer.aws-lambda-go.json'),
      body: 'ignored for GET',
    });
    expect(get.request.method).toBe('GET');
    expect(get.request.body).toBeNull();
  });
});

describe('a Response becomes the result of the event’s format', () => {
  const response = () =>
    new Response(new Uint8Array([0, 255, 1, 254]), {
      status: 201,
      headers: [
        ['content-type', 'application/octet-stream'],
        ['set-cookie', 'a=1; Path=/'],
        ['set-cookie', 'b=2; Path=/'],
        ['x-one', 'first'],
      ],
    });

  it('2.0: Set-Cookie in cookies, binary bodies in base64', async () => {
    expect(await resultFromResponse(response(), '2.0')).toEqual({
      statusCode: 201,
      headers: { 'content-type': 'application/octet-stream', 'x-one': 'first' },
      cookies: ['a=1; Path=/', 'b=2; Path=/'],
      body: 'AP8B/g==',
      isBase64Encoded: true,
    });
  });

  it('1.0: Set-Cookie in multiValueHeaders', async () => {
    expect(await resultFromResponse(response(), '1.0')).toEqual({
      statusCode: 201,
      headers: { 'content-type': 'application/octet-stream', 'x-one': 'first' },
      multiValueHeaders: { 'set-cookie': ['a=1; Path=/', 'b=2; Path=/'] },
      body: 'AP8B/g==',
      isBase64Encoded: true,
    });
  });

  it('text stays text, including JSON with non-ASCII characters', async () => {
    const result = await resultFromResponse(Response.json({ title: 'Ünïcödé 🚀' }), '2.0');
    expect(result).toMatchObject({ isBase64Encoded: false, body: '{"title":"Ünïcödé 🚀"}' });
  });
});
