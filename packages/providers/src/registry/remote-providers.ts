// Types only: the deployed app loads auth's code itself; this module must not pull it into every bundle.
import type { RemoteProvider } from '@software-factory/auth/remote';
import type { Connectable, ConnectionStatus } from '@software-factory/sdk';
import type { BuiltTenant } from '../tenant/build-tenant.ts';
import type { TenantConfig } from '../tenant/tenant-config-schema.ts';
import { providerRegistry } from './builtin-providers.ts';
import {
  authorizationParametersOf,
  endpointOverrides,
  oauthEnvironment,
  oauthProviderOf,
  signInEndpoints,
} from './oauth-endpoints.ts';
import type { AnyProviderEntry, OAuthClientConfig, ProviderConfig, ProviderOAuth } from './provider-entry.ts';
import { ROLES } from './provider-entry.ts';
import type { ProviderRegistry } from './provider-registry.ts';
import type { Environment } from './secrets.ts';

export interface RemoteProvidersOptions {
  /** The providers the config names; the shared `providerRegistry` by default. */
  registry?: ProviderRegistry;
}

/** One provider name's roles: its entry and config (the first role's), and every port that reads its token. */
interface SignIn {
  entry: AnyProviderEntry;
  spec: ProviderOAuth;
  config: ProviderConfig;
  ports: Connectable[];
}

/**
 * The providers of a tenant the deployed app can sign in to (`createRemoteConnector`'s `providers`): each
 * role whose registry entry has an OAuth sign-in, whose transport is `direct` (relayfile holds its own
 * connections) and whose token the config does not give (a `${REF}` needs no sign-in). A provider name
 * used by several roles (GitHub Issues and GitHub under one name) is one sign-in, asking for every scope
 * its ports need. Left out: a provider without an OAuth app (no client id, or no secret where the vendor
 * redeems codes only with it), which cannot be signed in to.
 *
 * The endpoints are the vendor's for the provider's config (a self-managed GitLab), overridden by
 * `<PREFIX>_OAUTH_AUTHORIZATION_URL` / `_TOKEN_URL` / `_DEVICE_URL` in `env` and by the config's
 * `oauth.tokenUrl`, as `factory connect` does; a malformed variable throws an `OAuthEndpointError`.
 */
export function remoteProvidersOf(
  config: TenantConfig,
  built: Pick<BuiltTenant, 'connectables'>,
  env: Environment,
  options: RemoteProvidersOptions = {},
): RemoteProvider[] {
  return remoteProvidersWith(options.registry ?? providerRegistry, config, built, env);
}

/**
 * `remoteProvidersOf` over `registry`'s providers alone, for a bundle that carries only some vendors (see
 * `buildTenantWith`).
 */
export function remoteProvidersWith(
  registry: ProviderRegistry,
  config: TenantConfig,
  built: Pick<BuiltTenant, 'connectables'>,
  env: Environment,
): RemoteProvider[] {
  const signIns = new Map<string, SignIn>();
  ROLES.forEach((role, index) => {
    const roleConfig = config[role];
    const entry = registry.get(roleConfig.type);
    const port = built.connectables[index]?.[0];
    if (!entry?.oauth || !port || roleConfig.transport !== 'direct') return;
    const tokenGiven = entry.secrets.some(
      (secret) => secret.kind === 'token' && typeof roleConfig[secret.field] === 'string',
    );
    if (tokenGiven) return;
    const name = roleConfig.provider ?? roleConfig.type;
    const known = signIns.get(name);
    if (known) known.ports.push(port);
    else signIns.set(name, { entry, spec: entry.oauth, config: roleConfig, ports: [port] });
  });
  return [...signIns].flatMap(([name, signIn]) => {
    const provider = remoteProvider(name, signIn, env);
    return provider ? [provider] : [];
  });
}

function remoteProvider(name: string, signIn: SignIn, env: Environment): RemoteProvider | undefined {
  const { spec, config, ports } = signIn;
  // The parsed `oauth:` block, which defaults to <PREFIX>_CLIENT_ID / _CLIENT_SECRET (see `schemaKit`).
  const configured = config.oauth as OAuthClientConfig | undefined;
  const fromEnv = oauthEnvironment(spec, env);
  const clientId = configured?.clientId ?? fromEnv.clientId;
  const clientSecret = configured?.clientSecret ?? fromEnv.clientSecret;
  if (!clientId || (spec.clientSecretRequired && !clientSecret)) return undefined;
  const requiredScopes = unique([
    ...ports.flatMap((port) => port.requiredScopes),
    // Asked for at every sign-in (Atlassian's offline_access); the ports' checks never require them.
    ...(spec.additionalScopes ?? []),
  ]);
  const oauth = oauthProviderOf(
    name,
    spec,
    signInEndpoints(spec, config, endpointOverrides(spec, configured, env)),
    requiredScopes,
  );
  const complete = spec.completeCredential?.bind(spec);
  const parameters = authorizationParametersOf(spec, config);
  return {
    name,
    oauth,
    flow: spec.flow,
    client: { clientId, ...(clientSecret ? { clientSecret } : {}) },
    requiredScopes,
    ...(parameters ? { authorizationParameters: parameters } : {}),
    ...(complete
      ? { completeCredential: (credential, fetch) => complete(credential, { config, fetch }) }
      : {}),
    check: () => worstOf(ports),
  };
}

/** One token serves every port of the name: the first that is not connected speaks for them all. */
async function worstOf(ports: readonly Connectable[]): Promise<ConnectionStatus> {
  const statuses = await Promise.all(ports.map((port) => port.checkConnection()));
  return statuses.find((status) => status.state !== 'connected') ?? (statuses[0] as ConnectionStatus);
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
