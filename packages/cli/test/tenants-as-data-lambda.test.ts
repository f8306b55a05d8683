// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files write ${ENV_VAR} references literally.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../aws/test/support/local-dynamo.ts';
import { makeProject, removeProject } from './support/deploy-scenario.ts';
import { runFactory } from './support/factory-process.ts';
import { LambdaFront, type LambdaHttpHandler } from './support/lambda-front.ts';
import { remoteOnboardingSpec } from './support/remote-onboarding.ts';
import { RemoteTenantsWorld } from './support/remote-tenants-world.ts';

// The handler `factory deploy aws --out` generates, from a config with no tenant, over DynamoDB (dynalite),
// behind a loopback API Gateway front. API Gateway serves https only, so the config names where clients
// reach the deployment (server.publicUrl), which is where the vendor sends the browser back to.
const world = new RemoteTenantsWorld();
const front = new LambdaFront();
let dynamo: LocalDynamo | undefined;
let project: string | undefined;
let savedEnv: NodeJS.ProcessEnv | undefined;
/** What the function logged (its JSON lines go to the console, as on Lambda). */
const logged: string[] = [];
const consoleMethods = { log: console.log, error: console.error };

beforeAll(async () => {
  await Promise.all([world.start(), front.start()]);
  dynamo = await startLocalDynamo();
  project = makeProject({ prefix: 'factory-tenants-aws-' });
  writeFileSync(
    path.join(project, 'factory.config.yaml'),
    `server:
  publicUrl: ${front.url}
  operatorToken: \${FACTORY_OPERATOR_TOKEN}
  credentialsKey: \${FACTORY_CREDENTIALS_KEY}
tick: { interval: 1m }
# No tenant yet: the vendors of those the admin API will add.
providers: [linear, slack, github]
tenants: []
`,
  );
  const generated = await runFactory(['deploy', 'aws', '--out', 'aws'], { cwd: project });
  expect(generated.stderr).toBe('');
  expect(generated.code).toBe(0);

  // The function's environment, and nothing else: its table, the deployment's secrets and Linear's OAuth
  // app, the SDK's endpoint for dynalite (and PATH and HOME, which the spawned CLI is given).
  const table = await dynamo.createTable();
  savedEnv = process.env;
  process.env = {
    FACTORY_TABLE: table,
    ...world.deploymentEnv(),
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_MAX_ATTEMPTS: '2',
    ...(savedEnv.PATH ? { PATH: savedEnv.PATH } : {}),
    ...(savedEnv.HOME ? { HOME: savedEnv.HOME } : {}),
  };
  const bundle = path.join(project, 'aws', 'bundle', 'handler.mjs');
  for (const [name, original] of Object.entries(consoleMethods))
    console[name as keyof typeof consoleMethods] = (...args: unknown[]) => {
      logged.push(args.map(String).join(' '));
      original(...args);
    };
  const handler = (await import(pathToFileURL(bundle).href)) as { http: LambdaHttpHandler };
  front.route(handler.http);
}, 120_000);

afterAll(async () => {
  if (savedEnv) process.env = savedEnv;
  Object.assign(console, consoleMethods);
  await Promise.all([world.stop(), front.stop(), dynamo?.close()]);
  if (project) removeProject(project);
});

describe('tenants as data on Lambda: the handler factory deploy aws generates, DynamoDB, onboarded with the CLI', () => {
  remoteOnboardingSpec(world, () => ({ url: front.url, output: () => logged.join('\n') }));

  it('g. a tenant on a vendor the deployment was built without is refused with the fix; nothing is stored', async () => {
    const file = path.join(project as string, 'jira-team.yaml');
    writeFileSync(
      file,
      `id: initech
intentProvider: { type: jira, siteUrl: "https://initech.atlassian.net", token: "\${JIRA_API_TOKEN}", webhookSecret: "\${JIRA_WEBHOOK_SECRET}" }
clarificationChannel: slack
outputTarget: github
fleet: { type: http, url: "https://agents.example.com/factory", secret: "\${FLEET_SECRET}" }
`,
    );
    const added = await world.cli(['tenants', 'add', '--remote', front.url, file], { operator: true });
    expect(added.code).toBe(1);
    expect(added.stderr).toContain(
      '  intentProvider.type: this deployment was built without the provider "jira" (it carries linear, slack, github): add jira to the `providers:` list of the config it is deployed from, then run `factory deploy` again\n',
    );
    const listed = await world.cli(['tenants', 'list', '--remote', front.url], { operator: true });
    expect(listed.stdout).not.toContain('initech');
  });
});
