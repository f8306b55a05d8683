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

/**
 * The DynamoDB operations the store sends, named as `@aws-sdk/lib-dynamodb` names them, with plain
 * values in and out. The store reads as it did over lib-dynamodb; what carries the request is a transport.
 */
export class GetCommand {
  readonly operation = 'GetItem';
  readonly input: GetInput;
  constructor(input: GetInput) {
    this.input = input;
  }
}
export class PutCommand {
  readonly operation = 'PutItem';
  readonly input: PutInput;
  constructor(input: PutInput) {
    this.input = input;
  }
}
export class UpdateCommand {
  readonly operation = 'UpdateItem';
  readonly input: UpdateInput;
  constructor(input: UpdateInput) {
    this.input = input;
  }
}
export class DeleteCommand {
  readonly operation = 'DeleteItem';
  readonly input: DeleteInput;
  constructor(input: DeleteInput) {
    this.input = input;
  }
}
export class QueryCommand {
  readonly operation = 'Query';
  readonly input: QueryInput;
  constructor(input: QueryInput) {
    this.input = input;
  }
}

type Command = GetCommand | PutCommand | UpdateCommand | DeleteCommand | QueryCommand;

/** Sends one DynamoDB operation with attribute values in and out (the service's own JSON). */
export interface DynamoTransport {
  call(operation: Command['operation'], input: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/** The fields holding items or keys, in and out, which are marshalled; the rest pass as they are. */
const ITEM_FIELDS = ['Item', 'Key', 'ExpressionAttributeValues', 'ExclusiveStartKey'] as const;

export class DynamoDocumentClient {
  readonly #transport: DynamoTransport;

  constructor(transport: DynamoTransport) {
    this.#transport = transport;
  }

  send(command: GetCommand): Promise<{ Item?: Item }>;
  send(command: PutCommand | UpdateCommand): Promise<{ Attributes?: Item }>;
  send(command: DeleteCommand): Promise<{ Attributes?: Item }>;
  send(command: QueryCommand): Promise<{ Items?: Item[]; LastEvaluatedKey?: Item }>;
  async send(command: Command): Promise<Record<string, unknown>> {
    const input: Record<string, unknown> = { ...command.input };
    for (const field of ITEM_FIELDS) {
      const value = input[field];
      if (value !== undefined) input[field] = toAttributeMap(value as Item);
    }
    const output = await this.#transport.call(command.operation, input);
    return {
      ...(output.Item ? { Item: fromAttributeMap(output.Item as Item) } : {}),
      ...(output.Attributes ? { Attributes: fromAttributeMap(output.Attributes as Item) } : {}),
      ...(output.Items ? { Items: (output.Items as Item[]).map(fromAttributeMap) } : {}),
      ...(output.LastEvaluatedKey
        ? { LastEvaluatedKey: fromAttributeMap(output.LastEvaluatedKey as Item) }
        : {}),
    };
  }
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
      const { GetItemCommand, PutItemCommand, UpdateItemCommand, DeleteItemCommand, QueryCommand } =
        await sdk;
      const commands = {
        GetItem: GetItemCommand,
        PutItem: PutItemCommand,
        UpdateItem: UpdateItemCommand,
        DeleteItem: DeleteItemCommand,
        Query: QueryCommand,
      };
      const SdkCommand = commands[operation] as unknown as new (
        input: Record<string, unknown>,
      ) => Parameters<DynamoDBClient['send']>[0];
      return (await client.send(new SdkCommand(input))) as unknown as Record<string, unknown>;
    },
  };
}
