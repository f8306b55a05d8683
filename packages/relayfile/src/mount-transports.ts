import { MountClarificationChannel } from './mount-clarification-channel.ts';
import { MountOutputTarget } from './mount-output-target.ts';
import { MountWorkItemProvider } from './mount-work-item-provider.ts';
import { RelayfileWebhookSource } from './relayfile-webhook-source.ts';

/**
 * What the providers with `transport: relayfile` are built from, handed to the tenant builder by a runtime
 * that opens mounts (`TenantContext.mount` of `@software-factory/providers/registry`) rather than imported
 * by the providers themselves: a runtime without mounts (a deployment `factory deploy` builds) then
 * leaves them out of its bundle.
 */
export const mountTransports = {
  MountWorkItemProvider,
  MountClarificationChannel,
  MountOutputTarget,
  RelayfileWebhookSource,
};

export type MountTransports = typeof mountTransports;
