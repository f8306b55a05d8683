import {
  CloudApiError,
  RelayfileSetup,
  type RelayfileSetupRetryOptions,
  WORKSPACE_INTEGRATION_PROVIDERS,
  type WorkspaceHandle,
  type WorkspaceIntegrationProvider,
} from '@relayfile/sdk';
import type { ConnectionStatus, Credential, Logger } from '@software-factory/sdk';
import { silentLogger } from '@software-factory/sdk';
import * as z from 'zod/mini';
import { AuthFlowError } from './auth-error.ts';
import type { ConnectPrompt, ConnectSessionStore } from './connect-context.ts';
import { formatWait, unreachableHost } from './network-failure.ts';
import { parseOptions } from './parse-options.ts';
import { redactedMessage } from './redact.ts';
import { realSleep, type Sleep } from './sleep.ts';

export interface RelayfileCredentialStoreOptions {
  /** relayfile's cloud API, e.g. `https://agentrelay.com/cloud` (the SDK's default). */
  cloudApiUrl?: string;
  /** The relayfile cloud access token (or a function that returns a current one). Never logged. */
  accessToken: string | (() => Promise<string>);
  /** The relayfile workspace that holds a tenant's connections. */
  workspaceFor: (tenant: string) => string | Promise<string>;
  /**
   * Factory provider name → relayfile integration. relayfile has several Slack apps
   * (`slack-sage`, `slack-my-senior-dev`, `slack-nightcto`), so Slack must be mapped explicitly;
   * `linear` and `github` map to themselves by default.
   */
  integrations?: Record<string, string>;
  /** Name the factory joins the workspace under. */
  agentName?: string;
  /** relayfile token scopes the factory asks for when joining; default `RELAYFILE_FACTORY_SCOPES`. */
  workspaceScopes?: string[];
  pollIntervalMs?: number;
  /** How long `connect` waits for the person to finish the connect link. Default ten minutes. */
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  retry?: RelayfileSetupRetryOptions;
  sleep?: Sleep;
  logger?: Logger;
}

const optionsSchema = z.object({
  cloudApiUrl: z.optional(z.url()),
  integrations: z.optional(
    z.record(z.string().check(z.minLength(1)), z.enum(WORKSPACE_INTEGRATION_PROVIDERS)),
  ),
  agentName: z.optional(z.string().check(z.minLength(1))),
  workspaceScopes: z.optional(z.array(z.string().check(z.minLength(1))).check(z.minLength(1))),
  pollIntervalMs: z.optional(z.int().check(z.nonnegative())),
  connectTimeoutMs: z.optional(z.int().check(z.positive())),
  requestTimeoutMs: z.optional(z.int().check(z.positive())),
});

/**
 * The relayfile token scopes the factory needs, asked for when it joins a workspace (the SDK alone asks
 * for `fs:read`, `fs:write`). From relayfile's own routes (AgentWorkforce/relayfile@380bc0f8):
 * - `fs:read`, `fs:write`: the tree, file reads and writes, the events feed and WebSocket
 *   (internal/httpapi/server.go);
 * - `ops:read`: `GET ops/:id`, which a write polls until its write-back to the vendor is done (same file);
 * - `webhooks:read`, `webhooks:write`, `webhooks:replay`: listing, registering and deleting the webhook
 *   subscription and replaying its dead letters, cloud-only routes whose scopes scripts/conformance.ts
 *   grants (`webhooks:write` is what registering needs; a path-scoped token may register but not list
 *   or delete).
 */
export const RELAYFILE_FACTORY_SCOPES: readonly string[] = [
  'fs:read',
  'fs:write',
  'ops:read',
  'webhooks:read',
  'webhooks:write',
  'webhooks:replay',
];

const DEFAULT_INTEGRATIONS: Record<string, WorkspaceIntegrationProvider> = {
  linear: 'linear',
  github: 'github',
};
const DEFAULT_POLL_INTERVAL_MS = 2_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10 * 60_000;

/**
 * Connections held by relayfile instead of by us: relayfile runs the vendor's OAuth (through its
 * connect sessions) and keeps the vendor tokens; the factory only ever holds a relayfile workspace
 * token, which is what it needs to reach the vendor through relayfile's mount.
 *
 * - `connect()` asks relayfile for a connect link for the provider, shows it, and polls the
 *   integration's status until relayfile reports it ready (the SDK's `connectIntegration` and
 *   `getConnectionStatus`);
 * - `get()` returns the workspace token when the provider's integration is ready, undefined otherwise;
 * - `put()` is refused (there is no vendor token to hand over); `delete()` disconnects the integration.
 */
export class RelayfileCredentialStore implements ConnectSessionStore {
  readonly #options: RelayfileCredentialStoreOptions;
  readonly #integrations: Record<string, WorkspaceIntegrationProvider>;
  readonly #setup: RelayfileSetup;
  readonly #workspaces = new Map<string, Promise<WorkspaceHandle>>();
  /** Connection ids returned by connect sessions; relayfile falls back to the workspace id. */
  readonly #connectionIds = new Map<string, string>();
  readonly #logger: Logger;

  constructor(options: RelayfileCredentialStoreOptions) {
    const parsed = parseOptions(
      optionsSchema,
      {
        cloudApiUrl: options.cloudApiUrl,
        integrations: options.integrations,
        agentName: options.agentName,
        workspaceScopes: options.workspaceScopes,
        pollIntervalMs: options.pollIntervalMs,
        connectTimeoutMs: options.connectTimeoutMs,
        requestTimeoutMs: options.requestTimeoutMs,
      },
      'relayfile credential store',
    );
    if (typeof options.workspaceFor !== 'function') {
      throw new Error('invalid relayfile credential store options: workspaceFor is required');
    }
    if (!options.accessToken) {
      throw new Error('invalid relayfile credential store options: accessToken is required');
    }
    this.#options = options;
    this.#integrations = { ...DEFAULT_INTEGRATIONS, ...parsed.integrations };
    this.#logger = options.logger ?? silentLogger;
    this.#setup = new RelayfileSetup({
      accessToken: options.accessToken,
      ...(parsed.cloudApiUrl ? { cloudApiUrl: parsed.cloudApiUrl } : {}),
      ...(parsed.requestTimeoutMs ? { requestTimeoutMs: parsed.requestTimeoutMs } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
    });
  }

  async get(tenant: string, provider: string): Promise<Credential | undefined> {
    const integration = this.#integration(provider);
    const workspace = await this.#workspace(tenant);
    if (!(await this.#ready(workspace, integration, this.#connectionId(tenant, provider, workspace))))
      return undefined;
    return { accessToken: workspace.getToken(), scopes: [], tokenType: 'relayfile' };
  }

  async put(_tenant: string, provider: string, _credential: Credential): Promise<void> {
    throw new Error(
      `relayfile keeps the ${provider} tokens itself and accepts none from the factory; connect ${provider} through relayfile's connect link instead`,
    );
  }

  async delete(tenant: string, provider: string): Promise<void> {
    const integration = this.#integration(provider);
    const workspace = await this.#workspace(tenant);
    await this.#call(`disconnect of ${provider}`, () => workspace.disconnectIntegration(integration));
    this.#connectionIds.delete(key(tenant, provider));
  }

  /** Runs relayfile's connect session for `provider`: show the link, wait until relayfile says ready. */
  async connect(tenant: string, provider: string, context: ConnectPrompt): Promise<ConnectionStatus> {
    const integration = this.#integration(provider);
    const workspace = await this.#workspace(tenant);
    const known = this.#connectionId(tenant, provider, workspace);
    if (await this.#ready(workspace, integration, known)) {
      context.print(`${provider} is already connected through relayfile.`);
      return { state: 'connected' };
    }

    const session = await this.#call(`connect session for ${provider}`, () =>
      workspace.connectIntegration(integration),
    );
    this.#connectionIds.set(key(tenant, provider), session.connectionId);
    if (session.alreadyConnected || !session.connectLink) return { state: 'connected' };

    // The link is for the person to open, so it is printed as is; it is short-lived and never logged.
    context.print(`To connect ${provider} through relayfile, open:\n  ${session.connectLink}`);
    this.#logger.info('relayfile connect session started', { provider, integration });
    Promise.resolve()
      .then(() => context.openUrl(session.connectLink as string))
      .catch(() => context.print('Could not open a browser; open the link above yourself.'));

    const sleep = this.#options.sleep ?? realSleep;
    const interval = this.#options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    const timeout = this.#options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    context.print(
      `Waiting up to ${formatWait(timeout)} for relayfile to report ${provider} connected (asking every ${formatWait(interval)}); Ctrl-C cancels.`,
    );
    let waited = 0;
    for (;;) {
      if (await this.#ready(workspace, integration, session.connectionId)) {
        context.print(`${provider} connected through relayfile.`);
        this.#logger.info('relayfile connection ready', { provider, integration });
        return { state: 'connected' };
      }
      if (waited >= timeout) {
        throw new AuthFlowError(
          provider,
          'timeout',
          `relayfile did not report ${provider} connected within ${Math.round(timeout / 1000)} s; open the link again or run the connect again`,
        );
      }
      try {
        await sleep(interval, context.signal);
      } catch {
        throw new AuthFlowError(
          provider,
          'aborted',
          `connecting ${provider} through relayfile was cancelled`,
        );
      }
      waited += Math.max(interval, 1);
    }
  }

  #integration(provider: string): WorkspaceIntegrationProvider {
    const integration = this.#integrations[provider];
    if (!integration) {
      const known = Object.keys(this.#integrations).join(', ');
      throw new Error(
        `no relayfile integration is configured for provider "${provider}" (configured: ${known}); add it to \`integrations\`, e.g. { ${provider}: '${WORKSPACE_INTEGRATION_PROVIDERS.find((name) => name.startsWith(provider)) ?? provider}' }`,
      );
    }
    return integration;
  }

  #connectionId(tenant: string, provider: string, workspace: WorkspaceHandle): string {
    return this.#connectionIds.get(key(tenant, provider)) ?? workspace.workspaceId;
  }

  #workspace(tenant: string): Promise<WorkspaceHandle> {
    let handle = this.#workspaces.get(tenant);
    if (!handle) {
      handle = (async () => {
        const workspaceId = await this.#options.workspaceFor(tenant);
        if (typeof workspaceId !== 'string' || workspaceId.length === 0) {
          throw new Error(`no relayfile workspace is configured for tenant ${tenant}`);
        }
        return this.#call(`join of workspace ${workspaceId}`, () =>
          this.#setup.joinWorkspace(workspaceId, {
            ...(this.#options.agentName ? { agentName: this.#options.agentName } : {}),
            scopes: [...(this.#options.workspaceScopes ?? RELAYFILE_FACTORY_SCOPES)],
          }),
        );
      })();
      handle.catch(() => this.#workspaces.delete(tenant));
      this.#workspaces.set(tenant, handle);
    }
    return handle;
  }

  async #ready(
    workspace: WorkspaceHandle,
    integration: WorkspaceIntegrationProvider,
    connectionId: string,
  ): Promise<boolean> {
    try {
      const status = await workspace.getConnectionStatus(integration, connectionId);
      return status.ready;
    } catch (error) {
      // An integration relayfile has never seen is not connected, not an outage.
      if (error instanceof CloudApiError && error.httpStatus === 404) return false;
      throw this.#failure(`status of ${integration}`, error);
    }
  }

  async #call<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw this.#failure(what, error);
    }
  }

  #failure(what: string, error: unknown): Error {
    const token = typeof this.#options.accessToken === 'string' ? this.#options.accessToken : undefined;
    const unreachable = unreachableHost(error, this.#options.cloudApiUrl);
    if (unreachable) return new Error(`relayfile ${what} failed: ${unreachable.message}`);
    const status = error instanceof CloudApiError ? ` (HTTP ${error.httpStatus})` : '';
    return new Error(`relayfile ${what} failed${status}: ${redactedMessage(error, [token])}`);
  }
}

function key(tenant: string, provider: string): string {
  return JSON.stringify([tenant, provider]);
}
