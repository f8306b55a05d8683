import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  expectedRecordVersion,
  loadFound,
  type StateStore,
  type Store,
  type WorkItemRecord,
} from '@software-factory/sdk';
import {
  BatchGetCommand,
  DeleteCommand,
  DynamoDocumentClient,
  GetCommand,
  type Item,
  PutCommand,
  QueryCommand,
  type QueryInput,
  sdkTransport,
  signedTransport,
  TransactWriteCommand,
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
/** BatchGetItem may hand back keys it did not read (throttling); they are asked for again this often. */
const MAX_BATCH_GET_ROUNDS = 5;
/** Why a transaction was cancelled without writing, where a retry after a fresh read is the answer. */
const RETRYABLE_CANCELLATIONS = new Set(['None', 'ConditionalCheckFailed', 'TransactionConflict']);

/**
 * The core's StateStore on one DynamoDB table. Every operation is one request: a single-item request
 * (conditional where the port asks for atomicity), except `load` (one BatchGetItem of the record and the
 * schedule) and a `commit` that carries a document or lookups (one TransactWriteItems, all or nothing);
 * listings read two sparse GSIs and may lag behind writes, which the port allows.
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

  /** One BatchGetItem, strongly consistent, for the record and the document. */
  async load(tenant: string, workItemId: string, documentName: string): Promise<Store.RecordAndDocument> {
    const recordKey = keys.record(tenant, workItemId);
    const documentKey = keys.document(tenant, documentName);
    let wanted: Item[] = [{ ...recordKey }, { ...documentKey }];
    const found: Item[] = [];
    for (let round = 0; wanted.length > 0; round++) {
      if (round === MAX_BATCH_GET_ROUNDS)
        throw new Error('DynamoStateStore: BatchGetItem left keys unread; retry');
      const result = await this.#db.send(
        new BatchGetCommand({ RequestItems: { [this.#table]: { Keys: wanted, ConsistentRead: true } } }),
      );
      found.push(...(result.Responses?.[this.#table] ?? []));
      wanted = result.UnprocessedKeys?.[this.#table]?.Keys ?? [];
    }
    const item = (key: { pk: string; sk: string }) =>
      found.find((candidate) => candidate.pk === key.pk && candidate.sk === key.sk);
    const record = item(recordKey);
    return { record: record && parseRecord(record), document: parseDocument(item(documentKey)) };
  }

  /**
   * A record alone is one conditional PutItem; with a document or lookups it is one TransactWriteItems
   * (the record's condition, the document's, the lookups' puts: all or nothing).
   */
  async commit(tenant: string, change: Store.RecordCommit): Promise<boolean> {
    const { record, document, lookups = [], deliveries = [] } = change;
    const expected = expectedRecordVersion(record);
    const recordPut = {
      TableName: this.#table,
      Item: recordItem(tenant, record),
      ...(expected === 0
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : {
            ConditionExpression: 'version = :expected',
            ExpressionAttributeValues: { ':expected': expected },
          }),
    };
    if (!document && lookups.length === 0 && deliveries.length === 0)
      return this.#conditional(new PutCommand(recordPut));
    const puts = [
      recordPut,
      ...(document
        ? [this.#documentPut(tenant, document.name, document.value, document.expectedVersion)]
        : []),
      // A transaction may name an item once: a lookup repeated in one commit is written once.
      ...[...new Map(lookups.map((lookup) => [`${lookup.kind}\u0000${lookup.value}`, lookup])).values()].map(
        (lookup) => ({
          TableName: this.#table,
          Item: { ...keys.index(tenant, lookup.kind, lookup.value), workItemId: record.workItemId },
        }),
      ),
      ...[...new Map(deliveries.map((delivery) => [delivery.key, delivery])).values()].map((delivery) =>
        this.#eventPut(tenant, delivery.key, delivery.expiresAt),
      ),
    ];
    try {
      await this.#db.send(new TransactWriteCommand({ TransactItems: puts.map((Put) => ({ Put })) }));
      return true;
    } catch (error) {
      if (transactionCancelledForRetry(error)) return false;
      throw error;
    }
  }

  async listRecords(tenant: string, query: Store.RecordQuery = {}): Promise<Store.RecordPage> {
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

  /** Two requests: DynamoDB cannot follow the lookup item to the record, so a GetItem, then `load`. */
  async find(tenant: string, lookup: Store.Lookup, documentName: string): Promise<Store.FoundRecord> {
    const item = await this.#get(keys.index(tenant, lookup.kind, lookup.value));
    const workItemId = typeof item?.workItemId === 'string' ? item.workItemId : undefined;
    return loadFound(this, tenant, workItemId, documentName);
  }

  async rememberEvent(tenant: string, key: string, options: Store.EventTimes): Promise<Store.EventMemory> {
    // DynamoDB's TTL deletes an expired item hours late, so an expired one counts as absent here.
    const fresh = await this.#conditional(
      new PutCommand({
        ...this.#eventPut(tenant, key, options.expiresAt),
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
        ExpressionAttributeValues: { ':now': options.now },
      }),
    );
    if (fresh) return { fresh: true };
    // A repeat only (rare): the live item's expiry, read after the refused write. One request with
    // ReturnValuesOnConditionCheckFailure on DynamoDB itself; dynalite, which the tests run, lacks it.
    const live = await this.#get(keys.event(tenant, key));
    return { fresh: false, expiresAt: Number(live?.expiresAt ?? options.now) };
  }

  #eventPut(tenant: string, key: string, expiresAt: number) {
    return {
      TableName: this.#table,
      Item: { ...keys.event(tenant, key), expiresAt, ttl: Math.ceil(expiresAt / 1000) },
    };
  }

  async forgetEvent(tenant: string, key: string): Promise<void> {
    await this.#db.send(new DeleteCommand({ TableName: this.#table, Key: keys.event(tenant, key) }));
  }

  async renewEvent(tenant: string, key: string, options: Store.EventTimes): Promise<boolean> {
    // A conditional put of the whole item (it is only its key and expiry): the functions' role allows
    // PutItem, not UpdateItem. A missing item fails the condition.
    return this.#conditional(
      new PutCommand({
        ...this.#eventPut(tenant, key, options.expiresAt),
        ConditionExpression: 'expiresAt > :now AND expiresAt < :expiresAt',
        ExpressionAttributeValues: { ':now': options.now, ':expiresAt': options.expiresAt },
      }),
    );
  }

  async #get(key: { pk: string; sk: string }): Promise<Item | undefined> {
    const result = await this.#db.send(
      new GetCommand({ TableName: this.#table, Key: key, ConsistentRead: true }),
    );
    return result.Item;
  }

  async getDocument(tenant: string, name: string): Promise<Store.TenantDocument | undefined> {
    return parseDocument(await this.#get(keys.document(tenant, name)));
  }

  async putDocument(tenant: string, name: string, value: unknown, expectedVersion: number): Promise<boolean> {
    return this.#conditional(new PutCommand(this.#documentPut(tenant, name, value, expectedVersion)));
  }

  #documentPut(tenant: string, name: string, value: unknown, expectedVersion: number) {
    return {
      TableName: this.#table,
      Item: { ...keys.document(tenant, name), version: expectedVersion + 1, body: JSON.stringify(value) },
      ...(expectedVersion === 0
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : {
            ConditionExpression: 'version = :expected',
            ExpressionAttributeValues: { ':expected': expectedVersion },
          }),
    };
  }

  /** Sends a conditional write; false when its condition did not hold (nothing was written). */
  async #conditional(command: PutCommand): Promise<boolean> {
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

/**
 * A cancelled transaction whose every part either held or failed only its condition or a concurrent
 * write: a fresh read and a retry answer it. The SDK's exception and the signed client's error carry
 * the same name and `CancellationReasons`.
 */
function transactionCancelledForRetry(error: unknown): boolean {
  const cancelled = error as { name?: unknown; CancellationReasons?: { Code?: string }[] } | undefined;
  return (
    cancelled?.name === 'TransactionCanceledException' &&
    (cancelled.CancellationReasons ?? []).every((reason) =>
      RETRYABLE_CANCELLATIONS.has(reason.Code ?? 'None'),
    )
  );
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

function parseDocument(item: Item | undefined): Store.TenantDocument | undefined {
  if (!item || typeof item.body !== 'string' || typeof item.version !== 'number') return undefined;
  return { value: JSON.parse(item.body) as unknown, version: item.version };
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
