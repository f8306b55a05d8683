// biome-ignore-all lint/suspicious/noTemplateCurlyInString: messages show ${…} references as they are written.
import {
  buildTenantWith,
  type ProviderRegistry,
  ROLES,
  type TenantConfig,
  tenantRequirements,
} from '@software-factory/providers/registry';
import { errorMessage, silentLogger } from '@software-factory/sdk';

/** A problem of a tenant's config, at the field a person must change. */
export interface TenantIssue {
  path: (string | number)[];
  message: string;
  /** Whether the key (a missing field) or its value is at fault, for `file:line:col`. */
  at?: 'key' | 'value';
}

export interface RemoteTenantContext {
  /** The providers the tenant's roles name (those the deployment carries). */
  providers: ProviderRegistry;
  /** Who runs the tenant, for messages: `a deployment on Lambda`, `a tenant added through the admin API`. */
  platform: string;
  /** Whether tokens left out of the config can come from sign-ins on the deployment (a credentials key). */
  storedCredentials: boolean;
  /** How a secret is written here, e.g. `${LINEAR_API_KEY} or ${ssm:/factory/linear-api-key}`. */
  example(variable: string): string;
}

/** What a deployment's missing fleet is told to add. */
export const REMOTE_FLEET_EXAMPLE =
  'fleet: { type: http, url: https://agents.example.com/factory, secret: ${FLEET_SECRET} } (or type github-actions with a token)';

/**
 * What a tenant running away from the machine that wrote its config cannot do: run agents or read
 * folders there, read its token from a credentials file there, or leave out what taking work needs. The
 * same rules for a tenant in `factory deploy`'s config and for one added through the admin API (where
 * they also keep a remote caller from making the host run a command or read its files).
 */
export function remoteTenantIssues(tenant: TenantConfig, context: RemoteTenantContext): TenantIssue[] {
  const issues: TenantIssue[] = [];
  const platform = context.platform;
  let relayfile = false;
  for (const role of ROLES) {
    const block = tenant[role];
    if (block.transport === 'relayfile') {
      relayfile = true;
      issues.push({
        path: [role, 'transport'],
        message: `transport "relayfile" is not supported by ${platform} yet: use transport "direct" (the vendor's webhooks and API)`,
      });
      continue;
    }
    const entry = context.providers.get(block.type);
    for (const secret of entry?.secrets ?? []) {
      if (secret.kind !== 'token' || typeof block[secret.field] === 'string') continue;
      // Left out, the token comes from a sign-in on the deployment, which needs its credentials key.
      if (context.storedCredentials && entry?.oauth) continue;
      issues.push({
        path: [role],
        at: 'key',
        message: context.storedCredentials
          ? `${block.type} has no \`${secret.field}\` and no sign-in for ${platform}: give the token as a secret reference, e.g. ${secret.field}: ${context.example(secret.env)}`
          : `${block.type} has no \`${secret.field}\`: ${platform} keeps no tokens from sign-ins without a credentials key (server.credentialsKey), so give it as a secret reference, e.g. ${secret.field}: ${context.example(secret.env)}`,
      });
    }
  }
  if (!relayfile && tenant.mount === undefined)
    for (const requirement of requirementsOf(tenant, context.providers))
      issues.push({
        path: requirement.path,
        message: `${requirement.what}: ${requirement.fix}`,
        at: requirement.path.length === 1 ? 'key' : 'value',
      });
  if (tenant.mount?.type === 'directory')
    issues.push({
      path: ['mount', 'type'],
      message: `a local folder cannot be mounted by ${platform}: remove \`mount\` (or use relayfile with \`factory start\`)`,
    });
  if (tenant.template.file !== undefined)
    issues.push({
      path: ['template', 'file'],
      message: `${platform} reads no files: give the task as \`template.text\``,
    });
  const fleet = tenant.fleet;
  if (!fleet) return issues;
  if (fleet.type === 'local')
    issues.push({
      path: ['fleet', 'type'],
      message: `a local fleet runs agents on this machine, and ${platform} cannot: use a remote fleet (type http or github-actions)`,
    });
  else if (fleet.type === 'agent-relay')
    issues.push({
      path: ['fleet', 'type'],
      message: `the agent-relay fleet is not supported on ${platform} yet: use type http or github-actions`,
    });
  else if (fleet.type === 'github-actions' && !fleet.token && fleet.app?.appId === undefined)
    issues.push({
      path: ['fleet'],
      at: 'key',
      message: `the github-actions fleet has no \`token\`: give it one as a secret reference, e.g. token: ${context.example('GITHUB_ACTIONS_TOKEN')} (or a GitHub App: app: { appId, privateKey: ${context.example('GITHUB_APP_PRIVATE_KEY')} })`,
    });
  return issues;
}

/** The registry's requirements of a tenant, its providers built with the references as their secrets. */
function requirementsOf(
  tenant: TenantConfig,
  providers: ProviderRegistry,
): { path: (string | number)[]; what: string; fix: string }[] {
  try {
    const built = buildTenantWith(providers, tenant, { tenant: 'tenant', logger: silentLogger });
    return tenantRequirements(tenant, built, REMOTE_FLEET_EXAMPLE);
  } catch (error) {
    // A provider that cannot be built from its config is refused by the schema first; name it anyway.
    return [
      {
        path: [],
        what: 'the tenant cannot be built',
        fix: errorMessage(error),
      },
    ];
  }
}
