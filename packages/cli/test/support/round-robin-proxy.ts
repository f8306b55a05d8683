import { Agent, createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const MAX_BODY_BYTES = 1024 * 1024;
const RETRIED = new Set(['ECONNREFUSED', 'ECONNRESET']);
/** The response header that says which upstream (its index) answered. */
export const SERVED_BY_HEADER = 'x-served-by-upstream';

export interface RoundRobinProxyOptions {
  /**
   * The upstream (its index) a request should go to first, or undefined for the next in turn: a test
   * that must send a delivery and its duplicate to different replicas says which. One that is down is
   * still skipped for the next.
   */
  preferred?: (incoming: IncomingMessage) => number | undefined;
  /**
   * Reuse connections to the upstreams, as production balancers do (a bench measuring throughput);
   * by default each request opens its own, so a stopped upstream is always seen as refused.
   */
  keepAlive?: boolean;
}

/**
 * A load balancer on 127.0.0.1, as small as one can be: each request goes to the next upstream in turn;
 * one that refuses the connection (stopped) or drops it unanswered is skipped for the next, as any
 * balancer's health check would. Records which upstream answered each request, and says so in a
 * response header. Used by the replica tests and by the soak's and bench's Postgres runs.
 */
export class RoundRobinProxy {
  readonly served: { path: string; upstream: number; status: number }[] = [];
  url = '';
  #upstreams: readonly string[];
  #next = 0;
  #server: Server | undefined;
  readonly #preferred: RoundRobinProxyOptions['preferred'];
  readonly #agent: Agent | false;

  constructor(upstreams: readonly string[], options: RoundRobinProxyOptions = {}) {
    this.#upstreams = upstreams;
    this.#preferred = options.preferred;
    this.#agent = options.keepAlive ? new Agent({ keepAlive: true }) : false;
  }

  async start(): Promise<this> {
    this.#server = createServer((incoming, outgoing) => {
      void this.#forward(incoming).then(
        ({ status, headers, body }) => {
          outgoing.writeHead(status, headers);
          outgoing.end(body);
        },
        (error: Error) => {
          outgoing.writeHead(502, { 'content-type': 'application/json' });
          outgoing.end(JSON.stringify({ error: `no upstream answered: ${error.message}` }));
        },
      );
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    if (this.#agent) this.#agent.destroy();
  }

  async #forward(incoming: IncomingMessage) {
    const body = await readBody(incoming);
    let lastError: Error | undefined;
    const count = this.#upstreams.length;
    const preferred = this.#preferred?.(incoming);
    for (let tried = 0; tried < count; tried++) {
      let upstream: number;
      if (preferred === undefined) {
        upstream = this.#next;
        this.#next = (this.#next + 1) % count;
      } else upstream = (((preferred + tried) % count) + count) % count;
      try {
        const answer = await send(this.#upstreams[upstream] as string, incoming, body, this.#agent);
        this.served.push({ path: incoming.url ?? '', upstream, status: answer.status });
        answer.headers[SERVED_BY_HEADER] = String(upstream);
        return answer;
      } catch (error) {
        lastError = error as Error;
        // Refused (stopped), or closed before any answer (stopping): the next upstream gets it.
        if (!RETRIED.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
      }
    }
    throw lastError ?? new Error('no upstreams');
  }
}

async function readBody(incoming: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large for the test proxy');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(
  upstream: string,
  incoming: IncomingMessage,
  body: Buffer,
  agent: Agent | false,
): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
  const target = new URL(incoming.url ?? '/', upstream);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      target,
      { method: incoming.method, headers: { ...incoming.headers, host: target.host }, agent },
      (response) => {
        void readBody(response).then(
          (answer) =>
            resolve({
              status: response.statusCode ?? 502,
              headers: response.headers as Record<string, string | string[]>,
              body: answer,
            }),
          reject,
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
