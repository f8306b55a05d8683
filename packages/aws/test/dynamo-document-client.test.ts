import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BatchGetCommand,
  DynamoDocumentClient,
  type DynamoTransport,
  PutCommand,
  sdkTransport,
  signedTransport,
  TransactWriteCommand,
} from '../src/dynamo-document-client.ts';
import { type LocalDynamo, startLocalDynamo } from './support/local-dynamo.ts';

let dynamo: LocalDynamo;
let tableName: string;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  tableName = await dynamo.createTable();
});
afterAll(() => dynamo.close());

describe('the store’s DynamoDB operations', () => {
  for (const [name, transport] of [
    ['the signed client', () => signedTransport(dynamo.environment())],
    ['the AWS SDK', () => sdkTransport(dynamo.client())],
  ] as const)
    it(`read a batch of keys with plain values, through ${name}`, async () => {
      const db = new DynamoDocumentClient(transport());
      const key = (sk: string) => ({ pk: `batch-${name}`, sk });
      await db.send(new PutCommand({ TableName: tableName, Item: { ...key('a'), holders: { w: 1 } } }));
      await db.send(new PutCommand({ TableName: tableName, Item: { ...key('b'), body: 'x' } }));
      const read = await db.send(
        new BatchGetCommand({
          RequestItems: { [tableName]: { Keys: [key('a'), key('b'), key('missing')], ConsistentRead: true } },
        }),
      );
      const items = read.Responses?.[tableName] ?? [];
      expect(items.sort((x, y) => String(x.sk).localeCompare(String(y.sk)))).toEqual([
        { ...key('a'), holders: { w: 1 } },
        { ...key('b'), body: 'x' },
      ]);
    });

  it('write a transaction’s every part with attribute values, and read its unprocessed keys back', async () => {
    const sent: { operation: string; input: Record<string, unknown> }[] = [];
    const recording: DynamoTransport = {
      async call(operation, input) {
        sent.push({ operation, input });
        return operation === 'BatchGetItem'
          ? { UnprocessedKeys: { t: { Keys: [{ pk: { S: 'k' } }], ConsistentRead: true } } }
          : {};
      },
    };
    const db = new DynamoDocumentClient(recording);
    await db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: 't',
              Item: { pk: 'a', version: 2 },
              ConditionExpression: 'version = :v',
              ExpressionAttributeValues: { ':v': 1 },
            },
          },
          {
            ConditionCheck: { TableName: 't', Key: { pk: 'b' }, ConditionExpression: 'attribute_exists(pk)' },
          },
        ],
      }),
    );
    expect(sent[0]).toEqual({
      operation: 'TransactWriteItems',
      input: {
        TransactItems: [
          {
            Put: {
              TableName: 't',
              Item: { pk: { S: 'a' }, version: { N: '2' } },
              ConditionExpression: 'version = :v',
              ExpressionAttributeValues: { ':v': { N: '1' } },
            },
          },
          {
            ConditionCheck: {
              TableName: 't',
              Key: { pk: { S: 'b' } },
              ConditionExpression: 'attribute_exists(pk)',
            },
          },
        ],
      },
    });
    const batch = await db.send(new BatchGetCommand({ RequestItems: { t: { Keys: [{ pk: 'k' }] } } }));
    expect(sent[1]?.input).toEqual({ RequestItems: { t: { Keys: [{ pk: { S: 'k' } }] } } });
    expect(batch.UnprocessedKeys).toEqual({ t: { Keys: [{ pk: 'k' }], ConsistentRead: true } });
  });
});
