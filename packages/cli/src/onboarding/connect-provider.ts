import { holdsConnectSessions, KEY_ENV, KEY_FILE_ENV, redact } from '@software-factory/auth';
import { connectWithOAuth } from '@software-factory/providers';
import { providerRegistry, ROLES } from '@software-factory/providers/registry';
import type { ConnectionStatus } from '@software-factory/sdk';
import { CliError, EXIT_USAGE } from '../cli-error.ts';
import type { TenantConfig } from '../config/config-schema.ts';
import type { Environment } from '../config/secret-reference.ts';
import type { TenantPorts } from '../tenant/tenant-ports.ts';
import { type ConfiguredOAuthClient, missingClient, oauthAppFor } from './oauth-apps.ts';

export interface ConnectRequest {
  tenant: TenantPorts;
  tenantConfig: TenantConfig;
  /** The provider's config name, as `factory check` lists it. */
  provider: string;
  scopes?: string[] | undefined;
  redirectPort?: number | undefined;
  env: Environment;
  /** Every secret the config resolved; nothing printed may contain one. */
  secrets: Iterable<string>;
  openUrl(url: string): Promise<void>;
  print(message: string): void;
  signal?: AbortSignal | undefined;
}

/**
 * `factory connect <provider>`: the provider's sign-in (browser with PKCE, or the device grant), the
 * token stored encrypted under (tenant, provider), then the connection checked again through the same
 * port `factory start` builds, so what is printed is what the factory will see.
 */
export async function connectProvider(request: ConnectRequest): Promise<ConnectionStatus> {
  const { tenant, provider } = request;
  const index = tenant.connectables.findIndex(([port]) => port.provider === provider);
  const found = tenant.connectables[index];
  const field = ROLES[index];
  if (!found || !field) {
    const declared = tenant.connectables.map(([port]) => port.provider).join(', ');
    throw new CliError(
      `tenant ${tenant.id} declares no provider "${provider}" (declared: ${declared})`,
      EXIT_USAGE,
    );
  }
  const [port] = found;
  const roleConfig = request.tenantConfig[field] as unknown as Record<string, unknown> & { type: string };
  const store = tenant.credentials.store;
  if (!store)
    throw new CliError(
      `set ${KEY_ENV} (a passphrase of at least 12 characters) or ${KEY_FILE_ENV} (a key file): tokens are stored encrypted in ${tenant.credentials.path}`,
      EXIT_USAGE,
    );
  // A store that runs its own consent (relayfile's connect sessions) needs no OAuth app of ours.
  const sessions = holdsConnectSessions(store);
  if (roleConfig.transport === 'relayfile' && !sessions)
    throw new CliError(
      `${provider} runs through relayfile (transport: relayfile): relayfile holds its vendor connection, so connect it in relayfile; \`factory check\` shows whether the mount answers`,
      EXIT_USAGE,
    );
  const oauth = oauthAppFor(
    roleConfig.type,
    roleConfig.oauth as ConfiguredOAuthClient | undefined,
    request.env,
    request.tenantConfig[field],
  );
  if (!oauth)
    throw new CliError(
      `factory connect cannot sign in to ${roleConfig.type} yet; give its token in the config as a \${ENV_VAR} reference`,
      EXIT_USAGE,
    );
  const missing = sessions ? undefined : missingClient(roleConfig.type, oauth);
  if (missing) throw new CliError(missing, EXIT_USAGE);

  const secrets = [...request.secrets];
  const print = (message: string) => request.print(redact(message, secrets));
  // A token the config gives (written, or its default variable set) wins over the stored one.
  const given = providerRegistry
    .get(roleConfig.type)
    ?.secrets.find((secret) => secret.kind === 'token' && typeof roleConfig[secret.field] === 'string');
  if (given)
    print(
      `Note: ${field}.${given.field} is set (in the config, or by ${given.env} in the environment) and is used instead of the stored token; remove it (or unset ${given.env}) to use the one connected now.`,
    );
  const status = await connectWithOAuth(
    port,
    {
      tenant: tenant.id,
      credentials: store,
      openUrl: request.openUrl,
      print,
      ...(request.scopes ? { scopes: request.scopes } : {}),
      ...(request.signal ? { signal: request.signal } : {}),
    },
    oauth.spec,
    { ...oauth.app, ...(request.redirectPort !== undefined ? { redirectPort: request.redirectPort } : {}) },
  );
  print(
    sessions
      ? `relayfile holds the ${provider} connection of tenant ${tenant.id}.`
      : `Stored in ${tenant.credentials.path} (tenant ${tenant.id}, provider ${provider}).`,
  );
  return status;
}

/** One line for the status after connecting. */
export function describeStatus(provider: string, status: ConnectionStatus): string {
  switch (status.state) {
    case 'connected':
      return `${provider}: ✓ connected${status.identity ? ` as ${status.identity}` : ''}${status.grantedScopes ? ` (scopes: ${status.grantedScopes.join(', ') || 'none'})` : ''}`;
    case 'missing-scopes':
      return `${provider}: ✗ missing-scopes: still lacks ${status.missing.join(', ')}; approve them when connecting again`;
    case 'needs-auth':
      return `${provider}: ✗ needs-auth: ${status.reason}`;
    case 'error':
      return `${provider}: ✗ error: ${status.message}`;
  }
}
