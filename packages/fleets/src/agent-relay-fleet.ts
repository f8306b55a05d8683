import type * as AgentRelaySdk from '@agent-relay/sdk';
import type { AgentRelay, RelaycastMessagingClient } from '@agent-relay/sdk';
import {
  type AgentStatus,
  defaultSleep,
  type FleetClient,
  importOptionalPeer,
  jitteredBackoff,
  type RouteDecision,
  type SpawnedAgent,
  type SpawnOptions,
  type SpawnRequest,
} from '@software-factory/sdk';
import { agentNameFor } from './idempotent-names.ts';
import { parseServiceUrl, type RetryPolicy, resolveRetryPolicy, type Sleep } from './retrying-fetch.ts';

export interface AgentRelayFleetOptions {
  /** The Agent Relay workspace key. Never logged. */
  workspaceKey: string;
  /** The relay API; defaults to the SDK's (Agent Relay cloud). */
  baseUrl?: string;
  /** The harness the node starts; placement asks for a node that advertises `spawn:<cli>`. */
  cli?: string;
  /** Picks the harness per route (e.g. from `route.agent`); defaults to `cli`. */
  cliForRoute?: (route: RouteDecision) => string;
  /** Only nodes that map the route's repository are eligible (the node's repo keys). Default true. */
  placeByRepository?: boolean;
  /** The identity the factory spawns and releases as; registered (or adopted) on first use. */
  dispatcherName?: string;
  /** A persisted token of the dispatcher agent; without it the dispatcher is registered and its token rotated. */
  dispatcherToken?: string;
  /** Channel the spawned agent joins, and model, passed through to the harness. */
  channel?: string;
  model?: string;
  /** `timeoutMs` bounds each operation: the SDK itself waits for an answer forever. */
  retry?: Partial<RetryPolicy>;
  sleep?: Sleep;
  name?: string;
}

type Sdk = typeof AgentRelaySdk;

/** The loaded SDK and the workspace-scoped client made with it. */
interface Relay {
  sdk: Sdk;
  relay: AgentRelay;
}

/**
 * `@agent-relay/sdk` is an optional peer dependency, loaded on first use; without it this rejects with
 * `MissingPeerError`: `fleet.type agent-relay needs the package @agent-relay/sdk: npm install …`.
 */
function loadAgentRelaySdk(): Promise<Sdk> {
  return importOptionalPeer('@agent-relay/sdk', 'fleet.type agent-relay', () => import('@agent-relay/sdk'));
}

/**
 * Reads the SDK's own environment convention: `RELAY_WORKSPACE_KEY`, then `AGENT_RELAY_WORKSPACE_KEY`,
 * then `RELAY_API_KEY`; `RELAY_BASE_URL` for the API.
 */
export function agentRelayEnvironment(env: Record<string, string | undefined>): {
  workspaceKey: string;
  baseUrl?: string;
} {
  const pick = (...names: string[]) =>
    names.map((name) => env[name]?.trim()).find((value): value is string => Boolean(value));
  const workspaceKey = pick('RELAY_WORKSPACE_KEY', 'AGENT_RELAY_WORKSPACE_KEY', 'RELAY_API_KEY');
  if (!workspaceKey)
    throw new Error(
      'AgentRelayFleet: no workspace key; set RELAY_WORKSPACE_KEY (or AGENT_RELAY_WORKSPACE_KEY)',
    );
  const baseUrl = pick('RELAY_BASE_URL');
  if (baseUrl && !/^https?:\/\//.test(baseUrl))
    throw new Error('AgentRelayFleet: RELAY_BASE_URL must be an http(s) URL');
  return baseUrl ? { workspaceKey, baseUrl } : { workspaceKey };
}

/**
 * Agents on Agent Relay nodes, placed by capability (`spawn:<cli>`) and repository. The agent's name is
 * derived from the spawn's idempotency key and looked up in the workspace roster before every spawn, so
 * a retried spawn whose first attempt went through finds that agent instead of starting another.
 */
export class AgentRelayFleet implements FleetClient {
  readonly name: string;
  /** Made on first use, when the SDK is loaded. */
  #relay: Promise<Relay> | undefined;
  readonly #options: AgentRelayFleetOptions;
  readonly #policy: RetryPolicy;
  readonly #sleep: Sleep;
  #dispatcher: Promise<RelaycastMessagingClient> | undefined;

  constructor(options: AgentRelayFleetOptions) {
    if (!options.workspaceKey?.trim()) throw new Error('AgentRelayFleet: a workspace key is required');
    this.#options = options;
    this.name = options.name ?? 'agent-relay';
    this.#policy = resolveRetryPolicy('AgentRelayFleet', options.retry);
    if (options.baseUrl !== undefined) parseServiceUrl('AgentRelayFleet', 'baseUrl', options.baseUrl);
    for (const [field, value] of [
      ['cli', options.cli],
      ['dispatcherName', options.dispatcherName],
    ] as const)
      if (value !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(value))
        throw new Error(`AgentRelayFleet: ${field} must be a plain name like "claude"`);
    this.#sleep = options.sleep ?? defaultSleep;
  }

  static fromEnv(
    env: Record<string, string | undefined>,
    options: Omit<AgentRelayFleetOptions, 'workspaceKey' | 'baseUrl'> = {},
  ): AgentRelayFleet {
    return new AgentRelayFleet({ ...options, ...agentRelayEnvironment(env) });
  }

  /**
   * Resolves when the fleet can run here: `@agent-relay/sdk` (an optional peer dependency) loads. Makes
   * no request. Rejects with the core's `MissingPeerError` when the package is not installed:
   * `fleet.type agent-relay needs the package @agent-relay/sdk: npm install @agent-relay/sdk`.
   */
  async check(): Promise<void> {
    await this.#connect();
  }

  async spawn(request: SpawnRequest, options?: SpawnOptions): Promise<SpawnedAgent> {
    // The roster is checked before a spawn: past the deadline another performer may be checking too, so
    // nothing is placed after it.
    const signal = options?.signal;
    signal?.throwIfAborted();
    const name = await agentNameFor(request.workItemKey, request.idempotencyKey);
    const cli = this.#options.cliForRoute?.(request.route) ?? this.#options.cli ?? 'claude';
    return this.#retrying(async (relay) => {
      if (await this.#inRoster(relay, name)) return { agentId: name };
      signal?.throwIfAborted();
      const dispatcher = await this.#dispatcherClient(relay);
      await dispatcher.placement.spawn({
        capability: `spawn:${cli}`,
        ...(this.#options.placeByRepository === false ? {} : { repo: request.route.repository }),
        // A serverless handler cannot wait for a node; the core retries the spawn on a later tick.
        failFast: true,
        input: {
          name,
          task: request.task,
          ...(this.#options.channel ? { channel: this.#options.channel } : {}),
          ...(this.#options.model ? { model: this.#options.model } : {}),
          metadata: {
            factory_tenant: request.tenant,
            factory_work_item_id: request.workItemId,
            factory_work_item_key: request.workItemKey,
            factory_idempotency_key: request.idempotencyKey,
            factory_branch: request.branch,
            factory_attempt: request.attempt,
          },
        },
      });
      return { agentId: name };
    });
  }

  async status(agentId: string): Promise<AgentStatus> {
    const agent = await this.#retrying((relay) => this.#lookup(relay, agentId));
    if (!agent) return { state: 'unknown' };
    if (agent.status === 'offline') return { state: 'exited', exitCode: exitCodeOf(agent.metadata) };
    return { state: 'running' };
  }

  async release(agentId: string): Promise<void> {
    await this.#retrying(async (relay) => {
      const dispatcher = await this.#dispatcherClient(relay);
      try {
        await dispatcher.commands.invoke('release', { name: agentId, reason: 'released by the factory' });
      } catch (error) {
        if (error instanceof relay.sdk.RelayError && error.code === 'not_found') return;
        throw error;
      }
    });
  }

  #connection(): { workspaceKey: string; baseUrl?: string } {
    const { workspaceKey, baseUrl } = this.#options;
    return baseUrl ? { workspaceKey, baseUrl } : { workspaceKey };
  }

  /** The SDK and the client, the first time they are needed; a missing SDK fails every call alike. */
  #connect(): Promise<Relay> {
    this.#relay ??= loadAgentRelaySdk().then((sdk) => ({
      sdk,
      // The SDK would retry a failed spawn invocation blindly; this fleet retries itself, re-reading the
      // roster before each new attempt.
      relay: new sdk.AgentRelay({ ...this.#connection(), retryPolicy: { maxRetries: 0 } }),
    }));
    return this.#relay;
  }

  async #lookup({ sdk, relay }: Relay, name: string) {
    try {
      return await relay.agents.get(name);
    } catch (error) {
      if (error instanceof sdk.RelayError && error.code === 'not_found') return undefined;
      throw error;
    }
  }

  async #inRoster(relay: Relay, name: string): Promise<boolean> {
    return (await this.#lookup(relay, name)) !== undefined;
  }

  /** Spawning and releasing need an agent-scoped client: the factory acts as its dispatcher agent. */
  #dispatcherClient({ sdk, relay }: Relay): Promise<RelaycastMessagingClient> {
    this.#dispatcher ??= (async () => {
      const token = this.#options.dispatcherToken ?? (await this.#registerDispatcher(relay));
      return new sdk.RelaycastMessagingClient({
        ...this.#connection(),
        agentToken: token,
        retryPolicy: { maxRetries: 0 },
      });
    })().catch((error: unknown) => {
      this.#dispatcher = undefined;
      throw error;
    });
    return this.#dispatcher;
  }

  /** Adopts the dispatcher identity if it exists (rotating its token), so cold starts do not pile up agents. */
  async #registerDispatcher(relay: AgentRelay): Promise<string> {
    const agents = relay.messaging.agents;
    const input = { name: this.#options.dispatcherName ?? 'factory-dispatcher', type: 'agent' as const };
    const registration = agents.registerOrRotate
      ? await agents.registerOrRotate.call(agents, input)
      : await agents.register.call(agents, input);
    return registration.token;
  }

  /** Loading the SDK is not retried: a package that is not installed does not appear on a second try. */
  async #retrying<T>(operation: (relay: Relay) => Promise<T>): Promise<T> {
    const relay = await this.#connect();
    for (let attempt = 1; ; attempt++) {
      try {
        return await withTimeout(operation(relay), this.#policy.timeoutMs);
      } catch (error) {
        const retryable =
          (error instanceof relay.sdk.RelayError && error.retryable) || error instanceof RelayTimeoutError;
        if (!retryable || attempt >= this.#policy.maxAttempts) throw error;
        await this.#sleep(jitteredBackoff(attempt, this.#policy));
      }
    }
  }
}

function exitCodeOf(metadata: Record<string, unknown>): number {
  const code = metadata.exit_code ?? metadata.exitCode;
  return typeof code === 'number' && Number.isInteger(code) ? code : 0;
}

/** An operation that got no answer in time; the relay may still have applied it. */
class RelayTimeoutError extends Error {
  constructor(ms: number) {
    super(`Agent Relay did not answer within ${ms} ms`);
    this.name = 'RelayTimeoutError';
  }
}

function withTimeout<T>(operation: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RelayTimeoutError(ms)), ms);
  });
  // The abandoned request may still fail later; nobody waits for it any more.
  operation.catch(() => {});
  return Promise.race([operation, expired]).finally(() => clearTimeout(timer));
}
