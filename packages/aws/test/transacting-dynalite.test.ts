import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DynamoDocumentClient,
  GetCommand,
  QueryCommand,
  sdkTransport,
  TransactWriteCommand,
} from '../src/dynamo-document-client.ts';
import { type LocalDynamo, startLocalDynamo } from './support/local-dynamo.ts';

let dynamo: LocalDynamo;
let tableName: string;
let db: DynamoDocumentClient;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  tableName = await dynamo.createTable();
  // The real SDK on the wire (its exceptions included), plain values in and out.
  db = new DynamoDocumentClient(sdkTransport(dynamo.client()));
});
afterAll(async () => {
  await dynamo.close();
});

const put = (sk: string, extra: Record<string, unknown> = {}, condition?: string) => ({
  Put: {
    TableName: tableName,
    Item: { pk: 'tx', sk, ...extra },
    ...(condition ? { ConditionExpression: condition } : {}),
  },
});

async function read(sk: string) {
  return (
    await db.send(new GetCommand({ TableName: tableName, Key: { pk: 'tx', sk }, ConsistentRead: true }))
  ).Item;
}

describe('the local DynamoDB the tests use: dynalite with TransactWriteItems', () => {
  it('writes every entry when every condition holds, index entries included', async () => {
    await db.send(
      new TransactWriteCommand({
        TransactItems: [put('a', { version: 1 }, 'attribute_not_exists(pk)'), put('b', { wakeAt: 5 })],
      }),
    );
    expect(await read('a')).toEqual({ pk: 'tx', sk: 'a', version: 1 });
    const due = await db.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: 'recordsByWakeAt',
        KeyConditionExpression: 'pk = :pk AND wakeAt <= :now',
        ExpressionAttributeValues: { ':pk': 'tx', ':now': 10 },
      }),
    );
    expect(due.Items?.map((item) => item.sk)).toEqual(['b']);
  });

  it('writes nothing when one condition fails, and says which one as AWS does', async () => {
    const attempt = db.send(
      new TransactWriteCommand({
        TransactItems: [
          put('c', { version: 1 }, 'attribute_not_exists(pk)'),
          put('a', { version: 9 }, 'version = :two'),
        ].map((entry, n) =>
          n === 1 ? { Put: { ...entry.Put, ExpressionAttributeValues: { ':two': 2 } } } : entry,
        ),
      }),
    );
    const error = await attempt.catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(TransactionCanceledException);
    expect((error as TransactionCanceledException).CancellationReasons?.map((reason) => reason.Code)).toEqual(
      ['None', 'ConditionalCheckFailed'],
    );
    expect(await read('c')).toBeUndefined();
    expect(await read('a')).toEqual({ pk: 'tx', sk: 'a', version: 1 });
  });

  it('refuses two entries on one item, and Update entries, which it does not implement', async () => {
    await expect(db.send(new TransactWriteCommand({ TransactItems: [put('d'), put('d')] }))).rejects.toThrow(
      /multiple operations on one item/,
    );
    await expect(
      db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: tableName,
                Key: { pk: 'tx', sk: 'e' },
                UpdateExpression: 'SET n = :n',
                ExpressionAttributeValues: { ':n': 1 },
              },
            },
          ],
        }),
      ),
    ).rejects.toThrow(/not Update/);
    expect(await read('d')).toBeUndefined();
  });

  it('serialises transactions on the same items: of 20 racing creates of one item exactly one lands', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, n) =>
        db.send(
          new TransactWriteCommand({
            TransactItems: [put('f', { writer: n }, 'attribute_not_exists(pk)'), put(`g-${n}`)],
          }),
        ),
      ),
    );
    const landed = results.flatMap((result, n) => (result.status === 'fulfilled' ? [n] : []));
    expect(landed).toHaveLength(1);
    expect((await read('f'))?.writer).toBe(landed[0]);
    for (let n = 0; n < 20; n++)
      expect(await read(`g-${n}`)).toEqual(n === landed[0] ? { pk: 'tx', sk: `g-${n}` } : undefined);
  });
});
