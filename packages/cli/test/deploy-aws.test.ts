// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files write ${ENV_VAR} references literally.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseCloudFormation } from '../../aws/test/support/cloudformation-yaml.ts';
import { asHttpApiEvent } from '../../aws/test/support/lambda-events.ts';
import { type LocalDynamo, startLocalDynamo } from '../../aws/test/support/local-dynamo.ts';
import { LoopbackSecrets } from '../../aws/test/support/loopback-secrets.ts';
import { DeployScenario, makeProject, removeProject, SECRETS, TENANT } from './support/deploy-scenario.ts';
import { eventually, runFactory } from './support/factory-process.ts';

type Handler = (event: unknown) => Promise<{ statusCode: number; body: string; headers?: unknown }>;
interface Template {
  Parameters?: Record<string, { Type: string; NoEcho?: boolean }>;
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> } & Record<string, unknown>>;
  Outputs: Record<string, { Value: unknown; Description?: string }>;
}

const scenario = new DeployScenario();
const secrets = new LoopbackSecrets();
let dynamo: LocalDynamo;
let project: string;

beforeAll(async () => {
  await Promise.all([scenario.start(), secrets.start()]);
  dynamo = await startLocalDynamo();
  project = makeProject();
  writeFileSync(path.join(project, 'factory.config.yaml'), scenario.config());
}, 60_000);
afterAll(async () => {
  await Promise.all([scenario.stop(), secrets.stop(), dynamo?.close()]);
  removeProject(project);
});

/** `factory deploy aws --out <dir> …` in the project, as a user runs it. */
async function generate(out: string, ...args: string[]) {
  const result = await runFactory(['deploy', 'aws', '--out', out, ...args], { cwd: project });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const dir = path.join(project, out);
  return {
    dir,
    stdout: result.stdout,
    template: parseCloudFormation(readFileSync(path.join(dir, 'template.yaml'), 'utf8')) as Template,
  };
}

/**
 * Variables that are not the deployment's: Lambda's and the AWS SDK's own (AWS_*, and the home folder
 * where the SDK looks for ~/.aws), Node's (NODE_*, UNDICI_*, WATCH_REPORT_DEPENDENCIES) and a test
 * runner probe of a library (JEST_WORKER_ID). Everything else the handler reads must be in the template.
 */
const PLATFORM =
  /^(AWS_|LAMBDA_|_HANDLER$|_X_AMZN|NODE_|UNDICI_|TZ$|HOME$|HOMEDRIVE$|HOMEPATH$|USERPROFILE$|WATCH_REPORT_DEPENDENCIES$|JEST_WORKER_ID$)/;

/**
 * The generated bundle, imported as Lambda would, with a process environment of exactly `env` that
 * records every variable the handler reads.
 */
async function loadHandler(dir: string, env: Record<string, string>) {
  const reads = new Set<string>();
  const saved = process.env;
  process.env = new Proxy(
    { ...env },
    {
      get(target, name) {
        if (typeof name === 'string') reads.add(name);
        return target[name as string];
      },
    },
  );
  const handler = (await import(pathToFileURL(path.join(dir, 'bundle', 'handler.mjs')).href)) as {
    http: Handler;
    schedule: Handler;
  };
  return { handler, reads, restore: () => (process.env = saved) };
}

const endpoints = () => ({
  ...secrets.endpoints(),
  AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
  AWS_MAX_ATTEMPTS: '2',
});

function variablesOf(template: Template): Record<string, unknown> {
  const environment = template.Resources.HttpFunction?.Properties?.Environment as
    | { Variables: Record<string, unknown> }
    | undefined;
  if (!environment) throw new Error('the template gives HttpFunction no environment');
  return environment.Variables;
}

/** The function's environment as the template gives it, each `Ref` to a parameter filled with its value. */
function functionEnvironment(template: Template, table: string): Record<string, string> {
  const variables = variablesOf(template);
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => {
      const ref = (value as { Ref?: string }).Ref;
      if (ref === 'StateTable') return [name, table];
      if (template.Parameters?.[ref as string]) return [name, SECRETS[name as keyof typeof SECRETS]];
      throw new Error(`unexpected value of ${name}: ${JSON.stringify(value)}`);
    }),
  );
}

function statements(template: Template): { Sid: string; Action: unknown; Resource: unknown }[] {
  const role = template.Resources.FunctionRole?.Properties as {
    Policies: { PolicyDocument: { Statement: { Sid: string; Action: unknown; Resource: unknown }[] } }[];
  };
  return role.Policies.flatMap((policy) => policy.PolicyDocument.Statement);
}

describe('factory deploy aws --out: the SAM template', () => {
  let out: Awaited<ReturnType<typeof generate>>;
  beforeAll(async () => {
    out = await generate('aws-params');
  }, 120_000);

  it('passes cfn-lint', (context) => {
    const found = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
    if (found.error) {
      const message =
        'cfn-lint is not installed (pip install cfn-lint): the generated template was not linted';
      if (process.env.CI) throw new Error(message);
      context.skip(message);
    }
    const lint = spawnSync('cfn-lint', ['--format', 'parseable', path.join(out.dir, 'template.yaml')], {
      encoding: 'utf8',
    });
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.status).toBe(0);
  });

  it('has a NoEcho parameter for each ${NAME} and passes it to both functions as that variable', () => {
    const parameters = out.template.Parameters ?? {};
    expect(Object.keys(parameters).sort()).toEqual(
      [
        'FactoryOperatorToken',
        'FleetSecret',
        'GithubToken',
        'GithubWebhookSecret',
        'LinearApiKey',
        'LinearWebhookSecret',
        'SlackBotToken',
        'SlackSigningSecret',
      ].sort(),
    );
    for (const parameter of Object.values(parameters))
      expect(parameter).toMatchObject({ Type: 'String', NoEcho: true });
    const http = out.template.Resources.HttpFunction?.Properties?.Environment;
    expect(out.template.Resources.TickFunction?.Properties?.Environment).toEqual(http);
    expect((http as { Variables: Record<string, unknown> }).Variables).toMatchObject({
      FACTORY_TABLE: { Ref: 'StateTable' },
      LINEAR_API_KEY: { Ref: 'LinearApiKey' },
      FACTORY_OPERATOR_TOKEN: { Ref: 'FactoryOperatorToken' },
    });
  });

  it('logs JSON, reads the table only, and grants no secret it does not reference (but the tenants’ path)', () => {
    for (const name of ['HttpFunction', 'TickFunction'])
      expect(out.template.Resources[name]?.Properties?.LoggingConfig).toMatchObject({ LogFormat: 'JSON' });
    expect(statements(out.template).map((statement) => statement.Sid)).toEqual([
      'StateTable',
      'OwnLogs',
      'TenantSecrets',
    ]);
    // The admin API is on (an operator token): tenants it adds read their secrets under one path.
    expect(statements(out.template).find((statement) => statement.Sid === 'TenantSecrets')).toEqual({
      Sid: 'TenantSecrets',
      Effect: 'Allow',
      Action: ['ssm:GetParameter', 'secretsmanager:GetSecretValue'],
      Resource: [
        {
          'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/factory/tenants/*',
        },
        {
          'Fn::Sub':
            'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:factory/tenants/*-??????',
        },
      ],
    });
    expect(out.template.Resources.Tick?.Properties?.ScheduleExpression).toBe('rate(1 minute)');
  });

  it('routes the webhooks and /healthz, and with the operator token the admin API and the tenants’ pages', () => {
    const routes = Object.values(
      (out.template.Resources.HttpFunction?.Properties?.Events ?? {}) as Record<
        string,
        { Properties: { Path: string; Method: string } }
      >,
    ).map((event) => `${event.Properties.Method} ${event.Properties.Path}`);
    expect(routes.sort()).toEqual(
      [
        'ANY /t/{tenant}/webhooks/{source}',
        'GET /healthz',
        'ANY /t/{tenant}',
        'ANY /t/{tenant}/{proxy+}',
        'ANY /admin/tenants',
        'ANY /admin/tenants/{proxy+}',
      ].sort(),
    );
  });

  it('has the table @software-factory/aws’s store and template.yaml define', () => {
    const reference = parseCloudFormation(
      readFileSync(path.join(import.meta.dirname, '../../aws/template.yaml'), 'utf8'),
    ) as Template;
    expect(out.template.Resources.StateTable).toEqual(reference.Resources.StateTable);
  });

  it('outputs the webhook URL of each tenant and provider, and prints them', () => {
    const api = 'https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}';
    expect(
      Object.fromEntries(
        Object.entries(out.template.Outputs)
          .filter(([name]) => name.startsWith('Webhook') && name !== 'WebhookBaseUrl')
          .map(([name, output]) => [name, output.Value]),
      ),
    ).toEqual({
      WebhookAcmeLinear: { 'Fn::Sub': `${api}/t/acme/webhooks/linear` },
      WebhookAcmeSlack: { 'Fn::Sub': `${api}/t/acme/webhooks/slack` },
      WebhookAcmeGithub: { 'Fn::Sub': `${api}/t/acme/webhooks/github` },
      WebhookAcmeFleet: { 'Fn::Sub': `${api}/t/acme/webhooks/fleet` },
    });
    expect(out.stdout).toContain('linear  <WebhookBaseUrl>/t/acme/webhooks/linear');
    expect(out.stdout).toContain(
      '--parameter-overrides LinearApiKey="$LINEAR_API_KEY" LinearWebhookSecret="$LINEAR_WEBHOOK_SECRET"',
    );
  });

  it('has no variable the handler does not read, and the handler reads none the template does not give', async () => {
    const table = await dynamo.createTable();
    const given = functionEnvironment(out.template, table);
    const { handler, reads, restore } = await loadHandler(out.dir, { ...given, ...endpoints() });
    try {
      // The first invocation builds every tenant: every secret is resolved and every provider made.
      const health = await handler.http(
        asHttpApiEvent({
          method: 'GET',
          path: '/healthz',
          headers: { authorization: `Bearer ${SECRETS.FACTORY_OPERATOR_TOKEN}` },
        }),
      );
      expect(health.statusCode).toBe(200);
      expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', tenants: [{ id: TENANT }] });
      const ours = [...reads].filter((name) => !PLATFORM.test(name)).sort();
      expect(ours).toEqual(Object.keys(given).sort());
    } finally {
      restore();
    }
  });
});

describe('factory deploy aws --secrets-from: the same config, every secret from Secrets Manager', () => {
  let out: Awaited<ReturnType<typeof generate>>;
  beforeAll(async () => {
    secrets.secrets.set('factory/acme', JSON.stringify(SECRETS));
    out = await generate('aws-store', '--secrets-from', 'secretsmanager:factory/acme');
  }, 120_000);

  it('has no secret parameter, and grants GetSecretValue on that secret alone', () => {
    expect(out.template.Parameters).toBeUndefined();
    expect(Object.keys(variablesOf(out.template))).toEqual(['FACTORY_TABLE']);
    expect(statements(out.template).find((statement) => statement.Sid === 'Secrets')).toEqual({
      Sid: 'Secrets',
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: [
        {
          'Fn::Sub':
            'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:factory/acme-??????',
        },
      ],
    });
  });

  it('runs the scenario: signed Linear webhook → the HTTP fleet → pull request ready → done', async () => {
    const table = await dynamo.createTable();
    const { handler, restore } = await loadHandler(out.dir, {
      ...functionEnvironment(out.template, table),
      ...endpoints(),
    });
    // What the function prints is what CloudWatch keeps.
    const printed: string[] = [];
    const spies = (['log', 'warn', 'error'] as const).map((method) =>
      vi.spyOn(console, method).mockImplementation((line: unknown) => {
        printed.push(String(line));
      }),
    );
    try {
      secrets.requests.length = 0;
      const created = scenario.issueCreated();
      const delivered = await handler.http(
        asHttpApiEvent({
          method: 'POST',
          path: `/t/${TENANT}/webhooks/linear`,
          headers: created.headers,
          body: created.body,
        }),
      );
      expect(delivered.statusCode).toBe(200);
      expect(JSON.parse(delivered.body)).toMatchObject({
        status: 'processed',
        results: [{ event: 'work-item.changed' }],
      });
      expect(scenario.fleetWrites()).toEqual(['POST /factory/agents']);
      expect(scenario.issueState()).toBe('In Progress');
      // Once per cold start: the secret was read once, and not again for the next delivery.
      expect(secrets.requests).toEqual([{ target: 'secretsmanager.GetSecretValue', id: 'factory/acme' }]);

      const ready = scenario.pullRequestReady();
      const completed = await handler.http(
        asHttpApiEvent({
          method: 'POST',
          path: `/t/${TENANT}/webhooks/github`,
          headers: ready.headers,
          body: ready.body,
        }),
      );
      expect(completed.statusCode).toBe(200);
      expect(JSON.parse(completed.body)).toMatchObject({
        status: 'processed',
        results: [{ event: 'output.changed' }],
      });
      await eventually(() => (scenario.issueState() === 'Done' ? true : undefined));
      expect(scenario.fleetWrites()).toEqual([
        'POST /factory/agents',
        expect.stringMatching(/^DELETE \/factory\/agents\//),
      ]);
      expect(secrets.requests).toHaveLength(1);

      const tick = await handler.schedule({
        source: 'factory.tick',
        scheduledTime: new Date().toISOString(),
      });
      expect(tick).toMatchObject({ tenants: [{ tenant: TENANT }], failed: 0 });

      // The deployed function counts what it handled, for the operator's scraper.
      const scraped = await handler.http(
        asHttpApiEvent({
          method: 'GET',
          path: '/metrics',
          headers: { authorization: `Bearer ${SECRETS.FACTORY_OPERATOR_TOKEN}` },
        }),
      );
      expect(scraped.statusCode).toBe(200);
      expect(scraped.body).toMatch(
        new RegExp(
          `factory_events_total\\{tenant="${TENANT}",event="work-item\\.changed",outcome="changed"\\} [1-9]`,
        ),
      );
      expect(scraped.body).toMatch(
        new RegExp(
          `factory_events_total\\{tenant="${TENANT}",event="output\\.changed",outcome="changed"\\} 1`,
        ),
      );
      expect(scraped.body).toContain(`factory_effects_total{tenant="${TENANT}",kind="spawn",result="ok"} 1`);
      const refused = await handler.http(asHttpApiEvent({ method: 'GET', path: '/metrics', headers: {} }));
      expect(refused.statusCode).toBe(401);

      expect(printed.join('\n')).toContain('event handled');
      for (const value of Object.values(SECRETS)) expect(printed.join('\n')).not.toContain(value);
    } finally {
      for (const spy of spies) spy.mockRestore();
      restore();
    }
  });
});

describe('factory deploy aws --secrets-from ssm:<path>: every secret a SecureString parameter', () => {
  it('grants GetParameter on exactly those parameters and resolves them all at the first invocation', async () => {
    for (const [name, value] of Object.entries(SECRETS))
      secrets.parameters.set(`/factory/acme/${name}`, { value, type: 'SecureString' });
    const out = await generate('aws-ssm', '--secrets-from', 'ssm:/factory/acme');
    const granted = statements(out.template).find((statement) => statement.Sid === 'SecretParameters');
    expect([...((granted?.Resource as unknown[] | undefined) ?? [])].sort()).toEqual(
      Object.keys(SECRETS)
        .map((name) => ({
          'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/factory/acme/${name}`,
        }))
        .sort(),
    );
    const table = await dynamo.createTable();
    const { handler, restore } = await loadHandler(out.dir, {
      ...functionEnvironment(out.template, table),
      ...endpoints(),
    });
    try {
      secrets.requests.length = 0;
      const health = await handler.http(
        asHttpApiEvent({
          method: 'GET',
          path: '/healthz',
          headers: { authorization: `Bearer ${SECRETS.FACTORY_OPERATOR_TOKEN}` },
        }),
      );
      expect(JSON.parse(health.body)).toMatchObject({
        status: 'ok',
        tenants: [
          {
            id: TENANT,
            connections: [{ state: 'connected' }, { state: 'connected' }, { state: 'connected' }],
          },
        ],
      });
      expect(secrets.requests.map((request) => [request.id, request.withDecryption]).sort()).toEqual(
        Object.keys(SECRETS)
          .map((name) => [`/factory/acme/${name}`, true])
          .sort(),
      );
    } finally {
      restore();
    }
  }, 120_000);
});

describe('factory deploy aws without --out', () => {
  it('prints the sam command and says sam is missing when it is not on PATH', async () => {
    const result = await runFactory(['deploy', 'aws'], {
      cwd: project,
      env: { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin` },
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `cd ${path.join(project, '.factory/deploy/aws')} && sam deploy --template-file template.yaml`,
    );
    expect(result.stderr).toMatch(/^factory: sam \(the AWS SAM CLI\) is not on PATH/);
  });

  it('runs sam deploy from the artifacts, with the secrets from the environment as parameters', async () => {
    const bin = makeProject();
    const log = path.join(bin, 'sam.log');
    writeFileSync(
      path.join(bin, 'sam'),
      `#!/bin/sh\npwd > ${log}\nprintf '%s\\n' "$@" >> ${log}\necho 'Value https://abc123.execute-api.eu-west-1.amazonaws.com'\n`,
      { mode: 0o755 },
    );
    try {
      const result = await runFactory(
        ['deploy', 'aws', '--stack-name', 'acme-factory', '--region', 'eu-west-1'],
        {
          cwd: project,
          env: { ...SECRETS, PATH: `${bin}:${path.dirname(process.execPath)}:/usr/bin:/bin` },
        },
      );
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const [cwd, ...args] = readFileSync(log, 'utf8').trim().split('\n');
      expect(cwd).toBe(path.join(project, '.factory/deploy/aws'));
      expect(args.slice(0, 5)).toEqual([
        'deploy',
        '--template-file',
        'template.yaml',
        '--stack-name',
        'acme-factory',
      ]);
      expect(args).toContain('--region');
      expect(args).toContain(`LinearApiKey=${SECRETS.LINEAR_API_KEY}`);
      // The secrets went to sam, not to our output.
      expect(result.stdout).not.toContain(SECRETS.LINEAR_API_KEY);
      expect(result.stdout).toContain(
        'linear  https://abc123.execute-api.eu-west-1.amazonaws.com/t/acme/webhooks/linear',
      );
    } finally {
      removeProject(bin);
    }
  });

  it('refuses to run sam while a referenced variable is unset, naming it', async () => {
    const bin = makeProject();
    writeFileSync(path.join(bin, 'sam'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    try {
      const { FLEET_SECRET: _left, ...rest } = SECRETS;
      const result = await runFactory(['deploy', 'aws'], {
        cwd: project,
        env: { ...rest, PATH: `${bin}:${path.dirname(process.execPath)}:/usr/bin:/bin` },
      });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^factory: set FLEET_SECRET in the environment/);
    } finally {
      removeProject(bin);
    }
  });
});
