import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a Lambda HTTP handler answers to a payload 2.0 event. */
export interface LambdaResult {
  statusCode: number;
  headers?: Record<string, unknown>;
  multiValueHeaders?: Record<string, unknown[]>;
  cookies?: string[];
  body?: string;
  isBase64Encoded?: boolean;
}

export type LambdaHttpHandler = (event: unknown) => Promise<LambdaResult>;

/** The most a request may send: API Gateway's own payload limit is 10 MB; ours is far below it. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;

/**
 * API Gateway's HTTP API in front of a Lambda handler, on 127.0.0.1: each request becomes a payload 2.0
 * event (headers lower-cased, repeated ones joined with commas, `Cookie` moved to `cookies`, the body in
 * base64, the peer as `sourceIp`), and the handler's result becomes the response. It lets a spawned CLI
 * and a browser reach a handler the test imported in this process.
 */
export class LambdaFront {
  #handler: LambdaHttpHandler | undefined;
  #server = createServer((request, response) => {
    this.#answer(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: `the front failed: ${String(error)}` }));
    });
  });
  url = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', () => resolve());
    });
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  /** The function behind the front; until it is set, every request is a 503. */
  route(handler: LambdaHttpHandler): void {
    this.#handler = handler;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request) {
      size += (chunk as Buffer).byteLength;
      if (size > MAX_BODY_BYTES) {
        response.writeHead(413, { 'content-type': 'application/json' });
        response.end('{"message":"Request Entity Too Large"}');
        request.destroy();
        return;
      }
      chunks.push(chunk as Buffer);
    }
    if (!this.#handler) {
      response.writeHead(503, { 'content-type': 'application/json' });
      response.end('{"message":"Service Unavailable"}');
      return;
    }
    const result = await this.#handler(eventOf(request, Buffer.concat(chunks)));
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
    for (const [name, values] of Object.entries(result.multiValueHeaders ?? {}))
      headers[name] = values.map(String);
    if (result.cookies?.length) headers['set-cookie'] = result.cookies;
    response.writeHead(result.statusCode, headers);
    const body = result.body ?? '';
    response.end(result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
  }
}

/** The payload 2.0 event API Gateway's HTTP API sends for this request. */
function eventOf(request: IncomingMessage, body: Buffer) {
  const url = new URL(request.url ?? '/', 'http://front.invalid');
  const method = request.method ?? 'GET';
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    const joined = Array.isArray(value) ? value.join(',') : value;
    if (name === 'cookie') cookies = joined.split(/;\s*/).filter(Boolean);
    else headers[name] = joined;
  }
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies ? { cookies } : {}),
    headers,
    ...(url.search
      ? {
          queryStringParameters: Object.fromEntries(
            [...new Set(url.searchParams.keys())].map((key) => [key, url.searchParams.getAll(key).join(',')]),
          ),
        }
      : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'loopback',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'loopback',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.byteLength > 0 ? { body: body.toString('base64') } : {}),
    isBase64Encoded: body.byteLength > 0,
  };
}
