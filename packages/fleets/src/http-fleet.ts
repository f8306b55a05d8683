import type {
  AgentStatus,
  Clock,
  FleetClient,
  SpawnedAgent,
  SpawnOptions,
  SpawnRequest,
} from '@software-factory/sdk';
import { systemClock } from '@software-factory/sdk';
import * as z from 'zod/mini';
import { fleetSignatureHeaders, IDEMPOTENCY_HEADER, signedContent } from './fleet-signature.ts';
import {
  FleetRequestError,
  fetchWithRetry,
  type HttpClientOptions,
  parseServiceUrl,
  resolveHttpClient,
} from './retrying-fetch.ts';

export interface HttpFleetOptions extends HttpClientOptions {
  /** The team's fleet endpoint, e.g. `https://agents.example.com/factory`; routes are appended to it. */
  url: string;
  /** Shared HMAC secret; signs every request. Never logged. */
  secret: string;
  clock?: Clock;
  name?: string;
}

const spawnedSchema = z.object({ agentId: z.string().check(z.minLength(1)) });
const statusSchema = z.object({
  agentId: z.optional(z.string()),
  status: z.enum(['running', 'exited', 'failed', 'lost']),
  exitCode: z.optional(z.int()),
});

/**
 * A fleet the team runs behind its own HTTP endpoint (the protocol is in the README). Spawns are
 * idempotent by the `Idempotency-Key` header, so retrying a spawn whose answer was lost is safe.
 */
export class HttpFleet implements FleetClient {
  readonly name: string;
  readonly #base: URL;
  readonly #secret: string;
  readonly #clock: Clock;
  readonly #http: HttpClientOptions;

  constructor(options: HttpFleetOptions) {
    this.#base = parseServiceUrl('HttpFleet', 'url', options.url);
    if (!options.secret) throw new Error('HttpFleet: a signing secret is required');
    this.#secret = options.secret;
    this.#clock = options.clock ?? systemClock;
    this.name = options.name ?? 'http';
    this.#http = resolveHttpClient('HttpFleet', options);
  }

  async spawn(request: SpawnRequest, options?: SpawnOptions): Promise<SpawnedAgent> {
    const body = JSON.stringify(spawnBody(request));
    const response = await this.#send(
      'POST',
      'agents',
      body,
      {
        [IDEMPOTENCY_HEADER]: request.idempotencyKey,
        // The W3C header, so the fleet's own spans (and its agent's) continue the run's trace.
        ...(request.traceparent ? { traceparent: request.traceparent } : {}),
      },
      options?.signal,
    );
    if (!response.ok) throw await failure('spawn', response);
    const parsed = spawnedSchema.safeParse(await readJson(response));
    if (!parsed.success) throw new Error('HttpFleet spawn: the fleet answered without an agentId');
    return { agentId: parsed.data.agentId };
  }

  async status(agentId: string): Promise<AgentStatus> {
    const response = await this.#send('GET', `agents/${encodeURIComponent(agentId)}`);
    if (response.status === 404) return { state: 'unknown' };
    if (!response.ok) throw await failure('status', response);
    const parsed = statusSchema.safeParse(await readJson(response));
    if (!parsed.success) throw new Error(`HttpFleet status: unexpected answer for agent ${agentId}`);
    switch (parsed.data.status) {
      case 'running':
        return { state: 'running' };
      case 'exited':
        return { state: 'exited', exitCode: parsed.data.exitCode ?? 0 };
      case 'failed':
        return { state: 'exited', exitCode: nonZero(parsed.data.exitCode) };
      case 'lost':
        return { state: 'unknown' };
    }
  }

  async release(agentId: string): Promise<void> {
    const response = await this.#send('DELETE', `agents/${encodeURIComponent(agentId)}`);
    await response.body?.cancel();
    if (response.ok || response.status === 404) return;
    throw new FleetRequestError(
      `HttpFleet release: the fleet answered ${response.status}`,
      response.status,
      false,
    );
  }

  #send(
    method: string,
    route: string,
    body = '',
    extra: Record<string, string> = {},
    signal?: AbortSignal,
  ): Promise<Response> {
    const url = new URL(route, this.#base);
    return fetchWithRetry(
      async () => {
        const headers = {
          accept: 'application/json',
          ...extra,
          ...(await fleetSignatureHeaders(
            this.#secret,
            this.#clock.now(),
            signedContent(method, url.pathname, body),
          )),
          ...(body ? { 'content-type': 'application/json' } : {}),
        };
        return new Request(url, { method, headers, ...(body ? { body } : {}) });
      },
      this.#http,
      true,
      signal,
    );
  }
}

/** The spawn request's wire form: every SpawnRequest field but `traceparent` (a header), nothing else. */
export function spawnBody(request: SpawnRequest): Omit<SpawnRequest, 'traceparent'> {
  return {
    idempotencyKey: request.idempotencyKey,
    tenant: request.tenant,
    workItemId: request.workItemId,
    workItemKey: request.workItemKey,
    attempt: request.attempt,
    route: request.route,
    branch: request.branch,
    task: request.task,
    ...(request.traceId ? { traceId: request.traceId } : {}),
  };
}

function nonZero(exitCode: number | undefined): number {
  return exitCode === undefined || exitCode === 0 ? 1 : exitCode;
}

async function readJson(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    return undefined;
  }
}

async function failure(operation: string, response: Response): Promise<Error> {
  const text = (await response.text().catch(() => '')).slice(0, 200);
  return new FleetRequestError(
    `HttpFleet ${operation}: the fleet answered ${response.status}${text ? ` (${text})` : ''}`,
    response.status,
    false,
  );
}
