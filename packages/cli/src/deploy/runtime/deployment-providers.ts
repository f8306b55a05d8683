import { type ProviderRegistry, ROLES } from '@software-factory/providers/registry';
import type { TenantIssue } from './remote-tenant-rules.ts';

/**
 * The roles of a tenant's config (as stored, before it is parsed) that name a provider this deployment
 * does not carry. A bundle `factory deploy` builds holds the providers its config's tenants use and those
 * its `providers:` list adds, no others; a tenant added through the admin API naming another is refused
 * here with the fix, rather than by the schema's "expected one of" (which would read as if the provider
 * did not exist).
 */
export function providersNotCarried(
  config: Record<string, unknown>,
  providers: ProviderRegistry,
): TenantIssue[] {
  const carried = providers.entries().map((entry) => entry.type);
  return ROLES.flatMap((role): TenantIssue[] => {
    const type = typeOf(config[role]);
    if (type === undefined || providers.get(type)) return [];
    return [
      {
        path: typeof config[role] === 'string' ? [role] : [role, 'type'],
        message: `this deployment was built without the provider "${type}" (it carries ${carried.join(', ')}): add ${type} to the \`providers:\` list of the config it is deployed from, then run \`factory deploy\` again`,
      },
    ];
  });
}

/** The provider a role names: its bare name, or its mapping's `type`; undefined for anything else. */
function typeOf(role: unknown): string | undefined {
  if (typeof role === 'string') return role === '' ? undefined : role;
  if (typeof role !== 'object' || role === null) return undefined;
  const type = (role as { type?: unknown }).type;
  return typeof type === 'string' ? type : undefined;
}
