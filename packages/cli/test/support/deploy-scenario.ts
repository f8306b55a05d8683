// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files write ${ENV_VAR} references literally.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  fixtureJson,
  githubSignature,
  linearSignature,
  pullRequestExample,
} from '../../../providers/test/support/fixtures.ts';
import { GithubServer } from '../../../providers/test/support/github-server.ts';
import { defaultStates, LinearServer } from '../../../providers/test/support/linear-server.ts';
import { SlackServer } from '../../../providers/test/support/slack-server.ts';
import { LoopbackHttpFleet } from './loopback-http-fleet.ts';

/** The repository root, whose node_modules a test project links to. */
export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * A folder that looks like a user's project to a bundler and to `factory deploy`: a package.json and a
 * node_modules holding links to the repository's packages, and a `.bin` with only the tools given.
 */
export function makeProject(options: { bin?: Record<string, string>; prefix?: string } = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), options.prefix ?? 'factory-deploy-'));
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'a-user-project', private: true, type: 'module' }, null, 2),
  );
  const modules = path.join(dir, 'node_modules');
  mkdirSync(path.join(modules, '.bin'), { recursive: true });
  const root = path.join(ROOT, 'node_modules');
  for (const name of readdirSync(root))
    if (name !== '.bin' && !name.startsWith('.'))
      symlinkSync(path.join(root, name), path.join(modules, name));
  for (const [name, script] of Object.entries(options.bin ?? {}))
    writeFileSync(path.join(modules, '.bin', name), script, { mode: 0o755 });
  return dir;
}

export function removeProject(dir: string): void {
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
}

/** The tenant's secrets, by the names the config references. */
export const SECRETS = {
  LINEAR_API_KEY: 'lin_oauth_test_token',
  LINEAR_WEBHOOK_SECRET: 'linear-webhook-secret-of-the-deploy-test',
  SLACK_BOT_TOKEN: 'xoxb-test-token',
  SLACK_SIGNING_SECRET: 'slack-signing-secret-of-the-deploy-test',
  GITHUB_TOKEN: 'ghp_classic_test_token',
  GITHUB_WEBHOOK_SECRET: 'github-webhook-secret-of-the-deploy-test',
  FLEET_SECRET: 'fleet-shared-secret-of-the-deploy-test',
  FACTORY_OPERATOR_TOKEN: 'operator-token-of-the-deploy-test-0123456789',
} as const;

export const TENANT = 'acme';
const TEAM_ID = 'team-eng';
export const ISSUE_ID = '4b9c2d1e-7f3a-4c8b-9d2e-1a2b3c4d5e6f';
const REPOSITORY = 'Codertocat/Hello-World';

/**
 * Linear, Slack and GitHub on loopback servers and a signed HTTP fleet, one clear work item ready for
 * an agent, and the one config file every deploy test uses: the same tenant on Lambda and on Workers.
 */
export class DeployScenario {
  readonly linear = new LinearServer();
  readonly slack = new SlackServer();
  readonly github = new GithubServer();
  readonly fleet = new LoopbackHttpFleet(SECRETS.FLEET_SECRET);

  async start(): Promise<this> {
    await Promise.all([this.linear.start(), this.slack.start(), this.github.start(), this.fleet.start()]);
    this.linear.addTeam({ id: TEAM_ID, key: 'ENG', name: 'Engineering', states: defaultStates('eng') });
    this.linear.addIssue({
      id: ISSUE_ID,
      identifier: 'ENG-7',
      number: 7,
      title: 'Add a --json flag to the export command',
      description:
        'The export command prints a table. Add a --json flag that prints the same rows as a JSON array. Acceptance criteria: the flag is documented and covered by a test.',
      url: 'https://linear.app/acme/issue/ENG-7',
      updatedAt: new Date().toISOString(),
      priority: 2,
      stateId: 'eng-todo',
      teamId: TEAM_ID,
      labels: [{ id: 'label-factory', name: 'factory' }],
    });
    return this;
  }

  async stop(): Promise<void> {
    await Promise.all([this.linear.stop(), this.slack.stop(), this.github.stop(), this.fleet.stop()]);
  }

  /**
   * factory.config.yaml: direct Linear, Slack and GitHub on the loopback servers, the HTTP fleet; the
   * `stateStore:` line given (a flow mapping), or the default SQLite file.
   */
  config(options: { stateStore?: string; tick?: string } = {}): string {
    return `tenant: ${TENANT}
server:
  operatorToken: \${FACTORY_OPERATOR_TOKEN}
tick: { interval: ${options.tick ?? '1m'} }
${options.stateStore ? `stateStore: ${options.stateStore}\n` : ''}${this.tenantBody({ linearToken: true })}`;
  }

  /**
   * The same providers as one entry of a config's `tenants:` list, for `factory tenants add --remote`:
   * secrets as references, and no Linear token, which the tenant signs in to on the deployment.
   */
  remoteTenant(id: string): string {
    return `id: ${id}
${this.tenantBody({ linearToken: false })}`;
  }

  /** The tenant's roles, fleet and routes; Linear's token by reference, or left to a sign-in. */
  private tenantBody(options: { linearToken: boolean }): string {
    return `intentProvider:
  type: linear
  transport: direct
  apiUrl: ${this.linear.url}
${options.linearToken ? '  apiKey: ${LINEAR_API_KEY}\n' : ''}  webhookSecret: \${LINEAR_WEBHOOK_SECRET}
clarificationChannel:
  type: slack
  transport: direct
  apiUrl: ${this.slack.url}
  channel: C0FACTORY
  botToken: \${SLACK_BOT_TOKEN}
  signingSecret: \${SLACK_SIGNING_SECRET}
outputTarget:
  type: github
  transport: direct
  baseUrl: ${this.github.url}
  token: \${GITHUB_TOKEN}
  webhookSecret: \${GITHUB_WEBHOOK_SECRET}
fleet:
  type: http
  url: ${this.fleet.url}
  secret: \${FLEET_SECRET}
routes:
  - { name: app, match: { labels: [factory] }, repository: ${REPOSITORY}, agent: claude }
`;
  }

  /** Linear's signed delivery: the issue, created ready (Todo, labelled factory). */
  issueCreated(): { body: string; headers: Record<string, string> } {
    const payload = fixtureJson('linear/issue.create.korosuke613.json') as { data: Record<string, unknown> };
    const issue = this.linear.issues.get(ISSUE_ID);
    const body = JSON.stringify({
      ...payload,
      data: {
        ...payload.data,
        id: ISSUE_ID,
        identifier: issue?.identifier,
        number: issue?.number,
        title: issue?.title,
        description: issue?.description,
        url: issue?.url,
        updatedAt: issue?.updatedAt,
        teamId: TEAM_ID,
        team: { id: TEAM_ID, key: 'ENG', name: 'Engineering' },
        stateId: 'eng-todo',
        state: { id: 'eng-todo', name: 'Todo', type: 'unstarted', color: '#e2e2e2' },
        labelIds: ['label-factory'],
        labels: [{ id: 'label-factory', name: 'factory', color: '#5e6ad2' }],
      },
      organizationId: 'org-1',
      webhookId: 'webhook-1',
      webhookTimestamp: Date.now(),
    });
    return {
      body,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'linear-signature': linearSignature(SECRETS.LINEAR_WEBHOOK_SECRET, body),
        'linear-delivery': crypto.randomUUID(),
        'linear-event': 'Issue',
        'user-agent': 'Linear-Webhook',
      },
    };
  }

  /** GitHub's signed delivery: the agent's pull request leaves draft. */
  pullRequestReady(): { body: string; headers: Record<string, string> } {
    const example = pullRequestExample('ready_for_review');
    Object.assign(example.pull_request, {
      title: 'ENG-7: print JSON with --json',
      updated_at: new Date().toISOString(),
      head: { ...(example.pull_request.head as object), ref: 'factory/eng-7' },
    });
    const body = JSON.stringify(example);
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'pull_request',
        'x-github-delivery': crypto.randomUUID(),
        'x-hub-signature-256': githubSignature(SECRETS.GITHUB_WEBHOOK_SECRET, body),
        'user-agent': 'GitHub-Hookshot/044aadd',
      },
    };
  }

  /** The Linear state of the work item, by name. */
  issueState(): string | undefined {
    return this.linear.stateOf(ISSUE_ID)?.name;
  }

  /** What the fleet was asked to do, as `METHOD path`. */
  fleetWrites(): string[] {
    return this.fleet.writes().map((request) => `${request.method} ${request.path}`);
  }
}
