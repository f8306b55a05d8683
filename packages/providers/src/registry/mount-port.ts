import type { MountEventSource, MountTransports } from '@software-factory/relayfile';
import type { Mount } from '@software-factory/sdk';
import {
  type BuiltProvider,
  type ProviderContext,
  type Role,
  type RolePorts,
  relayfileMount,
} from './provider-entry.ts';

/**
 * A role played over the tenant's mount (`transport: relayfile`): the port relayfile's `make` builds is
 * also the reader of the mount's changes for it.
 */
export function builtOnMount<R extends Role>(
  context: ProviderContext,
  role: R,
  make: (mount: Mount, ports: MountTransports) => RolePorts[R] & MountEventSource,
): BuiltProvider<R> {
  const { mount, ports } = relayfileMount(context, role);
  const port = make(mount, ports);
  return { port, mountSources: [port] };
}
