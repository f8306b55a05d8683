import type { ClarificationChannel } from './clarification-channel.ts';
import type { Clock } from './clock.ts';
import type { FleetClient } from './fleet-client.ts';
import type { Logger } from './logger.ts';
import type { OutputTarget } from './output-target.ts';
import type { StateStore } from './state-store.ts';
import type { TaskTemplate } from './task-template.ts';
import type { Triage } from './triage.ts';
import type { WorkItemProvider } from './work-item-provider.ts';

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
