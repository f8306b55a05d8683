import {
  type Environment,
  type ProviderRegistry,
  parseTenantConfigWith,
  SecretResolver,
  TenantConfigError,
} from '@software-factory/providers/registry';
import {
  type Clock,
  type ConnectionReport,
  errorMessage,
  type FactoryAppOptions,
  type FactoryMetrics,
  type Logger,
  type RouteConfig,
  type SealedBox,
  type SecretReference,
  type StateStore,
  type StoredCredentialStore,
  StoredTenantRegistry,
  StoreTenantDirectory,
  type TenantRegistry,
  type TenantRuntime,
  type Triage,
} from '@software-factory/sdk';
import { deployedTenant } from './deployed-tenant.ts';
import { DEPLOYMENT_FORMAT, type DeployedTenant, type FactoryDeployment } from './deployment.ts';
import { providersNotCarried } from './deployment-providers.ts';
import type { githubActionsFleet } from './github-actions-fleet.ts';
import type { remoteTenantIssues, TenantIssue } from './remote-tenant-rules.ts';
import type { SignInSupport } from './sign-in-support.ts';

/** Builds a model triage: `createTriage` of `@software-factory/llm-triage`, for a tenant that asks for one. */
export type TriageFactory = (
  config: DeployedTenant['triage'],
  routes: readonly RouteConfig[],
  options: { logger: Logger },
) => Triage;

export interface DeploymentWiring {
  /** The deployment's store, shared by every tenant (its keys carry the tenant). */
  store: StateStore;
  /**
   * The providers the deployment carries, which every tenant's roles must name: a generated entry's are
   * those its config uses and its `providers:` list adds (so its bundle holds no other vendor's code);
   * `factory start`'s, the whole `providerRegistry`.
   */
  providers: ProviderRegistry;
  logger?: Logger;
  /** Counters for `/t/:tenant/metrics`; share them with the HTTP app. */
  metrics?: FactoryMetrics;
  /** Needed only when a tenant's `triage` is a model; the generated entry passes it then. */
  createTriage?: TriageFactory;
  /** Needed only when a tenant's fleet is github-actions: `githubActionsFleet`, which the entry passes then. */
  githubActionsFleet?: typeof githubActionsFleet;
  /** Needed only with a credentials key (`server.credentialsKey`): `signIns`, which the entry passes then. */
  signIns?: SignInSupport;
  /**
   * Needed only with the admin API on (an operator token): `remoteTenantIssues`, which the entry passes
   * then. Without it the admin API (closed without a token) refuses every tenant it is given.
   */
  remoteTenantIssues?: typeof remoteTenantIssues;
  /** Wraps a tenant's connection checks, e.g. in a cache shared by every instance (Workers KV). */
  cacheConnections?: (
    tenant: string,
    check: () => Promise<ConnectionReport[]>,
  ) => () => Promise<ConnectionReport[]>;
  /**
   * The environment of a tenant added through the admin API: its `${NAME}` references (the process's
   * environment, the Worker's bindings) and the OAuth apps' variables (`<PREFIX>_CLIENT_ID`, endpoint
   * overrides).
   */
  env?: Environment;
  /** Reads a `${scheme:…}` reference of such a tenant from the platform's secret store (SSM, Secrets Manager). */
  readSecret?: (reference: SecretReference) => Promise<string>;
  clock?: Clock;
  /** How soon a tenant changed through another instance is served here. Default five seconds. */
  refreshMs?: number;
}

/** A deployment's tenants (its config's and the admin API's) and the admin API over them. */
export interface DeploymentTenants extends TenantRegistry {
  readonly admin: AdminApiOptions;
}

type AdminApiOptions = NonNullable<FactoryAppOptions['admin']>;

/** The stored credentials and sign-in key of a deployment with a credentials key. */
export interface Keys {
  box: SealedBox;
  credentials: StoredCredentialStore;
  signIns: SignInSupport;
}

/**
 * Every tenant of a deployment: those of the config `factory deploy` embedded (once the platform has
 * resolved its secret references) and those added through the admin API, kept in the store and built
 * by the same code. With `server.credentialsKey`, tokens signed in to on the deployment are stored in
 * the store, encrypted, and every tenant can be signed in to remotely. The same code runs on Lambda,
 * on Workers and in `factory start`.
 */
export async function deploymentTenants(
  deployment: FactoryDeployment,
  wiring: DeploymentWiring,
): Promise<DeploymentTenants> {
  if (deployment.format !== DEPLOYMENT_FORMAT)
    throw new Error(
      `this deployment was made for ${String(deployment.format)}, not ${DEPLOYMENT_FORMAT}: build it again with the same factory CLI as its packages`,
    );
  return tenantsAsData(wiring, {
    configured: deployment.tenants,
    ...(deployment.server.credentialsKey !== undefined ? { key: deployment.server.credentialsKey } : {}),
    ...(deployment.server.oauthApps ? { oauthApps: deployment.server.oauthApps } : {}),
  });
}

export interface TenantsAsDataOptions {
  /** Tenants of the deployment's config, built here like the stored ones. */
  configured?: readonly DeployedTenant[];
  /** Tenants built elsewhere and served as they are (`factory start`'s, with their local fleets). */
  pinned?: readonly TenantRuntime[];
  /** The credentials key: a secret as written (hex or base64), or its bytes. Without it, no sign-ins here. */
  key?: string | Uint8Array;
  /** The OAuth apps of sign-ins here, by provider type (`server.oauthApps`, resolved). */
  oauthApps?: Readonly<Record<string, { clientId: string; clientSecret?: string | undefined }>>;
}

/** The registry and admin API of `deploymentTenants`, for a runtime that builds some tenants itself. */
export async function tenantsAsData(
  wiring: DeploymentWiring,
  options: TenantsAsDataOptions,
): Promise<DeploymentTenants> {
  const keys = options.key === undefined ? undefined : await keysOf(options.key, wiring);
  if (options.oauthApps)
    wiring = {
      ...wiring,
      env: { ...wiring.env, ...oauthAppVariables(options.oauthApps, wiring.providers) },
    };
  const directory = new StoreTenantDirectory(wiring.store, wiring.clock);
  /** Provider names each tenant was built with here: what a removed tenant's credentials are stored under. */
  const providerNames = new Map<string, Set<string>>();
  const build = (config: DeployedTenant) => {
    const built = deployedTenant(config, wiring, keys);
    providerNames.set(config.id, new Set(built.providers));
    return built.runtime;
  };
  const registry = new StoredTenantRegistry({
    directory,
    pinned: [...(options.pinned ?? []), ...(options.configured ?? []).map(build)],
    build: async (stored) => build(await parseStoredTenant(stored.id, stored.config, wiring)),
    ...(wiring.refreshMs !== undefined ? { refreshMs: wiring.refreshMs } : {}),
    ...(wiring.clock ? { clock: wiring.clock } : {}),
    ...(wiring.logger ? { logger: wiring.logger } : {}),
  });
  return {
    get: (id) => registry.get(id),
    list: () => registry.list(),
    admin: {
      directory,
      validate: (id, config) => storedTenantIssues(id, config, wiring, keys !== undefined),
      changed: (id) => registry.invalidate(id),
      async removed(id) {
        if (!keys) return;
        const names = new Set([
          ...(providerNames.get(id) ?? []),
          ...wiring.providers.entries().map((entry) => entry.type),
        ]);
        for (const name of names) await keys.credentials.delete(id, name);
        providerNames.delete(id);
      },
    },
  };
}

/**
 * The deployment's OAuth apps as the variables a provider's sign-in reads (`<PREFIX>_CLIENT_ID`,
 * `_CLIENT_SECRET`), so one app per vendor serves every tenant without a variable set by hand.
 */
function oauthAppVariables(
  apps: Readonly<Record<string, { clientId: string; clientSecret?: string | undefined }>>,
  providers: ProviderRegistry,
): Environment {
  const variables: Record<string, string> = {};
  for (const [type, app] of Object.entries(apps)) {
    const prefix = providers.get(type)?.oauth?.envPrefix;
    if (!prefix) throw new Error(`server.oauthApps.${type}: no provider "${type}" signs in with OAuth`);
    variables[`${prefix}_CLIENT_ID`] = app.clientId;
    if (app.clientSecret !== undefined) variables[`${prefix}_CLIENT_SECRET`] = app.clientSecret;
  }
  return variables;
}

async function keysOf(secret: string | Uint8Array, wiring: DeploymentWiring): Promise<Keys> {
  const signIns = wiring.signIns;
  if (!signIns)
    throw new Error(
      'server.credentialsKey: this entry gives no sign-in support (signIns, from @software-factory/cli/deployment); generate it again with `factory deploy`',
    );
  let box: SealedBox;
  try {
    box =
      typeof secret === 'string'
        ? await signIns.SealedBox.fromSecret(secret)
        : await signIns.SealedBox.fromKey(secret);
  } catch (error) {
    throw new Error(`server.credentialsKey: ${errorMessage(error)}`);
  }
  return { box, credentials: new signIns.StoredCredentialStore(wiring.store, box), signIns };
}

/**
 * A stored tenant's config, its references resolved as this platform resolves them. One that names a
 * provider the deployment does not carry (stored through a deployment built with it) is not built: the
 * error, which the tenant registry logs, names the fix.
 */
async function parseStoredTenant(
  id: string,
  config: Record<string, unknown>,
  wiring: DeploymentWiring,
): Promise<DeployedTenant> {
  const [notCarried] = providersNotCarried(config, wiring.providers);
  if (notCarried) throw new Error(`tenant ${id}: ${notCarried.path.join('.')}: ${notCarried.message}`);
  const env = wiring.env ?? {};
  const read = wiring.readSecret;
  // Its tokens are its own: a token it leaves out comes from its sign-in, not the deployment's variables.
  const options = { tokenDefaults: false };
  const secrets = read
    ? await SecretResolver.withStore(config, env, read, options)
    : new SecretResolver(env, new Map(), options);
  const parsed = parseTenantConfigWith(wiring.providers, config, { secrets });
  // Its tokens are not among those the deployment's logger was made with: it must scrub them too.
  wiring.logger?.addSecrets?.(secrets.values);
  return { ...parsed, id };
}

/** Why a tenant given to the admin API cannot run here: the config schema's problems, then the remote rules. */
async function storedTenantIssues(
  id: string,
  config: Record<string, unknown>,
  wiring: DeploymentWiring,
  storedCredentials: boolean,
): Promise<TenantIssue[]> {
  const notCarried = providersNotCarried(config, wiring.providers);
  if (notCarried.length > 0) return notCarried;
  let tenant: DeployedTenant;
  try {
    tenant = await parseStoredTenant(id, config, wiring);
  } catch (error) {
    if (error instanceof TenantConfigError)
      return error.issues.map((issue) => ({ path: issue.path, message: issue.message }));
    // A secret store that cannot be read (a reference to a parameter that does not exist, say).
    return [{ path: [], message: errorMessage(error) }];
  }
  if (tenant.fleet?.type === 'github-actions' && !wiring.githubActionsFleet)
    return [
      {
        path: ['fleet', 'type'],
        message:
          'this deployment was built without the github-actions fleet: deploy it again (factory deploy) from a config one of whose tenants uses it',
      },
    ];
  if (!wiring.remoteTenantIssues)
    return [
      {
        path: [],
        message:
          'this deployment was built without the admin API: deploy it again (factory deploy) with server.operatorToken set',
      },
    ];
  return wiring
    .remoteTenantIssues(tenant, {
      providers: wiring.providers,
      platform: 'a tenant added through the admin API',
      storedCredentials,
      example: (variable) => `\${${variable}}`,
    })
    .map((issue) => ({ path: issue.path, message: issue.message }));
}
