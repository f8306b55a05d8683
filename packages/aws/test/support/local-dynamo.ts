import type { AddressInfo } from 'node:net';
import { CreateTableCommand, type CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readTemplate } from './cloudformation-yaml.ts';
import { transactingDynalite } from './transacting-dynalite.ts';

/**
 * The table's key schema and indexes exactly as `template.yaml` declares them. TTL, backups and
 * encryption are CloudFormation settings outside CreateTable (and dynalite never expires items).
 */
export function tableDefinitionFromTemplate(tableName: string): CreateTableCommandInput {
  const table = readTemplate().Resources.StateTable;
  if (table?.Type !== 'AWS::DynamoDB::Table' || !table.Properties)
    throw new Error('template has no StateTable');
  const { BillingMode, AttributeDefinitions, KeySchema, GlobalSecondaryIndexes } = table.Properties;
  return {
    TableName: tableName,
    BillingMode,
    AttributeDefinitions,
    KeySchema,
    GlobalSecondaryIndexes,
  } as CreateTableCommandInput;
}

export interface LocalDynamo {
  endpoint: string;
  /** A fresh SDK v3 client for the local server, as a Lambda instance would have its own. */
  client(): DynamoDBClient;
  /** The environment that points the store's own signed client here, as Lambda's would at AWS. */
  environment(): Record<string, string>;
  /** Creates a new table from the template's definition and returns its name. */
  createTable(): Promise<string>;
  close(): Promise<void>;
}

let tables = 0;

/**
 * dynalite in this process, with TransactWriteItems added (`transacting-dynalite.ts`), on 127.0.0.1 and a
 * free port, spoken to through the real AWS SDK (`client()`) or the store's own signed client (`environment()`).
 */
export async function startLocalDynamo(): Promise<LocalDynamo> {
  const server = transactingDynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = () =>
    new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
  const admin = client();
  return {
    endpoint,
    client,
    environment: () => ({
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_SESSION_TOKEN: 'local-session',
    }),
    async createTable() {
      tables += 1;
      const name = `factory-test-${process.pid}-${tables}`;
      await admin.send(new CreateTableCommand(tableDefinitionFromTemplate(name)));
      return name;
    },
    async close() {
      admin.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
