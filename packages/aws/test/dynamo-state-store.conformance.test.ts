import { describeStateStoreConformance } from '@software-factory/sdk/testing';
import { afterAll, beforeAll } from 'vitest';
import { DynamoStateStore } from '../src/dynamo-state-store.ts';
import { type LocalDynamo, startLocalDynamo } from './support/local-dynamo.ts';

let dynamo: LocalDynamo;
let tableName: string;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  tableName = await dynamo.createTable();
});
afterAll(() => dynamo.close());

describeStateStoreConformance(
  'DynamoStateStore through the AWS SDK',
  () => new DynamoStateStore({ tableName, client: dynamo.client() }),
);

// What runs on Lambda: the store's own SigV4 client, no SDK.
describeStateStoreConformance(
  'DynamoStateStore through its signed client',
  () => new DynamoStateStore({ tableName, env: dynamo.environment() }),
);
