import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type {
  IndexKind,
  QueueEntry,
  RecordPage,
  SlotHolder,
  StateStore,
  TenantDocument,
  WorkItemRecord,
  WorkItemStatus,
} from '@software-factory/sdk';
import {
  DeleteCommand,
  DynamoDocumentClient,
  GetCommand,
  type Item,
  PutCommand,
  QueryCommand,
  type QueryInput,
  sdkTransport,
  signedTransport,
  UpdateCommand,
} from './dynamo-document-client.ts';
import { keys, RECORDS_BY_STATUS_INDEX, RECORDS_BY_WAKE_AT_INDEX } from './dynamo-table-layout.ts';

export interface DynamoStateStoreOptions {
  /** The table the template creates (its name is in the function's `FACTORY_TABLE` variable). */
  tableName: string;
  /**
   * An AWS SDK client of your own (credential files, profiles, middleware such as `DynamoRequestCounter`).
   * Without one, the store signs its requests itself with the credentials, region and endpoint of the
   * environment (`env`), as Lambda sets them, and never loads the SDK: a cold start 150–350 ms shorter.
   */
  client?: DynamoDBClient;
  /** Where the signed client reads `AWS_REGION`, the credentials and `AWS_ENDPOINT_URL_DYNAMODB`; `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

const DEFAULT_LIST_LIMIT = 100;
/** Racing acquirers only loop when a slot frees between two of their calls; this bounds a pathological race. */
const MAX_SLOT_ATTEMPTS = 10;

/**
 * The core's StateStore on one DynamoDB table. Every operation is one request on one item (a
 * conditional write where the port asks for atomicity), so it needs no transactions; listings read
 * two sparse GSIs and may lag behind writes, which the port allows.
 */
export class DynamoStateStore implements StateStore {
  readonly #table: string;
  readonly #db: DynamoDocumentClient;

  constructor(options: DynamoStateStoreOptions) {
    if (!options.tableName) throw new Error('DynamoStateStore: tableName is required');
    this.#table = options.tableName;
    this.#db = new DynamoDocumentClient(
      options.client ? sdkTransport(options.client) : signedTransport(options.env),
    );
  }

  /** The store named by `FACTORY_TABLE`, with the environment's region, credentials and endpoint. */
  static fromEnvironment(
    env: Record<string, string | undefined> = process.env,
    client?: DynamoDBClient,
  ): DynamoStateStore {
    const tableName = env.FACTORY_TABLE?.trim();
    if (!tableName) {
      throw new Error('FACTORY_TABLE is not set: it must name the DynamoDB table the template created');
    }
    return new DynamoStateStore({ tableName, ...(client ? { client } : { env }) });
  }

  async ping(): Promise<void> {
    await this.#db.send(new GetCommand({ TableName: this.#table, Key: keys.ping() }));
  }

  async getRecord(tenant: string, workItemId: string): Promise<WorkItemRecord | undefined> {
    const item = await this.#get(keys.record(tenant, workItemId));
    return item && parseRecord(item);
  }

  async createRecord(tenant: string, record: WorkItemRecord): Promise<boolean> {
    return this.#conditional(
      new PutCommand({
        TableName: this.#table,
        Item: recordItem(tenant, record),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async updateRecord(tenant: string, record: WorkItemRecord, expectedVersion: number): Promise<boolean> {
    return this.#conditional(
      new PutCommand({
        TableName: this.#table,
        Item: recordItem(tenant, record),
        ConditionExpression: 'version = :expected',
        ExpressionAttributeValues: { ':expected': expectedVersion },
      }),
    );
  }

  async listRecords(
    tenant: string,
    query: { statuses?: readonly WorkItemStatus[]; limit?: number; cursor?: string } = {},
  ): Promise<RecordPage> {
    const limit = query.limit ?? DEFAULT_LIST_LIMIT;
    const after = query.cursor;
    const range = (partition: string, partitionAttribute: string) => ({
      KeyConditionExpression: `${partitionAttribute} = :partition${after === undefined ? '' : ' AND sk > :after'}`,
      ExpressionAttributeValues: {
        ':partition': partition,
        ...(after === undefined ? {} : { ':after': after }),
      },
    });
    // One extra item tells whether another page exists without handing out a cursor to an empty page.
    const pages = query.statuses
      ? await Promise.all(
          [...new Set(query.statuses)].map((status) =>
            this.#query(
              {
                IndexName: RECORDS_BY_STATUS_INDEX,
                ...range(keys.statusPartition(tenant, status), 'statusKey'),
              },
              limit + 1,
            ),
          ),
        )
      : [await this.#query(range(keys.recordPartition(tenant), 'pk'), limit + 1)];
    const records = pages
      .flat()
      .map(parseRecord)
      .sort((a, b) => compareStrings(a.workItemId, b.workItemId));
    const page = records.slice(0, limit);
    const last = page.at(-1);
    return { records: page, ...(records.length > limit && last ? { cursor: last.workItemId } : {}) };
  }

  async listDue(tenant: string, now: number, limit: number): Promise<WorkItemRecord[]> {
    const items = await this.#query(
      {
        IndexName: RECORDS_BY_WAKE_AT_INDEX,
        KeyConditionExpression: 'pk = :partition AND wakeAt <= :now',
        ExpressionAttributeValues: { ':partition': keys.recordPartition(tenant), ':now': now },
      },
      limit,
    );
    return items.map(parseRecord);
  }

  async putIndex(tenant: string, kind: IndexKind, value: string, workItemId: string): Promise<void> {
    await this.#db.send(
      new PutCommand({ TableName: this.#table, Item: { ...keys.index(tenant, kind, value), workItemId } }),
    );
  }

  async getIndex(tenant: string, kind: IndexKind, value: string): Promise<string | undefined> {
    const item = await this.#get(keys.index(tenant, kind, value));
    return typeof item?.workItemId === 'string' ? item.workItemId : undefined;
  }

  async deleteIndex(tenant: string, kind: IndexKind, value: string): Promise<void> {
    await this.#db.send(new DeleteCommand({ TableName: this.#table, Key: keys.index(tenant, kind, value) }));
  }

  async seenEvent(tenant: string, key: string, now: number): Promise<boolean> {
    const item = await this.#get(keys.event(tenant, key));
    // TTL deletes an expired item hours late: it is read here, and counts as absent.
    return typeof item?.expiresAt === 'number' && item.expiresAt > now;
  }

  async rememberEvent(
    tenant: string,
    key: string,
    options: { now: number; expiresAt: number },
  ): Promise<boolean> {
    // DynamoDB's TTL deletes an expired item hours late, so an expired one counts as absent here.
    return this.#conditional(
      new PutCommand({
        TableName: this.#table,
        Item: {
          ...keys.event(tenant, key),
          expiresAt: options.expiresAt,
          ttl: Math.ceil(options.expiresAt / 1000),
        },
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
        ExpressionAttributeValues: { ':now': options.now },
      }),
    );
  }

  async forgetEvent(tenant: string, key: string): Promise<void> {
    await this.#db.send(new DeleteCommand({ TableName: this.#table, Key: keys.event(tenant, key) }));
  }

  async enqueue(tenant: string, entry: QueueEntry): Promise<void> {
    // The key is the entry itself, so writing it again stores the same item: no condition needed.
    await this.#db.send(
      new PutCommand({
        TableName: this.#table,
        Item: {
          ...keys.queueEntry(tenant, entry.workItemId, entry.enqueuedAt),
          workItemId: entry.workItemId,
          enqueuedAt: entry.enqueuedAt,
        },
      }),
    );
  }

  async listQueue(tenant: string, limit: number): Promise<QueueEntry[]> {
    const items = await this.#query(
      {
        KeyConditionExpression: 'pk = :partition',
        ExpressionAttributeValues: { ':partition': keys.queuePartition(tenant) },
        ConsistentRead: true,
      },
      limit,
    );
    return items.map((item) => ({
      workItemId: String(item.workItemId),
      enqueuedAt: Number(item.enqueuedAt),
    }));
  }

  async dequeue(tenant: string, entry: QueueEntry): Promise<boolean> {
    const result = await this.#db.send(
      new DeleteCommand({
        TableName: this.#table,
        Key: keys.queueEntry(tenant, entry.workItemId, entry.enqueuedAt),
        ReturnValues: 'ALL_OLD',
      }),
    );
    return result.Attributes !== undefined;
  }

  async acquireSlot(
    tenant: string,
    pool: string,
    holder: string,
    options: { limit: number; now: number },
  ): Promise<boolean> {
    const key = keys.slots(tenant, pool);
    for (let attempt = 0; attempt < MAX_SLOT_ATTEMPTS; attempt++) {
      const taken = await this.#conditional(
        new UpdateCommand({
          TableName: this.#table,
          Key: key,
          UpdateExpression: 'SET holders.#holder = if_not_exists(holders.#holder, :now)',
          ConditionExpression:
            'attribute_exists(holders.#holder) OR (attribute_exists(holders) AND size(holders) < :limit)',
          ExpressionAttributeNames: { '#holder': holder },
          ExpressionAttributeValues: { ':now': options.now, ':limit': options.limit },
        }),
      );
      if (taken) return true;
      // The update cannot say why it failed (dynalite lacks ReturnValuesOnConditionCheckFailure), so look.
      const holders = await this.#holders(key);
      if (holders === undefined) {
        if (options.limit < 1) return false;
        const created = await this.#conditional(
          new PutCommand({
            TableName: this.#table,
            Item: { ...key, holders: { [holder]: options.now } },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        if (created) return true;
        continue;
      }
      if (holder in holders) return true;
      if (Object.keys(holders).length >= options.limit) return false;
    }
    throw new Error(`DynamoStateStore: could not settle a slot in pool "${pool}" under contention; retry`);
  }

  async releaseSlot(tenant: string, pool: string, holder: string): Promise<boolean> {
    return this.#conditional(
      new UpdateCommand({
        TableName: this.#table,
        Key: keys.slots(tenant, pool),
        UpdateExpression: 'REMOVE holders.#holder',
        ConditionExpression: 'attribute_exists(holders.#holder)',
        ExpressionAttributeNames: { '#holder': holder },
      }),
    );
  }

  async listSlots(tenant: string, pool: string): Promise<SlotHolder[]> {
    const holders = (await this.#holders(keys.slots(tenant, pool))) ?? {};
    return Object.entries(holders).map(([holder, acquiredAt]) => ({ holder, acquiredAt }));
  }

  async #holders(key: { pk: string; sk: string }): Promise<Record<string, number> | undefined> {
    const item = await this.#get(key);
    return item ? ((item.holders as Record<string, number> | undefined) ?? {}) : undefined;
  }

  async #get(key: { pk: string; sk: string }): Promise<Item | undefined> {
    const result = await this.#db.send(
      new GetCommand({ TableName: this.#table, Key: key, ConsistentRead: true }),
    );
    return result.Item;
  }

  /** Sends a conditional write; false when its condition did not hold (nothing was written). */
  async getDocument(tenant: string, name: string): Promise<TenantDocument | undefined> {
    const item = await this.#get(keys.document(tenant, name));
    if (!item || typeof item.body !== 'string' || typeof item.version !== 'number') return undefined;
    return { value: JSON.parse(item.body) as unknown, version: item.version };
  }

  async putDocument(tenant: string, name: string, value: unknown, expectedVersion: number): Promise<boolean> {
    return this.#conditional(
      new PutCommand({
        TableName: this.#table,
        Item: { ...keys.document(tenant, name), version: expectedVersion + 1, body: JSON.stringify(value) },
        ...(expectedVersion === 0
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : {
              ConditionExpression: 'version = :expected',
              ExpressionAttributeValues: { ':expected': expectedVersion },
            }),
      }),
    );
  }

  async #conditional(command: PutCommand | UpdateCommand): Promise<boolean> {
    try {
      await this.#db.send(command);
      return true;
    } catch (error) {
      // Named so by the SDK's exception class and by the signed client's AwsServiceError alike.
      if ((error as { name?: unknown })?.name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /** Up to `wanted` items, following pages: one page stops at 1 MB whatever the limit says. */
  async #query(input: Omit<QueryInput, 'TableName'>, wanted: number): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    while (items.length < wanted) {
      const page = await this.#db.send(
        new QueryCommand({
          ...input,
          TableName: this.#table,
          Limit: wanted - items.length,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
      if (!start) break;
    }
    return items;
  }
}

function recordItem(tenant: string, record: WorkItemRecord): Item {
  return {
    ...keys.record(tenant, record.workItemId),
    version: record.version,
    statusKey: keys.statusPartition(tenant, record.status),
    ...(record.wakeAt === undefined ? {} : { wakeAt: record.wakeAt }),
    // One JSON string keeps the record byte-exact (NUL, empty strings, nested nulls) and readable.
    record: JSON.stringify(record),
  };
}

function parseRecord(item: Item): WorkItemRecord {
  if (typeof item.record !== 'string')
    throw new Error(`DynamoStateStore: item ${String(item.sk)} holds no record`);
  return JSON.parse(item.record) as WorkItemRecord;
}

/** Code-unit order, as the other stores sort ids (DynamoDB itself sorts by UTF-8 bytes). */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
