// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files write ${ENV_VAR} references literally.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EncryptedFileCredentialStore } from '@software-factory/auth';
import { AgentRelayFleet, GithubActionsFleet, HttpFleet } from '@software-factory/fleets';
import { LlmTriage } from '@software-factory/llm-triage';
import {
  GithubIssuesWorkItemProvider,
  GithubOutputTarget,
  GitlabOutputTarget,
  IssueCommentClarificationChannel,
  JiraWorkItemProvider,
  LinearWorkItemProvider,
  SlackClarificationChannel,
} from '@software-factory/providers';
import { RuleTriage, silentLogger } from '@software-factory/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultStates, LinearServer } from '../../providers/test/support/linear-server.ts';
import { parseConfig } from '../src/config/load-config.ts';
import { NodeRuntime } from '../src/node-runtime.ts';
import { buildTenantPorts } from '../src/tenant/tenant-ports.ts';

const ENV = {
  JIRA_API_TOKEN: 'jira-api-token-0001',
  JIRA_WEBHOOK_SECRET: 'jira-webhook-secret',
  GITLAB_TOKEN: 'glpat-test-0001',
  GITLAB_WEBHOOK_SECRET: 'gitlab-webhook-secret',
  FLEET_SECRET: 'fleet-secret-0001',
  ANTHROPIC_API_KEY: 'sk-ant-test-0001',
  FACTORY_ADMIN_TOKEN: 'admin-token-0001-of-the-wiring-test',
  GITHUB_TOKEN: 'ghp_test_0001',
  GITHUB_WEBHOOK_SECRET: 'github-webhook-secret',
  SLACK_BOT_TOKEN: 'xoxb-test-0001',
  SLACK_SIGNING_SECRET: 'slack-signing-secret',
  RELAY_WORKSPACE_KEY: 'rk_live_test_0001',
  LINEAR_WEBHOOK_SECRET: 'linear-webhook-secret',
};

const runtimes: NodeRuntime[] = [];
const folders: string[] = [];
afterEach(async () => {
  for (const runtime of runtimes.splice(0)) await runtime.stop();
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

async function tempFolder(prefix: string): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), prefix));
  folders.push(folder);
  return folder;
}

async function runtimeOf(yaml: string, env: Record<string, string> = ENV): Promise<NodeRuntime> {
  const dir = await tempFolder('factory-wiring-');
  const config = await parseConfig(yaml, { fileName: 'factory.config.yaml', baseDir: dir, env });
  const runtime = await NodeRuntime.open(config, { logger: silentLogger, env });
  runtimes.push(runtime);
  return runtime;
}

function onlyTenant(runtime: NodeRuntime) {
  const [tenant] = runtime.tenants;
  if (!tenant) throw new Error('no tenant');
  return tenant;
}

describe('each provider, fleet and triage is selected by config alone', () => {
  it('jira + comments + gitlab + an HTTP fleet + LLM triage', async () => {
    const runtime = await runtimeOf(`tenant: acme
stateStore: { type: memory }
adminToken: \${FACTORY_ADMIN_TOKEN}
intentProvider:
  type: jira
  siteUrl: https://acme.atlassian.net
  email: bot@acme.example
  token: \${JIRA_API_TOKEN}
  webhookSecret: \${JIRA_WEBHOOK_SECRET}
  readyStatuses: [Ready]
clarificationChannel: { type: comments }
outputTarget:
  type: gitlab
  baseUrl: https://gitlab.acme.example
  token: \${GITLAB_TOKEN}
  webhookSecret: \${GITLAB_WEBHOOK_SECRET}
fleet:
  type: http
  url: https://agents.acme.example/factory
  secret: \${FLEET_SECRET}
triage:
  type: llm
  provider: anthropic
  model: claude-sonnet-4-5
  apiKey: \${ANTHROPIC_API_KEY}
  timeout: 4s
scope: { labels: [factory, agent-ok], teams: [WEB] }
breaker: { threshold: 3, cooldown: 10m }
completion: { on: merged }
retry: { maxAttempts: 4 }
dryRun: true
routes:
  - { name: web, match: { labels: [factory] }, repository: acme/web, agent: claude }
`);
    const tenant = onlyTenant(runtime);
    const { ports, settings } = tenant.runtime.factory;
    expect(ports.workItems).toBeInstanceOf(JiraWorkItemProvider);
    expect(ports.clarifications).toBeInstanceOf(IssueCommentClarificationChannel);
    expect(ports.outputs).toBeInstanceOf(GitlabOutputTarget);
    expect(ports.fleet).toBeInstanceOf(HttpFleet);
    expect(ports.triage).toBeInstanceOf(LlmTriage);
    expect([...tenant.runtime.sources.keys()].sort()).toEqual(['fleet', 'gitlab', 'jira']);
    expect(tenant.runtime.adminToken).toBe('admin-token-0001-of-the-wiring-test');
    expect(tenant.localFleet).toBeUndefined();
    expect(settings).toMatchObject({
      scope: { labels: ['factory', 'agent-ok'], teams: ['WEB'] },
      breaker: { threshold: 3, cooldown: 600_000 },
      completion: { on: 'merged' },
      retry: { maxAttempts: 4 },
      dryRun: true,
    });
  });

  it('github-issues + slack + github + a GitHub Actions fleet with its workflow_run webhook', async () => {
    const runtime = await runtimeOf(`stateStore: { type: memory }
intentProvider:
  type: github-issues
  repositories: [{ repository: acme/web }]
  token: \${GITHUB_TOKEN}
  webhookSecret: \${GITHUB_WEBHOOK_SECRET}
clarificationChannel:
  type: slack
  transport: direct
  channel: C0123456789
  botToken: \${SLACK_BOT_TOKEN}
  signingSecret: \${SLACK_SIGNING_SECRET}
outputTarget:
  type: github
  transport: direct
  token: \${GITHUB_TOKEN}
  webhookSecret: \${GITHUB_WEBHOOK_SECRET}
fleet:
  type: github-actions
  workflow: agent.yml
  webhookSecret: \${GITHUB_WEBHOOK_SECRET}
`);
    const tenant = onlyTenant(runtime);
    const { ports } = tenant.runtime.factory;
    expect(ports.workItems).toBeInstanceOf(GithubIssuesWorkItemProvider);
    expect(ports.clarifications).toBeInstanceOf(SlackClarificationChannel);
    expect(ports.outputs).toBeInstanceOf(GithubOutputTarget);
    expect(ports.fleet).toBeInstanceOf(GithubActionsFleet);
    expect(ports.triage).toBeInstanceOf(RuleTriage);
    expect([...tenant.runtime.sources.keys()].sort()).toEqual([
      'github',
      'github-actions',
      'github-issues',
      'slack',
    ]);
    expect(tenant.runtime.adminToken).toBeUndefined();
  });

  it('an Agent Relay fleet', async () => {
    const runtime = await runtimeOf(`stateStore: { type: memory }
intentProvider: { type: linear, transport: direct, webhookSecret: "\${LINEAR_WEBHOOK_SECRET}" }
clarificationChannel: { type: comments }
outputTarget: { type: github, transport: direct, webhookSecret: "\${GITHUB_WEBHOOK_SECRET}" }
fleet: { type: agent-relay, workspaceKey: "\${RELAY_WORKSPACE_KEY}", cli: codex }
`);
    const tenant = onlyTenant(runtime);
    expect(tenant.runtime.factory.ports.fleet).toBeInstanceOf(AgentRelayFleet);
    expect(tenant.runtime.factory.ports.workItems).toBeInstanceOf(LinearWorkItemProvider);
    // Linear comments are the replies when the channel is `comments`: still one `linear` source.
    expect([...tenant.runtime.sources.keys()].sort()).toEqual(['github', 'linear']);
  });
});

describe('a token left out of the config comes from the encrypted credentials store', () => {
  const linear = new LinearServer();
  const KEY = 'correct horse battery staple';
  let dir: string;

  beforeAll(async () => {
    await linear.start();
    linear.addTeam({ id: 'team-eng', key: 'ENG', name: 'Engineering', states: defaultStates('eng') });
    dir = await mkdtemp(path.join(tmpdir(), 'factory-credentials-'));
  });
  afterAll(async () => {
    await linear.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const yaml = () => `tenant: acme
stateStore: { type: memory }
credentials: { type: file, path: secrets/credentials.enc }
intentProvider:
  type: linear
  transport: direct
  apiUrl: ${linear.url}
  webhookSecret: \${LINEAR_WEBHOOK_SECRET}
clarificationChannel: { type: comments }
outputTarget: { type: github, transport: direct, baseUrl: "http://127.0.0.1:9", webhookSecret: "\${GITHUB_WEBHOOK_SECRET}" }
fleet: { type: http, url: "https://agents.example.com", secret: "\${FLEET_SECRET}" }
`;
  const linearStatus = async (env: Record<string, string>) => {
    const config = await parseConfig(yaml(), { fileName: 'factory.config.yaml', baseDir: dir, env });
    const [tenant] = buildTenantPorts(config, { env });
    const reports = await tenant?.connections();
    return reports?.find((report) => report.provider === 'linear')?.status;
  };

  it('is needs-auth when neither the config nor the store has one (not a load error)', async () => {
    expect(await linearStatus(ENV)).toEqual({ state: 'needs-auth', reason: 'no Linear token is configured' });
    expect(await linearStatus({ ...ENV, FACTORY_CREDENTIALS_KEY: KEY })).toMatchObject({
      state: 'needs-auth',
    });
  });

  it('uses the token `factory connect` stored for the tenant and provider', async () => {
    const token = 'lin_oauth_stored_by_connect';
    linear.tokens.add(token);
    const store = new EncryptedFileCredentialStore({
      path: path.join(dir, 'secrets/credentials.enc'),
      key: { passphrase: KEY },
    });
    await store.put('acme', 'linear', { accessToken: token, scopes: ['read', 'write'], tokenType: 'bearer' });
    await store.put('globex', 'linear', { accessToken: 'lin_oauth_of_another_tenant', scopes: [] });

    expect(await linearStatus({ ...ENV, FACTORY_CREDENTIALS_KEY: KEY })).toMatchObject({
      state: 'connected',
    });
    // Without the key the file cannot be opened: the provider asks to be connected, nothing crashes.
    expect(await linearStatus(ENV)).toMatchObject({ state: 'needs-auth' });
  });

  it('a stored token that has expired and cannot be refreshed asks for factory connect', async () => {
    const store = new EncryptedFileCredentialStore({
      path: path.join(dir, 'secrets/credentials.enc'),
      key: { passphrase: KEY },
    });
    await store.put('acme', 'linear', {
      accessToken: 'lin_oauth_expired',
      refreshToken: 'lin_refresh_unknown',
      expiresAt: Date.now() - 60_000,
      scopes: ['read', 'write'],
    });
    const status = await linearStatus({ ...ENV, FACTORY_CREDENTIALS_KEY: KEY });
    expect(status).toMatchObject({ state: 'needs-auth' });
    expect(status?.state === 'needs-auth' && status.reason).toContain('run `factory connect linear`');
  });
});

describe('the README', () => {
  it('shows a Jira + comments + GitLab + HTTP fleet + LLM triage config that loads', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const example = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)][2]?.[1] ?? '';
    const names = [...example.matchAll(/\$\{(\w+)\}/g)].map((match) => match[1] as string);
    const env = Object.fromEntries(names.map((name) => [name, `value-of-${name}`]));
    const dir = await tempFolder('factory-readme-');
    const config = await parseConfig(example, { fileName: 'README.md', baseDir: dir, env });
    expect(config.tenants[0]).toMatchObject({
      intentProvider: { type: 'jira' },
      clarificationChannel: { type: 'comments' },
      outputTarget: { type: 'gitlab' },
      fleet: { type: 'http' },
      triage: { type: 'llm', timeout: 4000 },
    });
  });
});
