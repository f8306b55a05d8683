import type { ClarificationChannel } from '../ports/clarification-channel.ts';
import type { Clock } from '../ports/clock.ts';
import type { FleetClient } from '../ports/fleet-client.ts';
import type { Logger } from '../ports/logger.ts';
import type { OutputTarget } from '../ports/output-target.ts';
import type { StateStore } from '../ports/state-store.ts';
import type { TaskTemplate } from '../ports/task-template.ts';
import type { Triage } from '../ports/triage.ts';
import type { WorkItemProvider } from '../ports/work-item-provider.ts';
import type { FactorySettings } from '../settings.ts';

/** The ports one tenant's factory acts through. */
export interface FactoryPorts {
  store: StateStore;
  workItems: WorkItemProvider;
  clarifications: ClarificationChannel;
  outputs: OutputTarget;
  fleet: FleetClient;
  triage: Triage;
  template: TaskTemplate;
  clock: Clock;
  logger: Logger;
}

/** What every step of one `handle` call needs. `owner` names the call, for effect leases. */
export interface HandlerContext extends FactoryPorts {
  tenant: string;
  settings: FactorySettings;
  owner: string;
}

export const TENANT_POOL = 'tenant';

export function routePool(routeName: string): string {
  return `route:${routeName}`;
}
