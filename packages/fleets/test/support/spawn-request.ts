import type { SpawnRequest } from '@software-factory/sdk';

export function spawnRequest(overrides: Partial<SpawnRequest> = {}): SpawnRequest {
  return {
    idempotencyKey: 'tenant-1/item-7/r1/a1',
    tenant: 'tenant-1',
    workItemId: 'item-7',
    workItemKey: 'ENG-7',
    attempt: 1,
    route: { name: 'app', repository: 'acme/app', agent: 'coder' },
    branch: 'factory/eng-7-add-json-flag',
    task: 'Add a --json flag to the export command.\n\nOpen a pull request from factory/eng-7-add-json-flag.',
    traceId: '0af7651916cd43dd8448eb211c80319c',
    ...overrides,
  };
}
