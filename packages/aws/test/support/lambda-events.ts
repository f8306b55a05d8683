import { readFileSync } from 'node:fs';
import type { LambdaHttpResult } from '../../src/lambda-http-event.ts';

/** A captured Lambda event from `test/fixtures/aws`. */
export function loadAwsFixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/aws/${name}`, import.meta.url), 'utf8')) as T;
}

export interface WrappedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
}

/**
 * A captured API Gateway REST (1.0) event, its request replaced by `request` and everything else (the
 * request context, the CloudFront headers) kept as captured.
 */
export function asRestApiEvent(
  request: WrappedRequest,
  fixture = 'apigw-v1-rest.with-body.aws-lambda-go.json',
) {
  const event = loadAwsFixture<Record<string, unknown>>(fixture);
  const headers = { ...(event.headers as Record<string, string>), ...request.headers };
  const multiValueHeaders = Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, [value]]),
  );
  return {
    ...event,
    resource: request.path.startsWith('/t/') ? '/t/{tenant}/webhooks/{source}' : request.path,
    path: request.path,
    httpMethod: request.method,
    headers,
    multiValueHeaders,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    body: request.body ?? null,
    isBase64Encoded: request.isBase64Encoded ?? false,
  };
}

/** The same for an HTTP API or Function URL (2.0) event. */
type HttpApiEventLike = Record<string, unknown> & { requestContext: Record<string, unknown> };

export function asHttpApiEvent(
  request: WrappedRequest,
  fixture = 'apigw-v2-http.with-body.powertools.json',
): HttpApiEventLike {
  const event = loadAwsFixture<Record<string, unknown> & { requestContext: Record<string, unknown> }>(
    fixture,
  );
  const headers = Object.fromEntries(
    Object.entries({ ...(event.headers as Record<string, string>), ...request.headers }).map(
      ([name, value]) => [name.toLowerCase(), value],
    ),
  );
  const { body: _capturedBody, queryStringParameters: _capturedQuery, ...rest } = event;
  return {
    ...rest,
    routeKey: `${request.method} ${request.path}`,
    rawPath: request.path,
    rawQueryString: '',
    headers,
    requestContext: {
      ...event.requestContext,
      http: {
        ...(event.requestContext.http as Record<string, unknown>),
        method: request.method,
        path: request.path,
      },
    },
    ...(request.body === undefined ? {} : { body: request.body }),
    isBase64Encoded: request.isBase64Encoded ?? false,
  };
}

export const asFunctionUrlEvent = (request: WrappedRequest) =>
  asHttpApiEvent(request, 'lambda-function-url.iam-auth-with-body.powertools.json');

/**
 * A response header of a handler result, whichever map carries it: format 2.0 answers in `headers`, and
 * hono answers a 1.0 event that came with `multiValueHeaders` (as API Gateway sends them) in those.
 */
export function headerOf(result: LambdaHttpResult, name: string): string | undefined {
  return result.headers?.[name]?.toString() ?? result.multiValueHeaders?.[name]?.join(', ');
}
