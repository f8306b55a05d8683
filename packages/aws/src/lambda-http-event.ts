import type { APIGatewayProxyResult, LambdaEvent } from 'hono/aws-lambda';
import * as z from 'zod/mini';

/**
 * hono's own adapter (`handle` from `hono/aws-lambda`) turns API Gateway REST (payload 1.0), HTTP API
 * and Function URL (2.0) events into a web `Request` and the app's `Response` back: headers and every
 * value of `multiValueHeaders`, 2.0's `cookies`, the query, base64 bodies, Set-Cookie as `cookies` or
 * `multiValueHeaders`, binary responses in base64. This module keeps only what it does not do, because
 * it trusts whatever it is given:
 *
 * - Any object is an event to it: an EventBridge event sent to the HTTP function becomes a GET of
 *   `https://undefinedundefined` that the app answers. Here an invocation that is not an HTTP event,
 *   or lacks a field the translation reads, is refused with a `LambdaEventError` naming it, before any
 *   tenant code runs or any state is read.
 * - A body flagged base64 goes through `atob`, which skips whitespace and, on anything else, throws an
 *   error hono answers as a bare 500. Here it must be strict base64 or the event is refused.
 * - A named HTTP API stage (not `$default`) stays in front of the path, so no route would match.
 * - A GET or HEAD with a body, or a `domainName` that is no host (AWS's published Function URL example
 *   has `<url-id>`), makes hono answer 400 `Invalid request` in plain text. Here the body of a GET or
 *   HEAD is dropped and such an origin becomes `https://localhost` (the app routes on the path alone).
 * - Its `getConnInfo` falls back to `X-Forwarded-For`, which the client writes; `sourceIpOf` does not.
 *
 * (hono 4 marks `hono/aws-lambda` deprecated: hono 5 moves it to the `@hono/aws-lambda` package.)
 */

/** Thrown for an invocation that is not an HTTP event this adapter understands: a wiring mistake. */
export class LambdaEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LambdaEventError';
  }
}

/** What the handler answers: the result shape of the event's payload format, as hono builds it. */
export type LambdaHttpResult = APIGatewayProxyResult;

/** API Gateway REST API (payload format 1.0): the fields hono reads. */
const restApiEvent = z.looseObject({
  httpMethod: z.string().check(z.minLength(1)),
  path: z.string().check(z.startsWith('/')),
  headers: z.nullish(z.record(z.string(), z.nullish(z.string()))),
  multiValueHeaders: z.nullish(z.record(z.string(), z.nullish(z.array(z.string())))),
  multiValueQueryStringParameters: z.nullish(z.record(z.string(), z.nullish(z.array(z.string())))),
  queryStringParameters: z.nullish(z.record(z.string(), z.nullish(z.string()))),
  body: z.nullish(z.string()),
  isBase64Encoded: z.nullish(z.boolean()),
  requestContext: z.nullish(
    z.looseObject({
      domainName: z.optional(z.string()),
      identity: z.nullish(z.looseObject({ sourceIp: z.nullish(z.string()) })),
    }),
  ),
});

/** HTTP API and Function URL (payload format 2.0). */
const httpApiEvent = z.looseObject({
  version: z.literal('2.0'),
  rawPath: z.string().check(z.startsWith('/')),
  rawQueryString: z.optional(z.string()),
  headers: z.optional(z.record(z.string(), z.string())),
  cookies: z.optional(z.array(z.string())),
  body: z.optional(z.string()),
  isBase64Encoded: z.boolean(),
  requestContext: z.looseObject({
    domainName: z.optional(z.string()),
    stage: z.optional(z.string()),
    http: z.looseObject({ method: z.string().check(z.minLength(1)), sourceIp: z.optional(z.string()) }),
  }),
});

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The event as hono's `handle` should see it, or a `LambdaEventError` saying why there is none. */
export function httpEventFor(event: unknown): LambdaEvent {
  if (isObject(event) && event.version === '2.0') {
    const parsed = parse(httpApiEvent, event, 'HTTP API / Function URL (2.0)');
    const { requestContext } = parsed;
    return {
      ...parsed,
      rawPath: withoutStage(parsed.rawPath, requestContext.stage),
      body: bodyFor(requestContext.http.method, parsed.body, parsed.isBase64Encoded),
      requestContext: { ...requestContext, domainName: hostOf(requestContext.domainName) },
    } as unknown as LambdaEvent;
  }
  if (isObject(event) && 'httpMethod' in event) {
    const parsed = parse(restApiEvent, event, 'API Gateway REST (1.0)');
    return {
      ...parsed,
      body: bodyFor(parsed.httpMethod, parsed.body, parsed.isBase64Encoded === true),
      requestContext: { ...parsed.requestContext, domainName: hostOf(parsed.requestContext?.domainName) },
    } as unknown as LambdaEvent;
  }
  throw new LambdaEventError(
    'not an HTTP event: expected API Gateway REST (payload 1.0, with httpMethod) or HTTP API / Function URL (payload 2.0, with version "2.0")',
  );
}

/**
 * The client's address as API Gateway or the Function URL saw the connection, from the `env` hono's
 * `handle` gives the app (`{ event, requestContext, lambdaContext }`); never a header the client sent.
 */
export function sourceIpOf(env: unknown): string | undefined {
  const context = isObject(env) && isObject(env.requestContext) ? env.requestContext : undefined;
  const holder = isObject(context?.identity) ? context.identity : context?.http;
  const sourceIp = isObject(holder) ? holder.sourceIp : undefined;
  return typeof sourceIp === 'string' && sourceIp !== '' ? sourceIp : undefined;
}

/** An HTTP API on a named stage (not `$default`) puts the stage in front of the path the routes see. */
function withoutStage(path: string, stage: string | undefined): string {
  if (!stage || stage === '$default') return path;
  if (path === `/${stage}`) return '/';
  return path.startsWith(`/${stage}/`) ? path.slice(stage.length + 1) : path;
}

/** The body hono should read: none for GET and HEAD, and only base64 that is base64. */
function bodyFor(method: string, body: string | null | undefined, isBase64Encoded: boolean): string | null {
  if (body == null || body === '' || ['GET', 'HEAD'].includes(method.toUpperCase())) return null;
  if (isBase64Encoded && (body.length % 4 !== 0 || !BASE64.test(body))) {
    throw new LambdaEventError('the event says its body is base64 but it is not valid base64');
  }
  return body;
}

/** The app routes on the path alone; the origin only has to make a valid URL. */
function hostOf(domainName: string | undefined): string {
  if (domainName && URL.canParse(`https://${domainName}/`)) {
    if (new URL(`https://${domainName}/`).host === domainName.toLowerCase()) return domainName;
  }
  return 'localhost';
}

function parse<T>(schema: z.ZodMiniType<T>, input: unknown, what: string): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`,
  );
  throw new LambdaEventError(`malformed ${what} event: ${problems.join('; ')}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
