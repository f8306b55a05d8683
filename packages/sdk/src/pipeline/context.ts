import type { FactoryPorts } from '../ports/factory-ports.ts';
import type { FactorySettings } from '../settings.ts';

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
