import type { IndexKind } from '@software-factory/sdk';

/**
 * Where each kind of state lives in the single table. The README draws the same map; the template's
 * table definition must match the attribute and index names here (a test checks it).
 *
 * Every partition key starts with the tenant, percent-encoded so that no tenant id can contain the
 * `#` separator and reach into another tenant's keys.
 */
export const TABLE_ATTRIBUTES = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Partition key of the by-status index: tenant and status. */
  statusKey: 'statusKey',
  /** Sort key of the due index; present only while the record wants a tick, so the index is sparse. */
  wakeAt: 'wakeAt',
  ttl: 'ttl',
} as const;

export const RECORDS_BY_STATUS_INDEX = 'recordsByStatus';
export const RECORDS_BY_WAKE_AT_INDEX = 'recordsByWakeAt';

export interface ItemKey {
  pk: string;
  sk: string;
}

function tenantPrefix(tenant: string): string {
  if (!tenant) throw new Error('DynamoStateStore: a tenant id is required');
  return encodeURIComponent(tenant);
}

function nonEmpty(what: string, value: string): string {
  if (!value) throw new Error(`DynamoStateStore: ${what} must not be empty`);
  return value;
}

export const keys = {
  recordPartition: (tenant: string) => `${tenantPrefix(tenant)}#record`,
  record: (tenant: string, workItemId: string): ItemKey => ({
    pk: keys.recordPartition(tenant),
    sk: nonEmpty('a work item id', workItemId),
  }),
  statusPartition: (tenant: string, status: string) => `${tenantPrefix(tenant)}#status#${status}`,
  index: (tenant: string, kind: IndexKind, value: string): ItemKey => ({
    pk: `${tenantPrefix(tenant)}#index#${kind}`,
    sk: nonEmpty(`a ${kind} index value`, value),
  }),
  event: (tenant: string, key: string): ItemKey => ({
    pk: `${tenantPrefix(tenant)}#event`,
    sk: nonEmpty('an event key', key),
  }),
  document: (tenant: string, name: string): ItemKey => ({
    pk: `${tenantPrefix(tenant)}#document`,
    sk: nonEmpty('a document name', name),
  }),
  /** A key no item ever has: reading it proves the table answers without touching state. */
  ping: (): ItemKey => ({ pk: '#ping', sk: '#ping' }),
};
