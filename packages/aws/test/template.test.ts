import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  RECORDS_BY_STATUS_INDEX,
  RECORDS_BY_WAKE_AT_INDEX,
  TABLE_ATTRIBUTES,
} from '../src/dynamo-table-layout.ts';
import { parseTickInvocation } from '../src/schedule-event.ts';
import {
  type CloudFormationResource,
  parseCloudFormation,
  readTemplate,
} from './support/cloudformation-yaml.ts';

const template = readTemplate();
const resources = template.Resources;
const props = (name: string) => {
  const resource = resources[name];
  if (!resource?.Properties) throw new Error(`template has no ${name} with properties`);
  return resource.Properties as Record<string, unknown>;
};
const ofType = (type: string) =>
  Object.entries(resources).filter(([, resource]) => resource.Type === type) as [
    string,
    CloudFormationResource,
  ][];

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Principal?: unknown;
  Condition?: unknown;
}
const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const statementsOf = (role: string): Statement[] =>
  (props(role).Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
    (policy) => policy.PolicyDocument.Statement,
  );

/** The DynamoDB operations the store sends, read from its source, named as IAM names them. */
function operationsTheStoreUses(): string[] {
  const source = readFileSync(new URL('../src/dynamo-state-store.ts', import.meta.url), 'utf8');
  const commands = new Set([...source.matchAll(/new (\w+)Command\(/g)].map((match) => match[1]));
  const iamName: Record<string, string> = {
    Get: 'dynamodb:GetItem',
    BatchGet: 'dynamodb:BatchGetItem',
    Put: 'dynamodb:PutItem',
    // A transaction's puts are authorised as PutItem (AWS: "Using IAM with DynamoDB transactions").
    TransactWrite: 'dynamodb:PutItem',
    Update: 'dynamodb:UpdateItem',
    Delete: 'dynamodb:DeleteItem',
    Query: 'dynamodb:Query',
  };
  return [
    ...new Set([...commands].map((command) => iamName[command as string] ?? `unmapped ${command}`)),
  ].sort();
}

describe('template.yaml', () => {
  it('reads with CloudFormation short-form tags and is a SAM template', () => {
    expect(template.Transform).toBe('AWS::Serverless-2016-10-31');
    expect(parseCloudFormation('a: !GetAtt T.Arn\nb: !Sub [plain, { T: !Ref X }]\nc: !Ref T')).toEqual({
      a: { 'Fn::GetAtt': ['T', 'Arn'] },
      b: { 'Fn::Sub': ['plain', { T: { Ref: 'X' } }] },
      c: { Ref: 'T' },
    });
    expect(
      Object.fromEntries(Object.entries(resources).map(([name, resource]) => [name, resource.Type])),
    ).toEqual({
      StateTable: 'AWS::DynamoDB::Table',
      HttpLogGroup: 'AWS::Logs::LogGroup',
      TickLogGroup: 'AWS::Logs::LogGroup',
      FunctionRole: 'AWS::IAM::Role',
      HttpApi: 'AWS::Serverless::HttpApi',
      HttpFunction: 'AWS::Serverless::Function',
      TickFunction: 'AWS::Serverless::Function',
      SchedulerRole: 'AWS::IAM::Role',
      Tick: 'AWS::Scheduler::Schedule',
    });
  });

  it('creates the table the store expects: keys, both sparse indexes, TTL, kept on stack deletion', () => {
    const table = props('StateTable');
    expect(resources.StateTable?.DeletionPolicy).toBe('Retain');
    expect(table.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.KeySchema).toEqual([
      { AttributeName: TABLE_ATTRIBUTES.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_ATTRIBUTES.sortKey, KeyType: 'RANGE' },
    ]);
    const indexes = table.GlobalSecondaryIndexes as { IndexName: string; KeySchema: unknown }[];
    expect(indexes.map((index) => [index.IndexName, index.KeySchema])).toEqual([
      [
        RECORDS_BY_STATUS_INDEX,
        [
          { AttributeName: TABLE_ATTRIBUTES.statusKey, KeyType: 'HASH' },
          { AttributeName: TABLE_ATTRIBUTES.sortKey, KeyType: 'RANGE' },
        ],
      ],
      [
        RECORDS_BY_WAKE_AT_INDEX,
        [
          { AttributeName: TABLE_ATTRIBUTES.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_ATTRIBUTES.wakeAt, KeyType: 'RANGE' },
        ],
      ],
    ]);
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: TABLE_ATTRIBUTES.ttl, Enabled: true });
  });

  it('routes the webhooks and /healthz of an HTTP API to the HTTP function', () => {
    const events = props('HttpFunction').Events as Record<
      string,
      { Type: string; Properties: Record<string, unknown> }
    >;
    expect(
      Object.values(events).map((event) => [event.Type, event.Properties.Path, event.Properties.Method]),
    ).toEqual([
      ['HttpApi', '/t/{tenant}/webhooks/{source}', 'ANY'],
      ['HttpApi', '/healthz', 'GET'],
    ]);
    expect(
      Object.values(events).every((event) => JSON.stringify(event.Properties.ApiId) === '{"Ref":"HttpApi"}'),
    ).toBe(true);
  });

  it('points both functions at the bundle, the table and their own log group', () => {
    for (const [name, handler, logGroup] of [
      ['HttpFunction', 'handler.http', 'HttpLogGroup'],
      ['TickFunction', 'handler.schedule', 'TickLogGroup'],
    ] as const) {
      const fn = props(name);
      expect(fn.CodeUri).toBe('bundle/');
      expect(fn.Handler).toBe(handler);
      expect((fn.Environment as { Variables: Record<string, unknown> }).Variables.FACTORY_TABLE).toEqual({
        Ref: 'StateTable',
      });
      expect((fn.LoggingConfig as { LogGroup: unknown }).LogGroup).toEqual({ Ref: logGroup });
    }
  });

  it('ticks with EventBridge Scheduler, whose Input the schedule handler accepts', () => {
    const schedule = props('Tick');
    const target = schedule.Target as { Arn: unknown; RoleArn: unknown; Input: string };
    expect(target.Arn).toEqual({ 'Fn::GetAtt': ['TickFunction', 'Arn'] });
    expect(target.RoleArn).toEqual({ 'Fn::GetAtt': ['SchedulerRole', 'Arn'] });
    expect(schedule.FlexibleTimeWindow).toEqual({ Mode: 'OFF' });
    const input = JSON.parse(target.Input.replace(/<aws\.scheduler\.[a-z-]+>/g, 'filled-in'));
    expect(parseTickInvocation(input)).toEqual({
      trigger: 'scheduler',
      scheduledTime: 'filled-in',
      invocationId: 'filled-in',
    });
  });

  describe('least privilege', () => {
    it('gives the functions one role of their own, and SAM no room to add policies to it', () => {
      for (const [name, fn] of ofType('AWS::Serverless::Function')) {
        expect(fn.Properties?.Role, name).toEqual({ 'Fn::GetAtt': ['FunctionRole', 'Arn'] });
        expect(fn.Properties?.Policies, name).toBeUndefined();
      }
      for (const [name, role] of ofType('AWS::IAM::Role')) {
        expect(role.Properties?.ManagedPolicyArns, name).toBeUndefined();
      }
    });

    it('lets the functions do to the table exactly what the store does, on the table and its two indexes only', () => {
      const statements = statementsOf('FunctionRole');
      expect(statements.every((statement) => statement.Effect === 'Allow')).toBe(true);
      const dynamo = statements.filter((statement) =>
        list(statement.Action).some((a) => a.startsWith('dynamodb:')),
      );
      expect(dynamo).toHaveLength(1);
      expect([...list(dynamo[0]!.Action)].sort()).toEqual(operationsTheStoreUses());
      expect(list(dynamo[0]!.Resource)).toEqual([
        { 'Fn::GetAtt': ['StateTable', 'Arn'] },
        { 'Fn::Sub': `\${StateTable.Arn}/index/${RECORDS_BY_STATUS_INDEX}` },
        { 'Fn::Sub': `\${StateTable.Arn}/index/${RECORDS_BY_WAKE_AT_INDEX}` },
      ]);
    });

    it('lets the functions write only their own log streams, and nothing else at all', () => {
      const rest = statementsOf('FunctionRole').filter(
        (statement) => !list(statement.Action).some((a) => a.startsWith('dynamodb:')),
      );
      expect(rest).toHaveLength(1);
      expect(list(rest[0]!.Action).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      expect(list(rest[0]!.Resource)).toEqual([
        { 'Fn::GetAtt': ['HttpLogGroup', 'Arn'] },
        { 'Fn::GetAtt': ['TickLogGroup', 'Arn'] },
      ]);
    });

    it('lets the scheduler invoke the tick function and nothing else, only for this account', () => {
      expect(statementsOf('SchedulerRole')).toEqual([
        {
          Sid: 'InvokeTick',
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: { 'Fn::GetAtt': ['TickFunction', 'Arn'] },
        },
      ]);
      const trust = (props('SchedulerRole').AssumeRolePolicyDocument as { Statement: Statement[] }).Statement;
      expect(trust).toEqual([
        expect.objectContaining({
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        }),
      ]);
    });

    it('has no wildcard action or resource anywhere', () => {
      for (const [name] of ofType('AWS::IAM::Role')) {
        for (const statement of statementsOf(name)) {
          expect(
            list(statement.Action).some((action) => action.includes('*')),
            name,
          ).toBe(false);
          expect(JSON.stringify(statement.Resource), name).not.toContain('*');
        }
      }
    });
  });
});
