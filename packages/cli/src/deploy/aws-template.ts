// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${…} is written literally: CloudFormation substitutions and config references.
import { stringify } from 'yaml';
import type { DeploymentPlan } from './deploy-config.ts';
import type { TenantWebhook } from './webhooks.ts';

/** The environment variable that names the table; `DynamoStateStore.fromEnvironment` reads it. */
export const TABLE_VARIABLE = 'FACTORY_TABLE';

/** A `${NAME}` reference: a NoEcho parameter passed to both functions as the variable NAME. */
export interface EnvironmentSecret {
  /** The variable the handler reads, e.g. LINEAR_API_KEY. */
  variable: string;
  /** The template parameter, e.g. LinearApiKey. */
  parameter: string;
  /** Where the config uses it, for the parameter's description. */
  fields: string[];
}

/** What `factory deploy aws` makes of the references: parameters, and what the functions may read. */
export interface AwsSecrets {
  environment: EnvironmentSecret[];
  /** IAM resources (Fn::Sub strings) for ssm:GetParameter. */
  parameters: string[];
  /** IAM resources (Fn::Sub strings) for secretsmanager:GetSecretValue. */
  secrets: string[];
}

/**
 * Where the secrets of tenants added through the admin API live on AWS: `${ssm:/factory/tenants/<id>/…}`
 * or `${secretsmanager:factory/tenants/<id>…}`.
 */
export const TENANT_SECRETS_PATH = '/factory/tenants';

const API_URL = 'https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}';

export function awsSecrets(plan: DeploymentPlan): AwsSecrets {
  const environment: EnvironmentSecret[] = [];
  const parameters = new Set<string>();
  const secrets = new Set<string>();
  const taken = new Set<string>();
  for (const { reference, fields } of plan.references) {
    if (reference.scheme === undefined) {
      environment.push({
        variable: reference.locator,
        parameter: uniqueId(pascal(reference.locator), taken),
        fields,
      });
    } else if (reference.scheme === 'ssm') {
      parameters.add(parameterArn(reference.locator));
    } else if (reference.scheme === 'secretsmanager') {
      const hash = reference.locator.lastIndexOf('#');
      secrets.add(secretArn(hash === -1 ? reference.locator : reference.locator.slice(0, hash)));
    }
  }
  return { environment, parameters: [...parameters], secrets: [...secrets] };
}

/** The SAM template of a deployment: table, HTTP API, two functions, the tick, IAM for exactly its secrets. */
export function samTemplate(plan: DeploymentPlan, webhooks: readonly TenantWebhook[]): string {
  const secrets = awsSecrets(plan);
  const variables: Record<string, unknown> = { [TABLE_VARIABLE]: { Ref: 'StateTable' } };
  for (const secret of secrets.environment) variables[secret.variable] = { Ref: secret.parameter };
  const dashboard = plan.deployment.tenants.some((tenant) => tenant.adminToken !== undefined);

  const statements: Record<string, unknown>[] = [
    {
      Sid: 'StateTable',
      Effect: 'Allow',
      Action: [
        'dynamodb:GetItem',
        'dynamodb:BatchGetItem',
        'dynamodb:PutItem',
        'dynamodb:DeleteItem',
        'dynamodb:Query',
      ],
      Resource: [
        { 'Fn::GetAtt': ['StateTable', 'Arn'] },
        { 'Fn::Sub': '${StateTable.Arn}/index/recordsByStatus' },
        { 'Fn::Sub': '${StateTable.Arn}/index/recordsByWakeAt' },
      ],
    },
    {
      Sid: 'OwnLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: [{ 'Fn::GetAtt': ['HttpLogGroup', 'Arn'] }, { 'Fn::GetAtt': ['TickLogGroup', 'Arn'] }],
    },
  ];
  if (secrets.parameters.length > 0)
    statements.push({
      Sid: 'SecretParameters',
      Effect: 'Allow',
      Action: 'ssm:GetParameter',
      Resource: secrets.parameters.map((arn) => ({ 'Fn::Sub': arn })),
    });
  // Tenants added through the admin API keep their secrets under one path the functions may read.
  if (plan.deployment.server.operatorToken !== undefined)
    statements.push({
      Sid: 'TenantSecrets',
      Effect: 'Allow',
      Action: ['ssm:GetParameter', 'secretsmanager:GetSecretValue'],
      Resource: [
        { 'Fn::Sub': parameterArn(`${TENANT_SECRETS_PATH}/*`) },
        { 'Fn::Sub': secretArn(`${TENANT_SECRETS_PATH.slice(1)}/*`) },
      ],
    });
  if (secrets.secrets.length > 0)
    statements.push({
      Sid: 'Secrets',
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: secrets.secrets.map((arn) => ({ 'Fn::Sub': arn })),
    });

  const functionOf = (
    description: string,
    handler: string,
    timeout: number,
    logGroup: string,
    events?: unknown,
  ) => ({
    Type: 'AWS::Serverless::Function',
    Properties: {
      Description: description,
      CodeUri: 'bundle/',
      Handler: handler,
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 512,
      Timeout: timeout,
      Role: { 'Fn::GetAtt': ['FunctionRole', 'Arn'] },
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logGroup } },
      Environment: { Variables: variables },
      ...(events ? { Events: events } : {}),
    },
  });

  const route = (path: string, method: string) => ({
    Type: 'HttpApi',
    Properties: { ApiId: { Ref: 'HttpApi' }, Path: path, Method: method },
  });
  const events: Record<string, unknown> = {
    Webhooks: route('/t/{tenant}/webhooks/{source}', 'ANY'),
    Health: route('/healthz', 'GET'),
  };
  // The admin API (an operator token) adds tenants whose dashboards and sign-in callbacks live under /t.
  const admin = plan.deployment.server.operatorToken !== undefined;
  if (dashboard || admin) {
    events.Dashboard = route('/t/{tenant}', 'ANY');
    events.DashboardPages = route('/t/{tenant}/{proxy+}', 'ANY');
  }
  if (admin) {
    events.Admin = route('/admin/tenants', 'ANY');
    events.AdminTenants = route('/admin/tenants/{proxy+}', 'ANY');
  }

  const parameters: Record<string, unknown> = {};
  for (const secret of secrets.environment)
    parameters[secret.parameter] = {
      Type: 'String',
      NoEcho: true,
      MinLength: 1,
      Description: `\${${secret.variable}}: ${secret.fields.join(', ')}`,
    };

  const outputs: Record<string, unknown> = {
    WebhookBaseUrl: {
      Description: 'The API; each tenant’s webhooks are <this>/t/<tenant>/webhooks/<source>.',
      Value: { 'Fn::Sub': API_URL },
    },
    HealthUrl: { Value: { 'Fn::Sub': `${API_URL}/healthz` } },
    StateTableName: { Value: { Ref: 'StateTable' } },
  };
  const outputIds = new Set(Object.keys(outputs));
  const publicUrl = plan.deployment.server.publicUrl?.replace(/\/+$/, '');
  for (const { tenant, source, path } of webhooks)
    outputs[uniqueId(`Webhook${pascal(tenant)}${pascal(source)}`, outputIds)] = {
      Description: `Register at ${source} for tenant ${tenant}`,
      Value: publicUrl ? `${publicUrl}${path}` : { 'Fn::Sub': `${API_URL}${path}` },
    };

  const template = {
    AWSTemplateFormatVersion: '2010-09-09',
    Transform: 'AWS::Serverless-2016-10-31',
    Description: `factory ${plan.deployment.version}, generated by \`factory deploy aws\` from ${plan.file}: tenants ${plan.deployment.tenants.map((tenant) => tenant.id).join(', ')}. Generate it again rather than edit it.`,
    ...(Object.keys(parameters).length > 0 ? { Parameters: parameters } : {}),
    Resources: {
      StateTable: STATE_TABLE,
      HttpLogGroup: logGroup('http'),
      TickLogGroup: logGroup('tick'),
      FunctionRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
            ],
          },
          Policies: [
            {
              PolicyName: 'factory-state-logs-and-secrets',
              PolicyDocument: { Version: '2012-10-17', Statement: statements },
            },
          ],
        },
      },
      HttpApi: {
        Type: 'AWS::Serverless::HttpApi',
        Properties: { DefaultRouteSettings: { ThrottlingBurstLimit: 200, ThrottlingRateLimit: 100 } },
      },
      // An HTTP API waits at most 30 s for its integration.
      HttpFunction: functionOf(
        'Webhooks in (POST /t/{tenant}/webhooks/{source}), GET /healthz and the dashboards.',
        'handler.http',
        28,
        'HttpLogGroup',
        events,
      ),
      TickFunction: functionOf(
        'The tick for every tenant, run by EventBridge Scheduler.',
        'handler.schedule',
        120,
        'TickLogGroup',
      ),
      SchedulerRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Service: 'scheduler.amazonaws.com' },
                Action: 'sts:AssumeRole',
                Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
              },
            ],
          },
          Policies: [
            {
              PolicyName: 'invoke-tick',
              PolicyDocument: {
                Version: '2012-10-17',
                Statement: [
                  {
                    Sid: 'InvokeTick',
                    Effect: 'Allow',
                    Action: 'lambda:InvokeFunction',
                    Resource: { 'Fn::GetAtt': ['TickFunction', 'Arn'] },
                  },
                ],
              },
            },
          ],
        },
      },
      Tick: {
        Type: 'AWS::Scheduler::Schedule',
        Properties: {
          Description: "The factory's tick, the safety net that replaces polling loops.",
          ScheduleExpression: `rate(${plan.tickMinutes} ${plan.tickMinutes === 1 ? 'minute' : 'minutes'})`,
          FlexibleTimeWindow: { Mode: 'OFF' },
          State: 'ENABLED',
          Target: {
            Arn: { 'Fn::GetAtt': ['TickFunction', 'Arn'] },
            RoleArn: { 'Fn::GetAtt': ['SchedulerRole', 'Arn'] },
            // The next tick comes soon; a late retry of this one would only overlap it.
            RetryPolicy: { MaximumRetryAttempts: 0 },
            Input: JSON.stringify({
              source: 'factory.tick',
              scheduleArn: '<aws.scheduler.schedule-arn>',
              scheduledTime: '<aws.scheduler.scheduled-time>',
              executionId: '<aws.scheduler.execution-id>',
              attemptNumber: '<aws.scheduler.attempt-number>',
            }),
          },
        },
      },
    },
    Outputs: outputs,
  };
  return `# Generated by \`factory deploy aws\` from ${plan.file}; generate it again rather than edit it.\n${stringify(template, { lineWidth: 0, version: '1.1', aliasDuplicateObjects: false })}`;
}

/** The table `DynamoStateStore` expects; the same as @software-factory/aws's template.yaml (a test checks). */
const STATE_TABLE = {
  Type: 'AWS::DynamoDB::Table',
  // Work items, waits and the queue outlive any deployment: deleting the stack keeps the table.
  DeletionPolicy: 'Retain',
  UpdateReplacePolicy: 'Retain',
  Properties: {
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'statusKey', AttributeType: 'S' },
      { AttributeName: 'wakeAt', AttributeType: 'N' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: 'recordsByStatus',
        KeySchema: [
          { AttributeName: 'statusKey', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['record'] },
      },
      {
        IndexName: 'recordsByWakeAt',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'wakeAt', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['record'] },
      },
    ],
    TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    SSESpecification: { SSEEnabled: true },
  },
};

function logGroup(name: string) {
  return {
    Type: 'AWS::Logs::LogGroup',
    Properties: { LogGroupName: { 'Fn::Sub': `/factory/\${AWS::StackName}/${name}` }, RetentionInDays: 30 },
  };
}

/** `arn:…:parameter/<name>` for a parameter name, path or ARN; a `:version`/`:label` selector is dropped. */
function parameterArn(locator: string): string {
  if (locator.startsWith('arn:')) return escapeSub(locator.split(':').slice(0, 6).join(':'));
  const name = locator.split(':')[0] as string;
  return `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${name.startsWith('/') ? '' : '/'}${escapeSub(name)}`;
}

/** A secret's ARN; a name gets Secrets Manager's six-character suffix as a wildcard. */
function secretArn(secretId: string): string {
  if (secretId.startsWith('arn:'))
    return escapeSub(/-[A-Za-z0-9]{6}$/.test(secretId) ? secretId : `${secretId}-??????`);
  return `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${escapeSub(secretId)}-??????`;
}

/** Literal text inside Fn::Sub: `${` would start a variable. */
function escapeSub(text: string): string {
  return text.replaceAll('${', '${!');
}

/** `LINEAR_API_KEY` → `LinearApiKey`, `acme-corp` → `AcmeCorp`: CloudFormation ids are alphanumeric. */
export function pascal(text: string): string {
  const words = text.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const id = words.map((word) => word.charAt(0).toUpperCase() + word.slice(1).toLowerCase()).join('');
  return /^[A-Za-z]/.test(id) ? id : `X${id}`;
}

function uniqueId(id: string, taken: Set<string>): string {
  let candidate = id;
  for (let index = 2; taken.has(candidate); index++) candidate = `${id}${index}`;
  taken.add(candidate);
  return candidate;
}
