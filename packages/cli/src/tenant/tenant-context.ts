import type { MountConfig, TenantContext } from '@software-factory/providers/registry';
import { mountTransports, RelayfileMount } from '@software-factory/relayfile';
import { DirectoryMount } from '@software-factory/relayfile/directory-mount';
import type { Logger, Mount } from '@software-factory/sdk';
import type { TenantConfig } from '../config/config-schema.ts';
import { scrubbedBy } from '../deploy/runtime/stored-tokens.ts';
import { LocalWritebackMount } from '../local-writeback-mount.ts';
import { type ConfiguredCredentials, storedToken } from './credential-store-from-config.ts';

export interface NodeTenantContextOptions {
  credentials: ConfiguredCredentials;
  logger: Logger;
}

/**
 * What `buildTenant` needs on this machine: tokens left out of the config come from the credentials
 * store (`factory connect`), read on every call and refreshed when the OAuth app is known; a mount is a
 * local folder or a relayfile workspace.
 */
export function nodeTenantContext(tenant: TenantConfig, options: NodeTenantContextOptions): TenantContext {
  return {
    tenant: tenant.id,
    logger: options.logger,
    storedToken: (provider, oauth, spec) =>
      scrubbedBy(options.logger, storedToken(options.credentials, tenant.id, provider, oauth, spec)),
    mount: { open: (mount) => mountFromConfig(mount, tenant), transports: mountTransports },
  };
}

function mountFromConfig(mount: MountConfig, tenant: TenantConfig): Mount {
  if (mount.type === 'relayfile')
    return new RelayfileMount({ baseUrl: mount.baseUrl, token: mount.token, workspaceId: mount.workspace });
  // A local folder stands in for the vendors too, so the tracker's state ids must be known here.
  return new LocalWritebackMount(new DirectoryMount(mount.path), {
    stateIds: stateIdsOf(tenant.intentProvider) ?? { dispatched: 'in-progress', done: 'done' },
  });
}

/** The workflow state ids an intake read through a mount writes, when its config names them. */
function stateIdsOf(
  intake: TenantConfig['intentProvider'],
): { dispatched: string; done: string } | undefined {
  if (intake.transport !== 'relayfile') return undefined;
  const ids = intake.stateIds as { dispatched?: unknown; done?: unknown } | undefined;
  return typeof ids?.dispatched === 'string' && typeof ids.done === 'string'
    ? { dispatched: ids.dispatched, done: ids.done }
    : undefined;
}
