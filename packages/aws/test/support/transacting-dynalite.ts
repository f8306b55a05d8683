// dynalite, the local DynamoDB the tests and the bench speak to through the real AWS SDK, implements no
// TransactWriteItems. This server is dynalite with that one operation added, built on dynalite's own
// engine so that a transaction and every other request see the same items:
//
// - the request is validated by dynalite's own validators for the single-item operation each entry
//   corresponds to (Put → PutItem, Delete and ConditionCheck → DeleteItem), so expressions, names and
//   values are parsed exactly as for those operations;
// - the items' locks are taken from dynalite's own per-item locks (the ones PutItem, UpdateItem and
//   DeleteItem hold while they read, check and write), one after another in key order, so two
//   transactions never wait on each other in a circle;
// - under those locks every condition is evaluated with dynalite's own condition evaluator against the
//   stored item; if any fails, nothing is written and the answer is AWS's TransactionCanceledException
//   with one cancellation reason per entry (ConditionalCheckFailed or None);
// - otherwise every item write and its index entries go to the storage in one LevelDB batch, so no
//   read, locked or not, sees part of a transaction.
//
// What it does not do: `Update` entries (refused with a ValidationException naming this server), the
// idempotency of `ClientRequestToken` (ignored), `ReturnValuesOnConditionCheckFailure` (ignored), and the
// TransactionConflict that AWS reports when two transactions touch an item at once (here the second
// waits for the first instead). Every other operation is dynalite's, unchanged.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import dynalite from 'dynalite';

const require = createRequire(import.meta.url);

type AttributeMap = Record<string, unknown>;
type Callback<T> = (error: Error | null | undefined, value?: T) => void;

interface Table {
  TableName: string;
  KeySchema: { AttributeName: string }[];
  LocalSecondaryIndexes?: unknown[];
  GlobalSecondaryIndexes?: unknown[];
}

interface ItemDb {
  get(key: string, callback: Callback<AttributeMap>): void;
  lock(key: string, exec: (release: (done?: () => void) => () => void) => void): void;
}

interface DynaliteStore {
  db: { batch(operations: BatchOperation[], callback: Callback<void>): void };
  getTable(name: string, callback: Callback<Table>): void;
  getItemDb(name: string): ItemDb;
}

type BatchOperation = { type: 'put'; key: string; value: AttributeMap } | { type: 'del'; key: string };

interface IndexActions {
  puts: { index: string; key: string; item: AttributeMap }[];
  deletes: { index: string; key: string }[];
}

interface DynaliteDb {
  create(options: unknown): DynaliteStore;
  createKey(item: AttributeMap, table: Table): string;
  validateItem(item: AttributeMap, table: Table): Error | undefined;
  validateKey(key: AttributeMap, table: Table): Error | undefined;
  checkConditional(data: unknown, existing: AttributeMap | undefined): Error | undefined | null;
  getIndexActions(
    indexes: unknown[],
    existing: AttributeMap | undefined,
    item: AttributeMap | undefined,
    table: Table,
  ): IndexActions;
}

interface ActionValidation {
  types: unknown;
  custom?: unknown;
}

interface Validations {
  checkTypes(data: unknown, types: unknown): Record<string, unknown>;
  checkValidations(data: unknown, types: unknown, custom: unknown, store: DynaliteStore): void;
}

const db = require('dynalite/db') as DynaliteDb;
const validations = require('dynalite/validations') as Validations;
const putItemValidation = require('dynalite/validations/putItem') as ActionValidation;
const deleteItemValidation = require('dynalite/validations/deleteItem') as ActionValidation;

const TRANSACT_WRITE = 'DynamoDB_20120810.TransactWriteItems';
const MAX_ITEMS = 100;

export interface DynaliteOptions {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}

/** dynalite with TransactWriteItems (see the top of this file); listen on it as on dynalite. */
export function transactingDynalite(options: DynaliteOptions = {}): Server {
  // dynalite keeps its storage to itself; its factory is wrapped for one call to see which one it made.
  const create = db.create;
  let store: DynaliteStore | undefined;
  db.create = (storeOptions) => {
    store = create(storeOptions);
    return store;
  };
  let inner: Server;
  try {
    inner = dynalite(options);
  } finally {
    db.create = create;
  }
  if (!store) throw new Error('dynalite made no store');
  const engine = store;
  const [dynaliteHandler] = inner.listeners('request') as ((
    request: IncomingMessage,
    response: ServerResponse,
  ) => void)[];
  if (!dynaliteHandler) throw new Error('dynalite has no request handler');
  return createServer((request, response) => {
    if (request.headers['x-amz-target'] !== TRANSACT_WRITE) {
      dynaliteHandler(request, response);
      return;
    }
    transactWrite(engine, request)
      .then((answer) => send(response, answer.status, answer.body))
      .catch((error: unknown) =>
        send(response, 500, { __type: 'InternalServerError', message: String(error) }),
      );
  });
}

interface Entry {
  kind: 'Put' | 'Delete' | 'ConditionCheck';
  data: Record<string, unknown>;
  table: Table;
  key: string;
}

type Answer = { status: number; body: unknown };

async function transactWrite(store: DynaliteStore, request: IncomingMessage): Promise<Answer> {
  let input: { TransactItems?: unknown };
  try {
    input = JSON.parse(await readBody(request)) as { TransactItems?: unknown };
  } catch {
    return { status: 400, body: { __type: 'com.amazon.coral.service#SerializationException' } };
  }
  let entries: Entry[];
  try {
    entries = await parseEntries(store, input.TransactItems);
  } catch (error) {
    const refused = error as { statusCode?: number; body?: unknown; message?: string };
    if (refused.statusCode && refused.body) return { status: refused.statusCode, body: refused.body };
    return validationError(refused.message ?? String(error));
  }
  const releases = await lockInKeyOrder(store, entries);
  try {
    const existing = await Promise.all(
      entries.map((entry) => getItem(store.getItemDb(entry.table.TableName), entry.key)),
    );
    const failed = entries.map((entry, n) => db.checkConditional(entry.data, existing[n]) != null);
    if (failed.some(Boolean)) {
      const codes = failed.map((fails) => (fails ? 'ConditionalCheckFailed' : 'None'));
      return {
        status: 400,
        body: {
          __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
          message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
          CancellationReasons: codes.map((Code) =>
            Code === 'None' ? { Code } : { Code, Message: 'The conditional request failed' },
          ),
        },
      };
    }
    await batch(
      store,
      entries.flatMap((entry, n) => writesOf(entry, existing[n])),
    );
    return { status: 200, body: {} };
  } finally {
    for (const release of releases.reverse()) release();
  }
}

async function parseEntries(store: DynaliteStore, items: unknown): Promise<Entry[]> {
  if (!Array.isArray(items) || items.length < 1 || items.length > MAX_ITEMS)
    throw new Error(`TransactItems must hold between 1 and ${MAX_ITEMS} entries`);
  const entries: Entry[] = [];
  const seen = new Set<string>();
  for (const item of items as Record<string, unknown>[]) {
    const kinds = Object.keys(item ?? {});
    const kind = kinds[0];
    if (kinds.length !== 1 || (kind !== 'Put' && kind !== 'Delete' && kind !== 'ConditionCheck')) {
      throw new Error(
        kind === 'Update'
          ? 'this local server (dynalite with TransactWriteItems) implements Put, Delete and ConditionCheck entries, not Update'
          : 'each TransactItems entry must hold exactly one of Put, Delete, ConditionCheck or Update',
      );
    }
    const validation = kind === 'Put' ? putItemValidation : deleteItemValidation;
    if (kind === 'ConditionCheck' && typeof (item[kind] as AttributeMap)?.ConditionExpression !== 'string')
      throw new Error('a ConditionCheck entry needs a ConditionExpression');
    const data = validations.checkTypes(structuredClone(item[kind]), validation.types);
    validations.checkValidations(data, validation.types, validation.custom, store);
    const table = await getTable(store, String(data.TableName));
    const itemOrKey = (kind === 'Put' ? data.Item : data.Key) as AttributeMap;
    const invalid = kind === 'Put' ? db.validateItem(itemOrKey, table) : db.validateKey(itemOrKey, table);
    if (invalid) throw invalid;
    const key = db.createKey(itemOrKey, table);
    const id = `${table.TableName}\u0000${key}`;
    if (seen.has(id)) throw new Error('Transaction request cannot include multiple operations on one item');
    seen.add(id);
    entries.push({ kind, data, table, key });
  }
  return entries;
}

/** Each entry's item lock, taken one after another in (table, key) order; returns the releases. */
async function lockInKeyOrder(store: DynaliteStore, entries: readonly Entry[]): Promise<(() => void)[]> {
  const ordered = [...entries].sort((a, b) => {
    const left = `${a.table.TableName}\u0000${a.key}`;
    const right = `${b.table.TableName}\u0000${b.key}`;
    return left < right ? -1 : left > right ? 1 : 0;
  });
  const releases: (() => void)[] = [];
  for (const entry of ordered) {
    releases.push(
      await new Promise<() => void>((resolve) => {
        store.getItemDb(entry.table.TableName).lock(entry.key, (release) => resolve(release()));
      }),
    );
  }
  return releases;
}

/** The storage writes of one entry: the item itself and its index entries, as PutItem/DeleteItem make them. */
function writesOf(entry: Entry, existing: AttributeMap | undefined): BatchOperation[] {
  if (entry.kind === 'ConditionCheck') return [];
  const item = entry.kind === 'Put' ? (entry.data.Item as AttributeMap) : undefined;
  if (!item && !existing) return [];
  const { table } = entry;
  const writes: BatchOperation[] = [];
  for (const indexType of ['Local', 'Global'] as const) {
    const indexes =
      (indexType === 'Local' ? table.LocalSecondaryIndexes : table.GlobalSecondaryIndexes) ?? [];
    const actions = db.getIndexActions(indexes, existing, item, table);
    const prefix = (index: string) => `index-${indexType.toLowerCase()}~${table.TableName}~${index}~`;
    for (const removed of actions.deletes)
      writes.push({ type: 'del', key: prefix(removed.index) + removed.key });
    for (const added of actions.puts)
      writes.push({ type: 'put', key: prefix(added.index) + added.key, value: added.item });
  }
  const itemKey = `item-${table.TableName}~${entry.key}`;
  writes.push(item ? { type: 'put', key: itemKey, value: item } : { type: 'del', key: itemKey });
  return writes;
}

function getTable(store: DynaliteStore, name: string): Promise<Table> {
  return new Promise((resolve, reject) =>
    store.getTable(name, (error, table) => {
      if (error?.name === 'NotFoundError' || (!error && !table))
        reject(
          Object.assign(new Error(`Requested resource not found: Table: ${name} not found`), {
            statusCode: 400,
            body: {
              __type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException',
              message: 'Requested resource not found',
            },
          }),
        );
      else if (error) reject(error);
      else resolve(table as Table);
    }),
  );
}

function getItem(itemDb: ItemDb, key: string): Promise<AttributeMap | undefined> {
  return new Promise((resolve, reject) =>
    itemDb.get(key, (error, item) => {
      if (error && error.name !== 'NotFoundError') reject(error);
      else resolve(error ? undefined : item);
    }),
  );
}

function batch(store: DynaliteStore, operations: BatchOperation[]): Promise<void> {
  return new Promise((resolve, reject) =>
    store.db.batch(operations, (error) => (error ? reject(error) : resolve())),
  );
}

function validationError(message: string): Answer {
  return { status: 400, body: { __type: 'com.amazon.coral.validate#ValidationException', message } };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.statusCode = status;
  response.setHeader('Content-Type', 'application/x-amz-json-1.0');
  response.setHeader('Content-Length', Buffer.byteLength(text));
  response.setHeader('x-amzn-RequestId', `transact-${Date.now().toString(36)}`);
  response.end(text);
}
