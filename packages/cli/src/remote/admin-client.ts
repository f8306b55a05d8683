import { redact, unreachableHost } from '@software-factory/auth';
import type * as z from 'zod/mini';
import {
  connectionsSchema,
  connectProgressSchema,
  connectStartSchema,
  errorBodySchema,
  type RemoteConnections,
  type RemoteConnectProgress,
  type RemoteConnectStart,
  type RemoteTenant,
  type TenantCreated,
  type TenantListEntry,
  tenantCreatedSchema,
  tenantListSchema,
  tenantSchema,
} from './admin-responses.ts';
import type { AdminToken } from './admin-token.ts';
import { isJsonResponse, MAX_RESPONSE_BYTES, readTextCapped } from './bounded-json.ts';
import { printable } from './printable.ts';
import { RemoteError } from './remote-error.ts';
import { remoteEndpoint } from './remote-url.ts';

export interface AdminClientOptions {
  /** The deployment's base URL, as `parseRemoteUrl` accepted it. */
  base: URL;
  token: AdminToken;
  /** How long one call may take before it is given up; 30 s by default. */
  timeoutMs?: number;
  /** Stops a call in flight (Ctrl-C); the call then rejects with the signal's reason. */
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * The deployed factory's admin API (`/admin/tenants…`), as the CLI calls it: a bearer token from the
 * environment, bounded answers checked against their schema, and errors that name the host, the call
 * and the status with what the server said, redacted of the token.
 */
export class AdminClient {
  readonly #base: URL;
  readonly #token: AdminToken;
  readonly #timeoutMs: number;
  readonly #signal: AbortSignal | undefined;
  readonly #fetch: typeof fetch;

  constructor(options: AdminClientOptions) {
    this.#base = options.base;
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#signal = options.signal;
    this.#fetch = options.fetch ?? fetch;
  }

  /** The host the client talks to, as errors name it. */
  get host(): string {
    return this.#base.host;
  }

  async listTenants(): Promise<TenantListEntry[]> {
    return (await this.#call('GET', '/admin/tenants', tenantListSchema)).tenants;
  }

  /** Adds a tenant (one entry of a config's `tenants:` list); the answer holds its admin token, once. */
  async addTenant(tenant: Record<string, unknown>): Promise<TenantCreated> {
    return this.#call('POST', '/admin/tenants', tenantCreatedSchema, tenant);
  }

  async getTenant(id: string): Promise<RemoteTenant> {
    return this.#call('GET', tenantPath(id), tenantSchema);
  }

  async removeTenant(id: string): Promise<void> {
    await this.#call('DELETE', tenantPath(id), undefined);
  }

  async connections(id: string): Promise<RemoteConnections> {
    return this.#call('GET', `${tenantPath(id)}/connections`, connectionsSchema);
  }

  /** Starts a sign-in on the deployed app; `scopes` left out asks for what fixes the current status. */
  async beginConnect(id: string, provider: string, scopes?: readonly string[]): Promise<RemoteConnectStart> {
    return this.#call('POST', connectPath(id, provider), connectStartSchema, scopes ? { scopes } : {});
  }

  async connectProgress(id: string, provider: string): Promise<RemoteConnectProgress> {
    return this.#call('GET', connectPath(id, provider), connectProgressSchema);
  }

  async #call<S extends z.ZodMiniType>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    schema: S | undefined,
    body?: unknown,
  ): Promise<z.output<S>> {
    const call = `${method} ${path}`;
    const url = remoteEndpoint(this.#base, path);
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = this.#signal ? AbortSignal.any([this.#signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.#token.value}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        // A redirect is reported, not followed: the bearer token goes to the address given, nowhere else.
        redirect: 'manual',
        signal,
      });
      const text = await readTextCapped(response);
      if (text === 'too-large')
        throw new RemoteError(
          `${this.host} answered ${call} with more than ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB; is --remote the factory's URL?`,
          { status: response.status },
        );
      if (!response.ok) throw this.#refusal(call, response, text);
      if (schema === undefined) return undefined as z.output<S>;
      return this.#parse(call, response, text, schema);
    } catch (error) {
      if (error instanceof RemoteError) throw error;
      if (this.#signal?.aborted) throw this.#signal.reason;
      if (timeout.aborted)
        throw new RemoteError(
          `${this.host} did not answer ${call} within ${Math.round(this.#timeoutMs / 1000)} s`,
        );
      const unreachable = unreachableHost(error, url);
      if (unreachable) throw new RemoteError(`${unreachable.message}; check --remote and the network`);
      throw new RemoteError(`${call} to ${this.host} failed: ${this.#clean(String(error))}`);
    }
  }

  #parse<S extends z.ZodMiniType>(call: string, response: Response, text: string, schema: S): z.output<S> {
    const unexpected = (what: string) =>
      new RemoteError(
        `${this.host} answered ${call} with ${what}, not what the factory's admin API answers; is --remote the factory's URL?`,
        { status: response.status },
      );
    if (!isJsonResponse(response))
      throw unexpected(this.#clean(response.headers.get('content-type') ?? 'no content type'));
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw unexpected('a body that is not JSON');
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const [issue] = parsed.error.issues;
      throw unexpected(
        `JSON of another shape (${issue?.path.join('.') || 'the body'}: ${issue?.message ?? 'invalid'})`,
      );
    }
    return parsed.data;
  }

  #refusal(call: string, response: Response, text: string): RemoteError {
    const status = response.status;
    const retryAfter = retryAfterSeconds(response.headers.get('retry-after'));
    const parsed = isJsonResponse(response) ? errorBodySchema.safeParse(safeJson(text)) : undefined;
    const body = parsed?.success ? parsed.data : undefined;
    let said = '';
    const notes: string[] = [];
    if (status >= 300 && status < 400) {
      const location = response.headers.get('location');
      const where = location ? hostOf(location, this.#base) : undefined;
      said = `a redirect${where ? ` to ${where}` : ''}, not followed`;
      notes.push('give --remote the address it redirects to');
    } else said = this.#clean(body?.error ?? response.statusText);
    if (status === 401 || status === 403) notes.push(`the token in ${this.#token.variable} was not accepted`);
    if (status === 412 && body?.version !== undefined) notes.push(`the stored version is ${body.version}`);
    if (retryAfter !== undefined) notes.push(`try again in ${retryAfter} s`);
    const details = (body?.issues ?? []).map((issue) => {
      const where = Array.isArray(issue.path) ? issue.path.join('.') : issue.path;
      return this.#clean(where ? `${where}: ${issue.message}` : issue.message);
    });
    const head = `${this.host} answered ${status} to ${call}${said ? `: ${said}` : ''}`;
    return new RemoteError([head, ...notes].join('; '), {
      status,
      details,
      ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }),
    });
  }

  /** Server text made safe to print: one line, no control characters, bounded, without the token. */
  #clean(text: string): string {
    return redact(printable(text), [this.#token.value]);
  }
}

function tenantPath(id: string): string {
  return `/admin/tenants/${encodeURIComponent(id)}`;
}

function connectPath(id: string, provider: string): string {
  return `${tenantPath(id)}/connect/${encodeURIComponent(provider)}`;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `Retry-After` in whole seconds (delta-seconds or an HTTP date); undefined when absent or unreadable. */
function retryAfterSeconds(header: string | null): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

function hostOf(location: string, base: URL): string | undefined {
  try {
    return new URL(location, base).host;
  } catch {
    return undefined;
  }
}
