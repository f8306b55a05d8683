import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AwsJsonClient, DYNAMODB } from './aws-json-client.ts';
import { fromAttributeMap, toAttributeMap } from './dynamo-attribute-value.ts';

/** An item as the store reads it: plain values, not attribute values. */
export type Item = Record<string, unknown>;
/** An item, key or set of expression values as the store writes it (checked as it is marshalled). */
type Values = object;

interface Conditional {
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Values;
}

export interface GetInput {
  TableName: string;
  Key: Values;
  ConsistentRead?: boolean;
}
export interface PutInput extends Conditional {
  TableName: string;
  Item: Values;
}
export interface UpdateInput extends Conditional {
  TableName: string;
  Key: Values;
  UpdateExpression: string;
}
export interface DeleteInput extends Conditional {
  TableName: string;
  Key: Values;
  ReturnValues?: 'NONE' | 'ALL_OLD';
}
export interface ConditionCheckInput extends Conditional {
  TableName: string;
  Key: Values;
}
/** One part of a transaction: exactly one of these. */
export interface TransactWriteItem {
  Put?: PutInput;
  Update?: UpdateInput;
  Delete?: DeleteInput;
  ConditionCheck?: ConditionCheckInput;
}
export interface TransactWriteInput {
  TransactItems: TransactWriteItem[];
  ClientRequestToken?: string;
}
export interface BatchGetInput {
  RequestItems: Record<string, { Keys: Values[]; ConsistentRead?: boolean; ProjectionExpression?: string }>;
}
export interface QueryInput {
  TableName: string;
  IndexName?: string;
  KeyConditionExpression: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Values;
  ConsistentRead?: boolean;
  Limit?: number;
  ExclusiveStartKey?: Values;
}

/** The DynamoDB operations the store sends, each with its input, as plain values. */
interface Inputs {
  GetItem: GetInput;
  PutItem: PutInput;
  UpdateItem: UpdateInput;
  DeleteItem: DeleteInput;
  Query: QueryInput;
  BatchGetItem: BatchGetInput;
  TransactWriteItems: TransactWriteInput;
}
type Operation = keyof Inputs;

/** What each operation answers, as plain values. */
interface Outputs {
  GetItem: { Item?: Item };
  PutItem: { Attributes?: Item };
  UpdateItem: { Attributes?: Item };
  DeleteItem: { Attributes?: Item };
  Query: { Items?: Item[]; LastEvaluatedKey?: Item };
  BatchGetItem: {
    Responses?: Record<string, Item[]>;
    UnprocessedKeys?: Record<string, { Keys: Item[]; ConsistentRead?: boolean }>;
  };
  TransactWriteItems: Record<string, never>;
}

/** One operation and its input, as a command class of `@aws-sdk/lib-dynamodb` holds them. */
interface Command<O extends Operation> {
  readonly operation: O;
  readonly input: Inputs[O];
}
/** Any one of them, told apart by the operation. */
type AnyCommand = { [O in Operation]: Command<O> }[Operation];

/**
 * The command class of one operation, named as `@aws-sdk/lib-dynamodb` names it, so the store reads as it
 * did over lib-dynamodb; what carries the request is a transport.
 */
function commandClass<O extends Operation>(operation: O) {
  return class implements Command<O> {
    readonly operation = operation;
    readonly input: Inputs[O];
    constructor(input: Inputs[O]) {
      this.input = input;
    }
  };
}

export const GetCommand = commandClass('GetItem');
export const PutCommand = commandClass('PutItem');
export type PutCommand = InstanceType<typeof PutCommand>;
export const UpdateCommand = commandClass('UpdateItem');
export const DeleteCommand = commandClass('DeleteItem');
export const QueryCommand = commandClass('Query');
export const BatchGetCommand = commandClass('BatchGetItem');
export const TransactWriteCommand = commandClass('TransactWriteItems');

/** Sends one DynamoDB operation with attribute values in and out (the service's own JSON). */
export interface DynamoTransport {
  call(operation: Operation, input: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/** The fields holding items or keys, in and out, which are marshalled; the rest pass as they are. */
const ITEM_FIELDS = ['Item', 'Key', 'ExpressionAttributeValues', 'ExclusiveStartKey'] as const;

export class DynamoDocumentClient {
  readonly #transport: DynamoTransport;

  constructor(transport: DynamoTransport) {
    this.#transport = transport;
  }

  async send<O extends Operation>(command: Command<O>): Promise<Outputs[O]> {
    // A command of one operation is one of AnyCommand; the compiler cannot see it through the generic.
    const output = await this.#transport.call(command.operation, marshalInput(command as AnyCommand));
    return unmarshalOutput(output) as Outputs[O];
  }
}

/** The items, keys and expression values of an input as attribute maps, however deep the operation holds them. */
function marshalInput(command: AnyCommand): Record<string, unknown> {
  if (command.operation === 'BatchGetItem')
    return {
      RequestItems: Object.fromEntries(
        Object.entries(command.input.RequestItems).map(([table, request]) => [
          table,
          { ...request, Keys: request.Keys.map((key) => toAttributeMap(key as Item)) },
        ]),
      ),
    };
  if (command.operation === 'TransactWriteItems')
    return {
      ...command.input,
      TransactItems: command.input.TransactItems.map((part) =>
        Object.fromEntries(Object.entries(part).map(([kind, input]) => [kind, marshalFields(input)])),
      ),
    };
  return marshalFields(command.input);
}

function marshalFields(input: object): Record<string, unknown> {
  const marshalled: Record<string, unknown> = { ...input };
  for (const field of ITEM_FIELDS) {
    const value = marshalled[field];
    if (value !== undefined) marshalled[field] = toAttributeMap(value as Item);
  }
  return marshalled;
}

/** The items and keys of an output as plain values: a table's, a batch's per table, its unprocessed keys. */
function unmarshalOutput(output: Record<string, unknown>): Record<string, unknown> {
  const items = (list: unknown) => (list as Item[]).map(fromAttributeMap);
  const perTable = (tables: unknown, each: (value: Item) => unknown) =>
    Object.fromEntries(
      Object.entries(tables as Record<string, Item>).map(([table, value]) => [table, each(value)]),
    );
  return {
    ...(output.Item ? { Item: fromAttributeMap(output.Item as Item) } : {}),
    ...(output.Attributes ? { Attributes: fromAttributeMap(output.Attributes as Item) } : {}),
    ...(output.Items ? { Items: items(output.Items) } : {}),
    ...(output.LastEvaluatedKey
      ? { LastEvaluatedKey: fromAttributeMap(output.LastEvaluatedKey as Item) }
      : {}),
    ...(output.Responses ? { Responses: perTable(output.Responses, items) } : {}),
    ...(output.UnprocessedKeys
      ? {
          UnprocessedKeys: perTable(output.UnprocessedKeys, (request) => ({
            ...request,
            Keys: items(request.Keys),
          })),
        }
      : {}),
  };
}

/** DynamoDB through the minimal signed client: the region, credentials and endpoint from `env`. */
export function signedTransport(env?: Readonly<Record<string, string | undefined>>): DynamoTransport {
  const client = new AwsJsonClient(DYNAMODB, env ? { env } : {});
  return { call: (operation, input) => client.call(operation, input) };
}

/**
 * DynamoDB through an AWS SDK client of your own (credential files, profiles, middleware such as
 * `DynamoRequestCounter`). The SDK's command classes are imported at the first request, so a bundle
 * whose store uses the signed client never loads the SDK.
 */
export function sdkTransport(client: DynamoDBClient): DynamoTransport {
  let sdk: Promise<typeof import('@aws-sdk/client-dynamodb')> | undefined;
  return {
    async call(operation, input) {
      sdk ??= import('@aws-sdk/client-dynamodb');
      const loaded = await sdk;
      const commands = {
        GetItem: loaded.GetItemCommand,
        PutItem: loaded.PutItemCommand,
        UpdateItem: loaded.UpdateItemCommand,
        DeleteItem: loaded.DeleteItemCommand,
        Query: loaded.QueryCommand,
        BatchGetItem: loaded.BatchGetItemCommand,
        TransactWriteItems: loaded.TransactWriteItemsCommand,
      };
      const SdkCommand = commands[operation] as unknown as new (
        input: Record<string, unknown>,
      ) => Parameters<DynamoDBClient['send']>[0];
      return (await client.send(new SdkCommand(input))) as unknown as Record<string, unknown>;
    },
  };
}
