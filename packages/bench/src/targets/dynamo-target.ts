import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { CreateTableCommand, type CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoRequestCounter, DynamoStateStore } from '@software-factory/aws';
import { parseDocument } from 'yaml';
import type { BenchTarget } from './bench-target.ts';
import { inProcessTarget } from './in-process-target.ts';

/** The DynamoDB store on dynalite (another process), counted twice: at the port and on the wire. */
export async function dynamoTarget(): Promise<BenchTarget> {
  const server = await startDynalite();
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${server.port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const tableName = 'factory-bench';
  await client.send(new CreateTableCommand(tableFromTemplate(tableName)));
  const requests = new DynamoRequestCounter();
  return inProcessTarget({
    store: 'DynamoDB (dynalite)',
    open: () => new DynamoStateStore({ tableName, client: requests.attach(client) }),
    wireRequests() {
      const counts = requests.byOperation();
      requests.reset();
      return counts;
    },
    async close() {
      client.destroy();
      await server.stop();
    },
  });
}

/** The table exactly as the AWS package's template declares it, so the bench and a deployment agree. */
export function tableFromTemplate(tableName: string): CreateTableCommandInput {
  const require = createRequire(import.meta.url);
  const templatePath = join(dirname(require.resolve('@software-factory/aws')), '..', 'template.yaml');
  // CloudFormation's !Ref/!Sub tags are irrelevant to the table; they parse as plain values here.
  const template = parseDocument(readFileSync(templatePath, 'utf8'), { logLevel: 'silent' }).toJS() as {
    Resources: { StateTable: { Properties: Record<string, unknown> } };
  };
  const { BillingMode, AttributeDefinitions, KeySchema, GlobalSecondaryIndexes } =
    template.Resources.StateTable.Properties;
  return {
    TableName: tableName,
    BillingMode,
    AttributeDefinitions,
    KeySchema,
    GlobalSecondaryIndexes,
  } as CreateTableCommandInput;
}

/** dynalite in its own process (`dynalite-server.ts`), on 127.0.0.1 and a free port. */
export async function startDynalite(): Promise<{ port: number; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(
    process.execPath,
    [new URL('./dynalite-server.ts', import.meta.url).pathname],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`dynalite exited with ${code} before listening`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (line) => {
      resolve((JSON.parse(line) as { port: number }).port);
    });
  });
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.stdin?.end();
      }),
  };
}
