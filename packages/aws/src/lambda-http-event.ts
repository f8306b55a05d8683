import { z } from 'zod';

/** Thrown for an invocation that is not an HTTP event this adapter understands: a wiring mistake. */
export class LambdaEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LambdaEventError';
  }
}

/** API Gateway REST API (payload format 1.0): only the fields the translation reads. */
const restApiEvent = z.looseObject({
  httpMethod: z.string().min(1),
  path: z.string().startsWith('/'),
  headers: z.record(z.string(), z.string().nullish()).nullish(),
  multiValueHeaders: z.record(z.string(), z.array(z.string()).nullish()).nullish(),
  multiValueQueryStringParameters: z.record(z.string(), z.array(z.string()).nullish()).nullish(),
  queryStringParameters: z.record(z.string(), z.string().nullish()).nullish(),
  body: z.string().nullish(),
  isBase64Encoded: z.boolean().nullish(),
  requestContext: z
    .looseObject({
      domainName: z.string().optional(),
      identity: z.looseObject({ sourceIp: z.string().nullish() }).nullish(),
    })
    .nullish(),
});

/** HTTP API and Function URL (payload format 2.0). */
const httpApiEvent = z.looseObject({
  version: z.literal('2.0'),
  rawPath: z.string().startsWith('/'),
  rawQueryString: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  cookies: z.array(z.string()).optional(),
  body: z.string().optional(),
  isBase64Encoded: z.boolean(),
  requestContext: z.looseObject({
    domainName: z.string().optional(),
    stage: z.string().optional(),
    http: z.looseObject({ method: z.string().min(1), sourceIp: z.string().optional() }),
  }),
});

export type PayloadFormat = '1.0' | '2.0';

export interface TranslatedRequest {
  format: PayloadFormat;
  request: Request;
  /** The client's address as API Gateway saw the connection (not a header the client sent). */
  sourceIp?: string;
}

/** The result API Gateway REST expects (format 1.0). */
export interface RestApiResult {
  statusCode: number;
  headers: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  body: string;
  isBase64Encoded: boolean;
}

/** The result an HTTP API or a Function URL expects (format 2.0). */
export interface HttpApiResult {
  statusCode: number;
  headers: Record<string, string>;
  cookies?: string[];
  body: string;
  isBase64Encoded: boolean;
}

export type LambdaHttpResult = RestApiResult | HttpApiResult;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Builds the web `Request` an API Gateway or Function URL event describes, body bytes untouched. */
export function requestFromEvent(event: unknown): TranslatedRequest {
  if (isObject(event) && event.version === '2.0') return { format: '2.0', ...fromHttpApi(event) };
  if (isObject(event) && 'httpMethod' in event) return { format: '1.0', ...fromRestApi(event) };
  throw new LambdaEventError(
    'not an HTTP event: expected API Gateway REST (payload 1.0, with httpMethod) or HTTP API / Function URL (payload 2.0, with version "2.0")',
  );
}

function fromRestApi(input: unknown): { request: Request; sourceIp?: string } {
  const event = parse(restApiEvent, input, 'API Gateway REST (1.0)');
  const headers = new Headers();
  // multiValueHeaders holds every value of a repeated header; headers only the last one.
  if (event.multiValueHeaders) {
    for (const [name, values] of Object.entries(event.multiValueHeaders)) {
      for (const value of values ?? []) headers.append(name, value);
    }
  } else {
    for (const [name, value] of Object.entries(event.headers ?? {})) {
      if (value != null) headers.append(name, value);
    }
  }
  const query = new URLSearchParams();
  if (event.multiValueQueryStringParameters) {
    for (const [name, values] of Object.entries(event.multiValueQueryStringParameters)) {
      for (const value of values ?? []) query.append(name, value);
    }
  } else {
    for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
      if (value != null) query.append(name, value);
    }
  }
  const origin = originOf(headers.get('host'), event.requestContext?.domainName);
  const search = query.size > 0 ? `?${query}` : '';
  const request = build(
    event.httpMethod,
    `${origin}${event.path}${search}`,
    headers,
    event.body,
    event.isBase64Encoded,
  );
  const sourceIp = event.requestContext?.identity?.sourceIp;
  return { request, ...(sourceIp ? { sourceIp } : {}) };
}

function fromHttpApi(input: unknown): { request: Request; sourceIp?: string } {
  const event = parse(httpApiEvent, input, 'HTTP API / Function URL (2.0)');
  const headers = new Headers();
  for (const [name, value] of Object.entries(event.headers ?? {})) headers.append(name, value);
  // Format 2.0 moves cookies out of the headers into their own list.
  if (event.cookies?.length) headers.set('cookie', event.cookies.join('; '));
  const origin = originOf(headers.get('host'), event.requestContext.domainName);
  const search = event.rawQueryString ? `?${event.rawQueryString}` : '';
  const path = withoutStage(event.rawPath, event.requestContext.stage);
  const request = build(
    event.requestContext.http.method,
    `${origin}${path}${search}`,
    headers,
    event.body,
    event.isBase64Encoded,
  );
  const sourceIp = event.requestContext.http.sourceIp;
  return { request, ...(sourceIp ? { sourceIp } : {}) };
}

/**
 * The app routes on the path alone; the origin only has to make a valid URL. The Host header is the
 * client's to choose, so one that is not a valid host falls back rather than failing the request.
 */
function originOf(...hosts: (string | null | undefined)[]): string {
  for (const host of hosts) {
    if (host && URL.canParse(`https://${host}/`) && new URL(`https://${host}/`).host === host.toLowerCase()) {
      return `https://${host}`;
    }
  }
  return 'https://localhost';
}

/** An HTTP API on a named stage (not `$default`) puts the stage in front of the path the routes see. */
function withoutStage(path: string, stage: string | undefined): string {
  if (!stage || stage === '$default') return path;
  if (path === `/${stage}`) return '/';
  return path.startsWith(`/${stage}/`) ? path.slice(stage.length + 1) : path;
}

function build(
  method: string,
  url: string,
  headers: Headers,
  body: string | null | undefined,
  isBase64Encoded: boolean | null | undefined,
): Request {
  const upper = method.toUpperCase();
  const hasBody = body != null && upper !== 'GET' && upper !== 'HEAD';
  return new Request(url, {
    method: upper,
    headers,
    ...(hasBody ? { body: bodyBytes(body, isBase64Encoded === true) } : {}),
  });
}

/** The bytes the sender sent: base64 decoded as bytes, text encoded back to the UTF-8 it arrived as. */
function bodyBytes(body: string, isBase64Encoded: boolean): Uint8Array<ArrayBuffer> {
  if (!isBase64Encoded) return new TextEncoder().encode(body);
  if (body.length % 4 !== 0 || !BASE64.test(body)) {
    throw new LambdaEventError('the event says its body is base64 but it is not valid base64');
  }
  return new Uint8Array(Buffer.from(body, 'base64'));
}

/** Turns the app's `Response` into the result shape of the payload format the event came in. */
export async function resultFromResponse(
  response: Response,
  format: PayloadFormat,
): Promise<LambdaHttpResult> {
  const bytes = new Uint8Array(await response.arrayBuffer());
  const text = isText(response.headers.get('content-type'));
  const body = text ? new TextDecoder().decode(bytes) : Buffer.from(bytes).toString('base64');
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (format === '2.0') {
    return {
      statusCode: response.status,
      headers,
      ...(cookies.length ? { cookies } : {}),
      body,
      isBase64Encoded: !text,
    };
  }
  return {
    statusCode: response.status,
    headers,
    ...(cookies.length ? { multiValueHeaders: { 'set-cookie': cookies } } : {}),
    body,
    isBase64Encoded: !text,
  };
}

function isText(contentType: string | null): boolean {
  if (!contentType) return true;
  const media = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return (
    media.startsWith('text/') ||
    media.endsWith('+json') ||
    media.endsWith('+xml') ||
    [
      'application/json',
      'application/xml',
      'application/javascript',
      'application/x-www-form-urlencoded',
    ].includes(media)
  );
}

function parse<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
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
