import { GetItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { sampleRecord } from '@software-factory/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoStateStore } from '../src/dynamo-state-store.ts';
import { type LocalDynamo, startLocalDynamo } from './support/local-dynamo.ts';

let dynamo: LocalDynamo;
let tableName: string;
let store: DynamoStateStore;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  tableName = await dynamo.createTable();
  store = new DynamoStateStore({ tableName, client: dynamo.client() });
});
afterAll(() => dynamo.close());

/** Every item of the table, as DynamoDB holds it. */
async function rawItems() {
  const { Items = [] } = await dynamo.client().send(new ScanCommand({ TableName: tableName }));
  return Items;
}

describe('the data layout the README describes', () => {
  it('writes each kind of state under its own tenant-scoped key', async () => {
    const tenant = 'layout';
    await store.commit(tenant, {
      record: sampleRecord('w-1', { status: 'queued', wakeAt: 1_000 }),
      document: {
        name: 'schedule',
        value: { queue: [{ workItemId: 'w-1', enqueuedAt: 42 }] },
        expectedVersion: 0,
      },
      lookups: [{ kind: 'thread', value: 'C1:171.1' }],
    });
    await store.commit(tenant, { record: sampleRecord('w-2') });
    await store.rememberEvent(tenant, 'linear:d-1', { now: 0, expiresAt: 86_400_500 });

    const items = (await rawItems()).filter((item) => item.pk?.S?.startsWith(`${tenant}#`));
    const byKey = Object.fromEntries(items.map((item) => [`${item.pk?.S} | ${item.sk?.S}`, item]));
    expect(Object.keys(byKey).sort()).toEqual([
      'layout#document | schedule',
      'layout#event | linear:d-1',
      'layout#index#thread | C1:171.1',
      'layout#record | w-1',
      'layout#record | w-2',
    ]);
    const due = byKey['layout#record | w-1'];
    expect(due?.statusKey).toEqual({ S: 'layout#status#queued' });
    expect(due?.wakeAt).toEqual({ N: '1000' });
    expect(due?.version).toEqual({ N: '1' });
    expect(JSON.parse(due?.record?.S ?? '')).toEqual(
      sampleRecord('w-1', { status: 'queued', wakeAt: 1_000 }),
    );
    // Not due: no wakeAt, so the record is absent from the sparse due index.
    expect(byKey['layout#record | w-2']?.wakeAt).toBeUndefined();
    // TTL in epoch seconds (rounded up), next to the millisecond expiry the conditions read.
    expect(byKey['layout#event | linear:d-1']).toMatchObject({
      expiresAt: { N: '86400500' },
      ttl: { N: '86401' },
    });
    expect(byKey['layout#index#thread | C1:171.1']?.workItemId).toEqual({ S: 'w-1' });
    // The schedule is one document: its JSON and its version, written with the record in one transaction.
    expect(byKey['layout#document | schedule']?.version).toEqual({ N: '1' });
    expect(JSON.parse(byKey['layout#document | schedule']?.body?.S ?? '')).toEqual({
      queue: [{ workItemId: 'w-1', enqueuedAt: 42 }],
    });
  });

  it('percent-encodes the tenant, so no tenant id can reach into the keys of another', async () => {
    // "evil#index#thread" would otherwise write under the partition of tenant "evil"'s thread index.
    await store.commit('evil', {
      record: sampleRecord('w-evil'),
      lookups: [{ kind: 'thread', value: 'T-1' }],
    });
    await store.commit('evil#index#thread', { record: sampleRecord('T-1', { reason: 'forged' }) });
    expect((await store.find('evil', { kind: 'thread', value: 'T-1' }, 'schedule')).workItemId).toBe(
      'w-evil',
    );
    const { Item } = await dynamo.client().send(
      new GetItemCommand({
        TableName: tableName,
        Key: { pk: { S: 'evil%23index%23thread#record' }, sk: { S: 'T-1' } },
      }),
    );
    expect(Item).toBeDefined();
  });
});

describe('expiry is the store’s own business', () => {
  it('treats an event item past its expiry as absent although DynamoDB has not deleted it yet', async () => {
    // What TTL leaves behind for hours: an item whose ttl has passed, still readable.
    await dynamo.client().send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          pk: { S: 'expiry#event' },
          sk: { S: 'github:abc' },
          expiresAt: { N: '5000' },
          ttl: { N: '5' },
        },
      }),
    );
    expect((await store.rememberEvent('expiry', 'github:abc', { now: 4_999, expiresAt: 9_000 })).fresh).toBe(
      false,
    );
    expect((await store.rememberEvent('expiry', 'github:abc', { now: 5_000, expiresAt: 9_000 })).fresh).toBe(
      true,
    );
    expect((await store.rememberEvent('expiry', 'github:abc', { now: 5_001, expiresAt: 9_000 })).fresh).toBe(
      false,
    );
  });
});

describe('bad input gets a clear error and writes nothing', () => {
  const refused: [string, () => Promise<unknown>, RegExp][] = [
    ['an empty tenant', () => store.commit('', { record: sampleRecord('w-1') }), /a tenant id is required/],
    [
      'an empty work item id',
      () => store.commit('bad-input', { record: sampleRecord('') }),
      /a work item id must not be empty/,
    ],
    [
      'an empty lookup value, with a valid record and document',
      () =>
        store.commit('bad-input', {
          record: sampleRecord('w-1'),
          document: { name: 'schedule', value: {}, expectedVersion: 0 },
          lookups: [{ kind: 'thread', value: '' }],
        }),
      /a thread index value must not be empty/,
    ],
    [
      'an empty document name',
      () =>
        store.commit('bad-input', {
          record: sampleRecord('w-1'),
          document: { name: '', value: {}, expectedVersion: 0 },
        }),
      /a document name must not be empty/,
    ],
    [
      'an empty event key',
      () => store.rememberEvent('bad-input', '', { now: 0, expiresAt: 1 }),
      /an event key/,
    ],
  ];
  for (const [name, call, message] of refused) {
    it(name, async () => {
      await expect(call()).rejects.toThrow(message);
      expect((await rawItems()).filter((item) => item.pk?.S?.startsWith('bad-input'))).toEqual([]);
    });
  }
});

describe('configuration', () => {
  it('fromEnvironment reads the table name from FACTORY_TABLE', async () => {
    const fromEnv = DynamoStateStore.fromEnvironment({ FACTORY_TABLE: tableName }, dynamo.client());
    await fromEnv.commit('env', { record: sampleRecord('w-1') });
    expect((await store.getRecord('env', 'w-1'))?.workItemId).toBe('w-1');
  });

  for (const [name, env] of [
    ['missing', {}],
    ['blank', { FACTORY_TABLE: '  ' }],
  ] as const) {
    it(`fromEnvironment refuses a ${name} FACTORY_TABLE, saying what it must be`, () => {
      expect(() => DynamoStateStore.fromEnvironment(env)).toThrow(
        'FACTORY_TABLE is not set: it must name the DynamoDB table the template created',
      );
    });
  }

  it('the constructor refuses an empty table name', () => {
    expect(() => new DynamoStateStore({ tableName: '' })).toThrow('DynamoStateStore: tableName is required');
  });

  it('ping rejects, naming the cause, when the table does not exist', async () => {
    const wrong = new DynamoStateStore({ tableName: 'no-such-table', client: dynamo.client() });
    await expect(wrong.ping()).rejects.toThrow(/non-existent table|not found/i);
    const signed = new DynamoStateStore({ tableName: 'no-such-table', env: dynamo.environment() });
    await expect(signed.ping()).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: expect.stringMatching(/non-existent table|not found/i),
    });
  });

  it('without an SDK client, fromEnvironment signs its own requests with the environment’s role and endpoint', async () => {
    const fromEnv = DynamoStateStore.fromEnvironment({ FACTORY_TABLE: tableName, ...dynamo.environment() });
    expect(await fromEnv.commit('signed', { record: sampleRecord('w-1') })).toBe(true);
    expect((await store.getRecord('signed', 'w-1'))?.workItemId).toBe('w-1');
  });

  it('without an SDK client or credentials in the environment, a request fails naming the variables, not values', async () => {
    const { AWS_ACCESS_KEY_ID: _, ...noKey } = dynamo.environment();
    const store = DynamoStateStore.fromEnvironment({ FACTORY_TABLE: tableName, ...noKey });
    const failure = store.getRecord('signed', 'w-1');
    await expect(failure).rejects.toThrow(
      'dynamodb: no AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)',
    );
    await expect(failure).rejects.not.toThrow('local');
    const noRegion = DynamoStateStore.fromEnvironment({
      FACTORY_TABLE: tableName,
      AWS_ACCESS_KEY_ID: 'k',
      AWS_SECRET_ACCESS_KEY: 's',
    });
    await expect(noRegion.ping()).rejects.toThrow('dynamodb: AWS_REGION is not set');
  });
});
