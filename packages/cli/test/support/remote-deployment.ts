import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getConnInfo } from '@hono/node-server/conninfo';
import { parseTenantConfig, TenantConfigError } from '@software-factory/providers/registry';
import {
  type ConfigIssue,
  type ConnectionReport,
  type ConnectionStatus,
  type ConnectProgress,
  ConnectRefusedError,
  type ConnectStart,
  createFactoryApp,
  InMemoryStateStore,
  type RemoteConnector,
  StoredTenantRegistry,
  StoreTenantDirectory,
  type TenantRuntime,
} from '@software-factory/sdk';
import { FactoryHarness } from '@software-factory/sdk/testing';
import { type Listening, listen } from '../../src/http-listener.ts';

// A deployed factory on 127.0.0.1 for the remote commands: the core's real HTTP app with its admin API,
// the real tenant directory and registry over an in-memory store, configs judged by the providers'
// tenant schema, and a sign-in connector per tenant that behaves as the deployed one does (state single
// use and expiring, a code the vendor issued, a device code the person enters) against a small vendor.

export const OPERATOR_TOKEN = 'operator-token-of-the-remote-tests-000001';
export const PINNED_ADMIN_TOKEN = 'admin-token-of-the-config-tenant-0000001';

/** The environment the deployment resolves a tenant's references in (what a Lambda's would hold). */
const DEPLOYMENT_ENV = {
  LINEAR_WEBHOOK_SECRET: 'lin_wh_secret_0123456789',
  SLACK_SIGNING_SECRET: 'slack_signing_secret_0123456789',
  GITHUB_WEBHOOK_SECRET: 'gh_wh_secret_0123456789',
  FLEET_SECRET: 'fleet_secret_0123456789',
};

/** The providers every tenant signs in to here: one in the browser, one with a device code. */
const SIGN_INS = {
  linear: { role: 'intake', flow: 'authorization-code', scopes: ['read', 'write'] },
  github: { role: 'output', flow: 'device', scopes: ['repo'] },
} as const;
type Provider = keyof typeof SIGN_INS;
const isProvider = (name: string): name is Provider => Object.hasOwn(SIGN_INS, name);

/**
 * The vendor: its consent page sends the browser back to the redirect URI with a code it will redeem
 * once (or with `error=access_denied` when `deny` is set); device codes are approved when the person
 * enters them (`enterCode`).
 */
export class LoopbackVendor {
  url = '';
  deny = false;
  readonly #codes = new Set<string>();
  readonly #approved = new Set<string>();
  #server: Server | undefined;

  async start(): Promise<this> {
    this.#server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', this.url);
      const redirect = url.searchParams.get('redirect_uri');
      const state = url.searchParams.get('state');
      if (url.pathname !== '/authorize' || !redirect || !state) {
        response.writeHead(404).end();
        return;
      }
      const back = new URL(redirect);
      if (this.deny) back.searchParams.set('error', 'access_denied');
      else {
        const code = `code-${randomBytes(12).toString('hex')}`;
        this.#codes.add(code);
        back.searchParams.set('code', code);
      }
      back.searchParams.set('state', state);
      response.writeHead(302, { location: back.href }).end();
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  /** The token exchange: true once for a code this vendor issued. */
  redeem(code: string): boolean {
    return this.#codes.delete(code);
  }

  /** The person enters the code shown by `factory connect`. */
  enterCode(userCode: string): void {
    this.#approved.add(userCode);
  }

  approved(userCode: string): boolean {
    return this.#approved.has(userCode);
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

interface SignIn {
  flow: 'authorization-code' | 'device';
  scopes: string[];
  expiresAt: number;
  state?: string;
  userCode?: string;
  used?: boolean;
  failed?: string;
}

/** A tenant's sign-ins as the deployed app runs them; tokens land in the deployment's `tokens`. */
class LoopbackConnector implements RemoteConnector {
  readonly begun: { provider: string; scopes: readonly string[] | undefined; redirectUri: string }[] = [];
  readonly #signIns = new Map<Provider, SignIn>();
  readonly #tenant: string;
  readonly #deployment: RemoteDeployment;

  constructor(tenant: string, deployment: RemoteDeployment) {
    this.#tenant = tenant;
    this.#deployment = deployment;
  }

  providers(): string[] {
    return Object.keys(SIGN_INS);
  }

  async begin(
    provider: string,
    options: { redirectUri: string; scopes?: readonly string[] },
  ): Promise<ConnectStart> {
    if (!isProvider(provider)) throw new ConnectRefusedError(404, `no provider ${provider}`);
    this.begun.push({ provider, scopes: options.scopes, redirectUri: options.redirectUri });
    const scopes = [...(options.scopes ?? SIGN_INS[provider].scopes)];
    const expiresAt = Date.now() + this.#deployment.signInTtlMs;
    if (SIGN_INS[provider].flow === 'device') {
      const userCode = `${randomBytes(2).toString('hex')}-${randomBytes(2).toString('hex')}`.toUpperCase();
      this.#signIns.set(provider, { flow: 'device', scopes, expiresAt, userCode });
      return {
        flow: 'device',
        provider,
        verificationUri: `${this.#deployment.vendor.url}/device`,
        userCode,
        scopes,
        expiresAt,
        intervalSeconds: 1,
      };
    }
    const state = randomUUID();
    this.#signIns.set(provider, { flow: 'authorization-code', scopes, expiresAt, state });
    const query = new URLSearchParams({ state, redirect_uri: options.redirectUri, scope: scopes.join(' ') });
    return {
      flow: 'authorization-code',
      provider,
      authorizationUrl: `${this.#deployment.vendor.url}/authorize?${query}`,
      scopes,
      expiresAt,
    };
  }

  async callback(provider: string, url: URL): Promise<ConnectionStatus> {
    const signIn = isProvider(provider) ? this.#signIns.get(provider) : undefined;
    if (!signIn?.state || signIn.state !== url.searchParams.get('state'))
      throw new ConnectRefusedError(400, 'this sign-in is not known here; start it again');
    if (signIn.used) throw new ConnectRefusedError(410, 'this sign-in was already completed');
    if (Date.now() > signIn.expiresAt) throw new ConnectRefusedError(410, 'this sign-in has expired');
    signIn.used = true;
    const error = url.searchParams.get('error');
    if (error) {
      signIn.failed = `the vendor said: ${error}`;
      throw new ConnectRefusedError(400, signIn.failed);
    }
    if (!this.#deployment.vendor.redeem(url.searchParams.get('code') ?? '')) {
      signIn.failed = 'the vendor refused the code';
      throw new ConnectRefusedError(400, signIn.failed);
    }
    return this.#store(provider as Provider, signIn);
  }

  async progress(provider: string): Promise<ConnectProgress> {
    const signIn = isProvider(provider) ? this.#signIns.get(provider) : undefined;
    if (!signIn) return { state: 'none' };
    const stored = this.#deployment.tokens.get(`${this.#tenant}/${provider}`);
    if (signIn.used && stored) return { state: 'connected', status: stored };
    if (signIn.failed) return { state: 'failed', reason: signIn.failed };
    if (Date.now() > signIn.expiresAt) return { state: 'expired' };
    if (signIn.userCode && this.#deployment.vendor.approved(signIn.userCode)) {
      signIn.used = true;
      return { state: 'connected', status: this.#store(provider as Provider, signIn) };
    }
    return { state: 'pending', flow: signIn.flow, expiresAt: signIn.expiresAt };
  }

  #store(provider: Provider, signIn: SignIn): ConnectionStatus {
    const status: ConnectionStatus = {
      state: 'connected',
      identity: `bot@${this.#tenant}`,
      grantedScopes: signIn.scopes,
    };
    this.#deployment.tokens.set(`${this.#tenant}/${provider}`, status);
    return status;
  }
}

export interface RemoteDeploymentOptions {
  /** A tenant of the deployment's config, with its admin token. */
  pinned?: string;
  /** How long a sign-in may take before it expires. */
  signInTtlMs?: number;
}

export class RemoteDeployment {
  readonly store = new InMemoryStateStore();
  readonly directory = new StoreTenantDirectory(this.store);
  readonly vendor = new LoopbackVendor();
  /** The connection of each tenant's provider once signed in, by `tenant/provider`. */
  readonly tokens = new Map<string, ConnectionStatus>();
  readonly connectors = new Map<string, LoopbackConnector>();
  readonly signInTtlMs: number;
  url = '';
  #listening: Listening | undefined;
  readonly #options: RemoteDeploymentOptions;

  constructor(options: RemoteDeploymentOptions = {}) {
    this.#options = options;
    this.signInTtlMs = options.signInTtlMs ?? 10 * 60_000;
  }

  async start(): Promise<this> {
    await this.vendor.start();
    const registry = new StoredTenantRegistry({
      directory: this.directory,
      build: (stored) => this.#runtime(stored.id),
      pinned: this.#options.pinned
        ? [{ ...this.#runtime(this.#options.pinned), adminToken: PINNED_ADMIN_TOKEN }]
        : [],
    });
    const app = createFactoryApp({
      tenants: registry,
      store: this.store,
      version: '0.0.0-test',
      operatorToken: OPERATOR_TOKEN,
      clientAddress: (c) => getConnInfo(c).remote.address,
      admin: {
        directory: this.directory,
        validate: validateTenant,
        changed: (id) => registry.invalidate(id),
      },
    });
    this.#listening = await listen(app.fetch, '127.0.0.1', 0);
    this.url = `http://127.0.0.1:${this.#listening.port}`;
    return this;
  }

  connectorOf(tenant: string): LoopbackConnector {
    const known = this.connectors.get(tenant);
    if (known) return known;
    const connector = new LoopbackConnector(tenant, this);
    this.connectors.set(tenant, connector);
    return connector;
  }

  async stop(): Promise<void> {
    await Promise.all([this.#listening?.close(), this.vendor.stop()]);
  }

  #runtime(id: string): TenantRuntime {
    const connector = this.connectorOf(id);
    return {
      id,
      factory: new FactoryHarness({ tenant: id, store: this.store }).factory,
      sources: new Map(),
      connections: async () =>
        Object.entries(SIGN_INS).map(
          ([provider, { role }]): ConnectionReport => ({
            provider,
            role,
            status: this.tokens.get(`${id}/${provider}`) ?? {
              state: 'needs-auth',
              reason: `${provider} is not signed in`,
            },
          }),
        ),
      connector,
    };
  }
}

/** The deployment's judgement of a tenant: the providers' tenant schema, secrets only as references. */
async function validateTenant(_id: string, config: Record<string, unknown>): Promise<ConfigIssue[]> {
  try {
    parseTenantConfig(config, { env: DEPLOYMENT_ENV });
    return [];
  } catch (error) {
    if (error instanceof TenantConfigError) return error.issues.map((issue) => ({ ...issue }));
    throw error;
  }
}
