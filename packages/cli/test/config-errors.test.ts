// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files write ${ENV_VAR} references literally.
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config/config-error.ts';
import { loadConfig, parseConfig } from '../src/config/load-config.ts';
import { testFolder } from './support/temp-folder.ts';

const ENV = {
  JIRA_WEBHOOK_SECRET: 'jira-webhook-secret',
  FLEET_SECRET: 'fleet-secret',
  RELAY_WORKSPACE_KEY: 'rk_live_test',
  ANTHROPIC_API_KEY: 'sk-ant-test',
  LINEAR_API_KEY: 'lin_api_test_0001',
  LINEAR_WEBHOOK_SECRET: 'linear-webhook-secret',
  SLACK_BOT_TOKEN: 'xoxb-test-0001',
  SLACK_SIGNING_SECRET: 'slack-signing-secret',
  GITHUB_TOKEN: 'ghp_test0001',
  GITHUB_WEBHOOK_SECRET: 'github-webhook-secret',
  RELAYFILE_ACCESS_TOKEN: 'rfc_test_0001',
  SHORT_TOKEN: 'only-20-characters..',
};

/** A valid one-tenant config, section by section; a case replaces sections or adds new ones. */
const SECTIONS: Record<string, string> = {
  intentProvider: `intentProvider:
  type: linear
  transport: direct
  apiKey: \${LINEAR_API_KEY}
  webhookSecret: \${LINEAR_WEBHOOK_SECRET}`,
  clarificationChannel: `clarificationChannel:
  type: slack
  transport: direct
  botToken: \${SLACK_BOT_TOKEN}
  signingSecret: \${SLACK_SIGNING_SECRET}
  channel: C0123456789`,
  outputTarget: `outputTarget:
  type: github
  transport: direct
  token: \${GITHUB_TOKEN}
  webhookSecret: \${GITHUB_WEBHOOK_SECRET}`,
  fleet: `fleet:
  type: local
  command: claude -p`,
  routes: `routes:
  - name: web
    match: { labels: [factory] }
    repository: acme/web
    agent: claude`,
};

/**
 * The config with `changed` sections put last, so a case can say where its problem is within the text
 * it wrote: `at: [line, column]` counts from the case's own first line.
 */
function configWith(changed: Record<string, string>): { text: string; offset: number } {
  const kept = Object.entries(SECTIONS)
    .filter(([name]) => !(name in changed))
    .map(([, text]) => text);
  const head = kept.join('\n');
  return { text: `${head}\n${Object.values(changed).join('\n')}\n`, offset: head.split('\n').length };
}

async function problemsOf(text: string, env: Record<string, string> = ENV): Promise<readonly string[]> {
  try {
    await parseConfig(text, { fileName: 'factory.config.yaml', baseDir: tmpdir(), env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

interface BadConfig {
  name: string;
  sections: Record<string, string>;
  at: [line: number, column: number];
  field: string;
  says: string;
  /** Variables of ENV this case leaves unset. */
  unset?: string[];
}

const BAD_CONFIGS: BadConfig[] = [
  {
    name: 'a word for a number',
    sections: { limits: 'limits:\n  maxInFlight: three' },
    at: [2, 16],
    field: 'limits.maxInFlight',
    says: 'expected a positive integer, got "three"',
  },
  {
    name: 'zero agents in flight',
    sections: { limits: 'limits:\n  maxInFlight: 0' },
    at: [2, 16],
    field: 'limits.maxInFlight',
    says: 'expected a positive integer, got 0',
  },
  {
    name: 'a misspelt key',
    sections: { limits: 'limits:\n  maxInflight: 2' },
    at: [2, 3],
    field: 'limits.maxInflight',
    says: 'unknown key (did you mean "maxInFlight"?)',
  },
  {
    name: 'an unknown top-level key',
    sections: { limit: 'limit:\n  maxInFlight: 2' },
    at: [1, 1],
    field: 'limit',
    says: 'unknown key (did you mean "limits"?)',
  },
  {
    name: 'a confidence above 1',
    sections: { clarification: 'clarification:\n  confidenceThreshold: 1.5' },
    at: [2, 24],
    field: 'clarification.confidenceThreshold',
    says: 'expected a number from 0 to 1, got 1.5',
  },
  {
    name: 'a duration without a unit we know',
    sections: { clarification: 'clarification:\n  wait: forever' },
    at: [2, 9],
    field: 'clarification.wait',
    says: 'expected a duration such as "30s", "15m", "24h", "7d" or milliseconds, got "forever"',
  },
  {
    name: 'a negative duration',
    sections: { deliveryMemory: 'deliveryMemory: -5' },
    at: [1, 17],
    field: 'deliveryMemory',
    says: 'got -5',
  },
  {
    name: 'a completion rule that does not exist',
    sections: { completion: 'completion:\n  on: approved' },
    at: [2, 7],
    field: 'completion.on',
    says: 'expected one of "ready", "merged", got "approved"',
  },
  {
    name: 'a review check that is not a duration',
    sections: { completion: 'completion:\n  on: merged\n  checkInterval: hourly' },
    at: [3, 18],
    field: 'completion.checkInterval',
    says: 'expected a duration such as "30s", "15m", "24h", "7d" or milliseconds, got "hourly"',
  },
  {
    name: 'a fractional attempt count',
    sections: { retry: 'retry:\n  maxAttempts: 2.5' },
    at: [2, 16],
    field: 'retry.maxAttempts',
    says: 'expected an integer of at least 1, got 2.5',
  },
  {
    name: 'a quoted boolean',
    sections: { reconcile: 'reconcile:\n  outputs: "yes"' },
    at: [2, 12],
    field: 'reconcile.outputs',
    says: 'expected true or false, got "yes"',
  },
  {
    name: 'routes as a single word',
    sections: { routes: 'routes: web' },
    at: [1, 9],
    field: 'routes',
    says: 'got "web"',
  },
  {
    name: 'a route without a repository',
    sections: { routes: 'routes:\n  - name: web\n    agent: claude' },
    at: [2, 5],
    field: 'routes[0].repository',
    says: 'is required: expected a non-empty string',
  },
  {
    name: 'route labels as a string',
    sections: {
      routes: 'routes:\n  - name: web\n    match:\n      labels: factory\n    repository: a/b\n    agent: c',
    },
    at: [4, 15],
    field: 'routes[0].match.labels',
    says: 'expected a list of non-empty strings, got "factory"',
  },
  {
    name: 'a tracker we do not support',
    sections: { intentProvider: 'intentProvider:\n  type: asana\n  transport: direct' },
    at: [2, 9],
    field: 'intentProvider.type',
    says: 'expected one of: linear, jira, github-issues, got "asana"',
  },
  {
    name: 'a transport that does not exist',
    sections: { clarificationChannel: 'clarificationChannel:\n  type: slack\n  transport: email' },
    at: [3, 14],
    field: 'clarificationChannel.transport',
    says: 'expected one of: direct, relayfile, got "email"',
  },
  {
    name: 'a Slack user name where trusted authors need user ids',
    sections: {
      clarificationChannel:
        'clarificationChannel:\n  type: slack\n  transport: direct\n  botToken: ${SLACK_BOT_TOKEN}\n  signingSecret: ${SLACK_SIGNING_SECRET}\n  channel: C0123456789\n  trustedAuthors:\n    users: [U0ANA, "@bob"]',
    },
    at: [8, 20],
    field: 'clarificationChannel.trustedAuthors.users[1]',
    says: 'expected a Slack user id such as U0123ABCD (names change; ids do not)',
  },
  {
    name: 'a Slack role that does not exist',
    sections: {
      clarificationChannel:
        'clarificationChannel:\n  type: slack\n  transport: direct\n  botToken: ${SLACK_BOT_TOKEN}\n  signingSecret: ${SLACK_SIGNING_SECRET}\n  channel: C0123456789\n  trustedAuthors:\n    roles: [admins]',
    },
    at: [8, 13],
    field: 'clarificationChannel.trustedAuthors.roles[0]',
    says: 'expected one of channel-member',
  },
  {
    name: 'trusted authors as a bare list',
    sections: {
      clarificationChannel:
        'clarificationChannel:\n  type: slack\n  transport: relayfile\n  channel: C0123456789\n  trustedAuthors: [U0ANA]',
      mount: 'mount:\n  type: directory\n  path: workspace',
    },
    at: [5, 19],
    field: 'clarificationChannel.trustedAuthors',
    says: 'expected a mapping of keys to values, got a list',
  },
  {
    name: 'a Jira role on a GitHub Issues comments channel',
    sections: {
      intentProvider:
        'intentProvider:\n  type: github-issues\n  webhookSecret: ${GITHUB_WEBHOOK_SECRET}\n  repositories: [{ repository: acme/web }]',
      clarificationChannel:
        'clarificationChannel:\n  type: comments\n  trustedAuthors:\n    roles: [MEMBER, reporter]',
    },
    at: [8, 21],
    field: 'clarificationChannel.trustedAuthors.roles[1]',
    says: 'expected one of OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, FIRST_TIME_CONTRIBUTOR, FIRST_TIMER, MANNEQUIN, NONE (the comments channel of a github-issues intake)',
  },
  {
    name: 'a Jira display name where trusted authors need account ids',
    sections: {
      intentProvider:
        'intentProvider:\n  type: jira\n  siteUrl: https://acme.atlassian.net\n  webhookSecret: ${JIRA_WEBHOOK_SECRET}',
      clarificationChannel:
        'clarificationChannel:\n  type: comments\n  trustedAuthors:\n    users: ["Jane Doe"]',
    },
    at: [8, 13],
    field: 'clarificationChannel.trustedAuthors.users[0]',
    says: 'expected a Jira accountId such as 5b10ac8d82e05b22cc7d4ef5 (display names and emails are not ids)',
  },
  {
    name: 'an API URL that is not one',
    sections: {
      outputTarget:
        'outputTarget:\n  type: github\n  transport: direct\n  token: ${GITHUB_TOKEN}\n  webhookSecret: ${GITHUB_WEBHOOK_SECRET}\n  baseUrl: github',
    },
    at: [6, 12],
    field: 'outputTarget.baseUrl',
    says: 'expected a URL, got "github"',
  },
  {
    name: 'a fleet type we do not have',
    sections: { fleet: 'fleet:\n  type: kubernetes' },
    at: [2, 9],
    field: 'fleet.type',
    says: 'expected one of: local, http, github-actions, agent-relay, got "kubernetes"',
  },
  {
    name: 'an empty agent command',
    sections: { fleet: 'fleet:\n  type: local\n  command: []' },
    at: [3, 12],
    field: 'fleet.command',
    says: 'expected a non-empty list of non-empty strings, got a list',
  },
  {
    name: 'an agent command with a word YAML reads as a boolean',
    sections: { fleet: 'fleet:\n  type: local\n  command: [true, --go]' },
    at: [3, 12],
    field: 'fleet.command',
    says: '[0] expected a non-empty string, got true',
  },
  {
    name: 'a fleet without an agent command',
    sections: { fleet: 'fleet:\n  type: local' },
    at: [2, 3],
    field: 'fleet.command',
    says: 'is required',
  },
  {
    name: 'a port out of range',
    sections: { server: 'server:\n  port: 70000' },
    at: [2, 9],
    field: 'server.port',
    says: 'expected an integer from 0 to 65535, got 70000',
  },
  {
    name: 'a port with no value',
    sections: { server: 'server:\n  port:' },
    at: [2, 3],
    field: 'server.port',
    says: 'got nothing (null)',
  },
  {
    name: 'a tick interval in words',
    sections: { tick: 'tick:\n  interval: often' },
    at: [2, 13],
    field: 'tick.interval',
    says: 'got "often"',
  },
  {
    name: 'a state store we do not have',
    sections: { stateStore: 'stateStore:\n  type: mysql' },
    at: [2, 9],
    field: 'stateStore.type',
    says: 'expected one of: sqlite, memory, postgres, got "mysql"',
  },
  {
    name: 'a tenant id that cannot be in a URL',
    sections: { tenant: 'tenant: "acme corp"' },
    at: [1, 9],
    field: 'tenant',
    says: 'expected a tenant id of letters, digits',
  },
  {
    name: 'a task given twice',
    sections: { template: 'template:\n  text: Do {{item.title}}\n  file: task.md' },
    at: [3, 9],
    field: 'template.file',
    says: 'give the task as `text` or as `file`, not both',
  },
  {
    name: 'a task file that is not there',
    sections: { template: 'template:\n  file: no-such-task.md' },
    at: [2, 9],
    field: 'template.file',
    says: 'cannot read',
  },
  {
    name: 'relayfile transport without a mount',
    sections: {
      intentProvider:
        'intentProvider:\n  type: linear\n  transport: relayfile\n  stateIds: { dispatched: s1, done: s2 }',
    },
    at: [3, 14],
    field: 'intentProvider.transport',
    says: 'transport "relayfile" reads and writes through a mount: add a `mount:` section',
  },
  {
    name: 'a mount type we do not have',
    sections: { mount: 'mount:\n  type: s3\n  path: bucket' },
    at: [2, 9],
    field: 'mount.type',
    says: 'expected one of: directory, relayfile, got "s3"',
  },
  {
    name: 'a relayfile mount on a non-HTTP URL',
    sections: {
      mount:
        'mount:\n  type: relayfile\n  workspace: ws\n  baseUrl: ftp://relay.example\n  token: ${GITHUB_TOKEN}\n  webhookSecret: ${GITHUB_TOKEN}',
    },
    at: [4, 12],
    field: 'mount.baseUrl',
    says: 'expected a URL',
  },
  {
    name: 'an agent environment variable with a bad name',
    sections: { fleet: 'fleet:\n  type: local\n  command: run-agent\n  env:\n    1BAD: x' },
    at: [5, 5],
    field: 'fleet.env.1BAD',
    says: 'is not an environment variable name',
  },
  {
    name: 'a Jira site that is not a URL',
    sections: {
      intentProvider:
        'intentProvider:\n  type: jira\n  siteUrl: acme.atlassian.net\n  webhookSecret: ${JIRA_WEBHOOK_SECRET}',
    },
    at: [3, 12],
    field: 'intentProvider.siteUrl',
    says: 'expected a URL, got "acme.atlassian.net"',
  },
  {
    name: 'a literal Jira token',
    sections: {
      intentProvider:
        'intentProvider:\n  type: jira\n  siteUrl: https://acme.atlassian.net\n  token: ATATT3xFfGF0\n  webhookSecret: ${JIRA_WEBHOOK_SECRET}',
    },
    at: [4, 10],
    field: 'intentProvider.token',
    says: 'is a secret and takes no literal value',
  },
  {
    name: 'a Jira project key in lower case',
    sections: {
      intentProvider:
        'intentProvider:\n  type: jira\n  siteUrl: https://acme.atlassian.net\n  webhookSecret: ${JIRA_WEBHOOK_SECRET}\n  projects: [web]',
    },
    at: [5, 14],
    field: 'intentProvider.projects[0]',
    says: 'a Jira project key such as PROJ',
  },
  {
    name: 'GitHub Issues without repositories',
    sections: {
      intentProvider:
        'intentProvider:\n  type: github-issues\n  webhookSecret: ${GITHUB_WEBHOOK_SECRET}\n  repositories: []',
    },
    at: [4, 17],
    field: 'intentProvider.repositories',
    says: 'name at least one repository',
  },
  {
    name: 'the comments channel over a relayfile intake',
    sections: {
      intentProvider:
        'intentProvider:\n  type: linear\n  transport: relayfile\n  stateIds: { dispatched: s1, done: s2 }',
      mount: 'mount:\n  type: directory\n  path: .',
      clarificationChannel: 'clarificationChannel:\n  type: comments',
    },
    at: [9, 9],
    field: 'clarificationChannel.type',
    says: 'it needs an intentProvider with transport "direct"',
  },
  {
    name: 'an HTTP fleet without a URL',
    sections: { fleet: 'fleet:\n  type: http\n  secret: ${FLEET_SECRET}' },
    at: [2, 3],
    field: 'fleet.url',
    says: 'is required: expected a URL',
  },
  {
    name: 'an HTTP fleet secret written out',
    sections: { fleet: 'fleet:\n  type: http\n  url: https://agents.example.com\n  secret: hunter2hunter2' },
    at: [4, 11],
    field: 'fleet.secret',
    says: 'is a secret and takes no literal value',
  },
  {
    name: 'a GitHub Actions fleet on a repository without owner',
    sections: { fleet: 'fleet:\n  type: github-actions\n  repository: app' },
    at: [3, 15],
    field: 'fleet.repository',
    says: 'expected owner/repo',
  },
  {
    name: 'an Agent Relay harness name with a space',
    sections: {
      fleet: 'fleet:\n  type: agent-relay\n  workspaceKey: ${RELAY_WORKSPACE_KEY}\n  cli: claude code',
    },
    at: [4, 8],
    field: 'fleet.cli',
    says: 'expected a plain name like "claude"',
  },
  {
    name: 'a model vendor we do not speak',
    sections: {
      triage: 'triage:\n  type: llm\n  provider: gemini\n  model: m\n  apiKey: ${ANTHROPIC_API_KEY}',
    },
    at: [3, 13],
    field: 'triage.provider',
    says: 'expected one of "anthropic", "openai-compatible", got "gemini"',
  },
  {
    name: 'a model API key written out',
    sections: {
      triage: 'triage:\n  type: llm\n  provider: anthropic\n  model: m\n  apiKey: sk-ant-api03-abc',
    },
    at: [5, 11],
    field: 'triage.apiKey',
    says: 'is a secret and takes no literal value',
  },
  {
    name: 'a triage timeout beyond the limit',
    sections: {
      triage:
        'triage:\n  type: llm\n  provider: anthropic\n  model: m\n  apiKey: ${ANTHROPIC_API_KEY}\n  timeout: 10m',
    },
    at: [6, 12],
    field: 'triage.timeout',
    says: 'at most 120000',
  },
  {
    name: 'a triage kind we do not have',
    sections: { triage: 'triage:\n  type: magic' },
    at: [2, 9],
    field: 'triage.type',
    says: 'expected one of: rules, llm, got "magic"',
  },
  {
    name: 'a credentials store we do not have',
    sections: { credentials: 'credentials:\n  type: vault' },
    at: [2, 9],
    field: 'credentials.type',
    says: 'expected one of: file, relayfile, got "vault"',
  },
  {
    name: 'a relayfile access token written out',
    sections: {
      credentials: 'credentials:\n  type: relayfile\n  accessToken: rfc_live_0123\n  workspace: ws',
    },
    at: [3, 16],
    field: 'credentials.accessToken',
    says: 'is a secret and takes no literal value',
  },
  {
    name: 'a relayfile access token from a variable that is not set',
    sections: {
      credentials:
        'credentials:\n  type: relayfile\n  accessToken: ${RELAYFILE_CLOUD_TOKEN}\n  workspace: ws',
    },
    at: [3, 16],
    field: 'credentials.accessToken',
    says: 'environment variable RELAYFILE_CLOUD_TOKEN is not set',
  },
  {
    name: 'relayfile credentials without an access token',
    sections: { credentials: 'credentials:\n  type: relayfile\n  workspace: ws' },
    at: [2, 3],
    field: 'credentials.accessToken',
    says: 'expected a reference to an environment variable such as ${RELAYFILE_ACCESS_TOKEN}',
  },
  {
    name: 'the relayfile cloud over plain http to another machine',
    sections: {
      credentials:
        'credentials:\n  type: relayfile\n  cloudApiUrl: http://relay.example/cloud\n  accessToken: ${RELAYFILE_ACCESS_TOKEN}\n  workspace: ws',
    },
    at: [3, 16],
    field: 'credentials.cloudApiUrl',
    says: 'use https (plain http only on 127.0.0.1 or localhost)',
  },
  {
    name: 'a relayfile integration relayfile does not have',
    sections: {
      credentials:
        'credentials:\n  type: relayfile\n  accessToken: ${RELAYFILE_ACCESS_TOKEN}\n  workspace: ws\n  integrations:\n    slack: slack',
    },
    at: [6, 12],
    field: 'credentials.integrations.slack',
    says: 'expected one of "github", "slack-sage", "slack-my-senior-dev", "slack-nightcto", "notion", "linear", got "slack"',
  },
  {
    name: 'a relayfile integration for a provider without a relayfile transport',
    sections: {
      credentials:
        'credentials:\n  type: relayfile\n  accessToken: ${RELAYFILE_ACCESS_TOKEN}\n  workspace: ws\n  integrations:\n    jira: linear',
    },
    at: [6, 5],
    field: 'credentials.integrations.jira',
    says: 'unknown key (expected one of linear, slack, github)',
  },
  {
    name: 'a misspelt relayfile credentials key',
    sections: {
      credentials:
        'credentials:\n  type: relayfile\n  accessToken: ${RELAYFILE_ACCESS_TOKEN}\n  workspaceId: ws',
    },
    at: [4, 3],
    field: 'credentials.workspaceId',
    says: 'unknown key (did you mean "workspace"?)',
  },
  {
    name: 'relayfile credentials for a tenant without a relayfile mount or a workspace',
    sections: { credentials: 'credentials:\n  type: relayfile\n  accessToken: ${RELAYFILE_ACCESS_TOKEN}' },
    at: [2, 3],
    field: 'credentials.workspace',
    says: 'tenant default has no relayfile mount to take its relayfile workspace from: add `workspace: <id>` here',
  },
  {
    name: 'relayfile credentials with a direct provider that has no token of its own',
    sections: {
      intentProvider:
        'intentProvider:\n  type: linear\n  transport: direct\n  webhookSecret: ${LINEAR_WEBHOOK_SECRET}',
      credentials:
        'credentials:\n  type: relayfile\n  accessToken: ${RELAYFILE_ACCESS_TOKEN}\n  workspace: ws',
    },
    at: [3, 14],
    field: 'intentProvider.transport',
    says: 'relayfile\'s store holds no linear token: give apiKey a ${ENV_VAR} reference (or set LINEAR_API_KEY), or use transport "relayfile"',
    // Left out, the token would be the default variable's; here it is not set.
    unset: ['LINEAR_API_KEY'],
  },
  {
    name: 'relayfile credentials with a github-actions fleet that has no token of its own',
    sections: {
      fleet: 'fleet:\n  type: github-actions',
      credentials:
        'credentials:\n  type: relayfile\n  accessToken: ${RELAYFILE_ACCESS_TOKEN}\n  workspace: ws',
    },
    at: [2, 9],
    field: 'fleet.type',
    says: "relayfile's store holds no GitHub token: set `token: ${GITHUB_ACTIONS_TOKEN}`",
  },
  {
    name: 'an admin token written out',
    sections: { adminToken: 'adminToken: let-me-in' },
    at: [1, 13],
    field: 'adminToken',
    says: 'is a secret and takes no literal value',
  },
  {
    name: 'an admin token from an unset variable',
    sections: { adminToken: 'adminToken: ${NO_SUCH_ADMIN_TOKEN}' },
    at: [1, 13],
    field: 'adminToken',
    says: 'environment variable NO_SUCH_ADMIN_TOKEN is not set',
  },
  {
    name: 'an admin token shorter than 32 characters',
    sections: { adminToken: 'adminToken: ${SHORT_TOKEN}' },
    at: [1, 13],
    field: 'adminToken',
    says: 'is too short: an admin token needs at least 32 characters',
  },
  {
    name: 'a public URL without a scheme',
    sections: { server: 'server:\n  publicUrl: factory.example.com' },
    at: [2, 14],
    field: 'server.publicUrl',
    says: 'expected an http(s) URL such as https://factory.example.com',
  },
  {
    name: 'a public URL that is not http(s)',
    sections: { server: 'server:\n  publicUrl: ftp://factory.example.com' },
    at: [2, 14],
    field: 'server.publicUrl',
    says: 'expected an http(s) URL',
  },
  {
    name: 'a trace URL that is not https',
    sections: { observability: 'observability:\n  traceUrl: http://traces.example/{traceId}' },
    at: [2, 13],
    field: 'observability.traceUrl',
    says: 'expected an https URL with {traceId} in it, such as https://grafana.example.com/explore?traceId={traceId}',
  },
  {
    name: 'a trace URL without {traceId}',
    sections: { observability: 'observability:\n  traceUrl: https://traces.example/explore' },
    at: [2, 13],
    field: 'observability.traceUrl',
    says: 'expected an https URL with {traceId} in it',
  },
  {
    name: 'an unknown observability key',
    sections: { observability: 'observability:\n  traceURL: https://traces.example/{traceId}' },
    at: [2, 3],
    field: 'observability.traceURL',
    says: 'unknown key',
  },
  {
    name: 'a trusted proxy that is no address',
    sections: { server: 'server:\n  trustedProxies: [10.0.0.1, 10.0.0.0/33]' },
    at: [2, 30],
    field: 'server.trustedProxies[1]',
    says: 'expected an IP address or a CIDR range such as 10.0.0.0/8',
  },
  {
    name: 'trusted proxies as one string',
    sections: { server: 'server:\n  trustedProxies: 10.0.0.1' },
    at: [2, 19],
    field: 'server.trustedProxies',
    says: 'expected a list',
  },
  {
    name: 'an operator token written out',
    sections: { server: 'server:\n  operatorToken: let-me-in-to-every-tenant-please-0001' },
    at: [2, 18],
    field: 'server.operatorToken',
    says: 'is a secret and takes no literal value',
  },
  {
    name: 'an operator token shorter than 32 characters',
    sections: { server: 'server:\n  operatorToken: ${SHORT_TOKEN}' },
    at: [2, 18],
    field: 'server.operatorToken',
    says: 'is too short: an admin token needs at least 32 characters',
  },
  {
    name: 'a credentials key written out',
    sections: { server: 'server:\n  credentialsKey: c2VjcmV0LWtleS1vZi10aGUtZGVwbG95bWVudC0wMDAx' },
    at: [2, 19],
    field: 'server.credentialsKey',
    says: 'is a secret and takes no literal value',
  },
  {
    name: 'an OAuth app for a provider that does not sign in',
    sections: { server: 'server:\n  oauthApps:\n    comments: { clientId: abc }' },
    at: [3, 5],
    field: 'server.oauthApps.comments',
    says: 'expected a provider that signs in with OAuth: linear',
  },
  {
    name: 'an OAuth app whose client secret is written out',
    sections: {
      server: 'server:\n  oauthApps:\n    linear: { clientId: abc, clientSecret: lin_secret_value_0001 }',
    },
    at: [3, 44],
    field: 'server.oauthApps.linear.clientSecret',
    says: 'is a secret and takes no literal value',
  },
  {
    name: 'a Slack app without its client secret (Slack redeems sign-ins only with it)',
    sections: { server: 'server:\n  oauthApps:\n    slack: { clientId: abc }' },
    at: [3, 12],
    field: 'server.oauthApps.slack.clientSecret',
    says: "slack redeems a sign-in only with the app's client secret",
  },
  {
    name: 'a safety gate with an empty team list',
    sections: { scope: 'scope:\n  teams: []' },
    at: [2, 10],
    field: 'scope.teams',
    says: 'expected a non-empty list',
  },
  {
    name: 'a breaker that never opens',
    sections: { breaker: 'breaker:\n  threshold: 0' },
    at: [2, 14],
    field: 'breaker.threshold',
    says: 'expected an integer of at least 1, got 0',
  },
  {
    name: 'dry run as a word',
    sections: { dryRun: 'dryRun: maybe' },
    at: [1, 9],
    field: 'dryRun',
    says: 'expected true or false, got "maybe"',
  },
];

describe('every invalid config field is reported at its line and column', () => {
  it.each(BAD_CONFIGS)('$name → $field', async ({ sections, at, field, says, unset = [] }) => {
    const { text, offset } = configWith(sections);
    const env = Object.fromEntries(Object.entries(ENV).filter(([name]) => !unset.includes(name)));
    const problems = await problemsOf(text, env);
    const where = `factory.config.yaml:${offset + at[0]}:${at[1]} ${field}: `;
    const problem = problems.find((line) => line.startsWith(where));
    expect(problem, `no problem at ${where} in:\n${problems.join('\n')}`).toBeDefined();
    expect(problem).toContain(says);
    expect(problem).not.toContain('\n');
  });

  it('reports every problem at once, in file order', async () => {
    const { text, offset } = configWith({
      limits: 'limits:\n  maxInFlight: three',
      server: 'server:\n  port: -1',
    });
    const problems = await problemsOf(text);
    expect(problems).toEqual([
      `factory.config.yaml:${offset + 2}:16 limits.maxInFlight: expected a positive integer, got "three"`,
      `factory.config.yaml:${offset + 4}:9 server.port: expected an integer from 0 to 65535, got -1`,
    ]);
  });
});

describe('a file that is not a config at all', () => {
  it.each([
    {
      name: 'YAML that does not parse',
      text: 'limits: [1, 2\nserver: {}\n',
      starts: 'factory.config.yaml:',
      says: 'YAML syntax',
    },
    {
      name: 'an unquoted reference inside a flow mapping',
      text: 'mount: { type: relayfile, token: ${RELAYFILE_TOKEN} }\n',
      starts: 'factory.config.yaml:1:',
      says: 'quote a reference: "${NAME}"',
    },
    {
      name: 'a key given twice',
      text: 'limits: {}\nlimits: {}\n',
      starts: 'factory.config.yaml:2:1',
      says: 'unique',
    },
    {
      name: 'an empty file',
      text: '',
      starts: 'factory.config.yaml:1:1',
      says: 'expected a mapping of keys to values, got an empty file',
    },
    { name: 'a list', text: '- a\n- b\n', starts: 'factory.config.yaml:1:1', says: 'got a list' },
  ])('$name', async ({ text, starts, says }) => {
    const problems = await problemsOf(text);
    expect(problems[0]).toMatch(new RegExp(`^${starts.replace(/[.]/g, '\\.')}`));
    expect(problems[0]).toContain(says);
  });

  it('a config file that does not exist is named', async () => {
    const missing = path.join(tmpdir(), 'no-such-dir', 'factory.config.yaml');
    await expect(loadConfig(missing, ENV)).rejects.toThrow(`${missing}: no such config file`);
  });
});

describe('many tenants', () => {
  const tenant = (id: string, extra = '') =>
    [
      `  - id: ${id}`,
      ...Object.values(SECTIONS).map((section) => section.replace(/^/gm, '    ')),
      ...(extra ? [extra] : []),
    ].join('\n');

  it('names the tenant by its index', async () => {
    const text = `tenants:\n${tenant('a')}\n${tenant('b', '    limits:\n      maxInFlight: -1')}\n`;
    const problems = await problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^factory\.config\.yaml:\d+:20 tenants\[1\]\.limits\.maxInFlight: expected a positive integer, got -1$/,
    );
    const line = Number(problems[0]?.split(':')[1]);
    expect(text.split('\n')[line - 1]).toBe('      maxInFlight: -1');
  });

  it('rejects an id used twice', async () => {
    const problems = await problemsOf(`tenants:\n${tenant('a')}\n${tenant('a')}\n`);
    expect(problems).toEqual([
      expect.stringMatching(/^factory\.config\.yaml:\d+:9 tenants\[1\]\.id: tenant id "a" is used twice$/),
    ]);
  });

  it('rejects an empty list of tenants', async () => {
    const problems = await problemsOf('tenants: []\n');
    expect(problems[0]).toMatch(/^factory\.config\.yaml:1:10 tenants: expected a non-empty list/);
  });

  it('rejects tenant settings at the top level next to `tenants`', async () => {
    const problems = await problemsOf(`limits:\n  maxInFlight: 2\ntenants:\n${tenant('a')}\n`);
    expect(problems).toEqual([
      'factory.config.yaml:1:1 limits: unknown key (expected one of providers, server, tick, stateStore, credentials, observability, tenants)',
    ]);
  });
});

describe('a good config', () => {
  it('keeps a trace URL for the dashboard out of the tenant, and none when left out', async () => {
    const dir = await testFolder('factory-config-');
    const file = path.join(dir, 'factory.config.yaml');
    const traceUrl = 'https://traces.example/explore?traceId={traceId}';
    await writeFile(file, configWith({ observability: `observability:\n  traceUrl: "${traceUrl}"` }).text);
    const config = await loadConfig(file, ENV);
    expect(config.observability).toEqual({ traceUrl });
    expect(config.tenants[0]).not.toHaveProperty('observability');
    await writeFile(file, configWith({}).text);
    expect((await loadConfig(file, ENV)).observability).toBeUndefined();
  });

  it('fills in defaults and makes paths absolute against the config folder', async () => {
    const dir = await testFolder('factory-config-');
    await writeFile(path.join(dir, 'task.md'), 'Do {{item.key}}');
    const file = path.join(dir, 'factory.config.yaml');
    await writeFile(file, configWith({ template: 'template:\n  file: task.md' }).text);
    const config = await loadConfig(file, ENV);
    expect(config.server).toEqual({ host: '127.0.0.1', port: 8787 });
    expect(config.tick).toEqual({ interval: 60_000 });
    expect(config.stateStore).toEqual({ type: 'sqlite', path: path.join(dir, '.factory/state.sqlite') });
    expect(config.tenants).toHaveLength(1);
    const [tenant] = config.tenants;
    expect(tenant?.id).toBe('default');
    expect(tenant?.limits.maxInFlight).toBe(3);
    expect(tenant?.clarification.wait).toBe(86_400_000);
    expect(tenant?.template.text).toBe('Do {{item.key}}');
    expect(tenant?.fleet).toMatchObject({ type: 'local', command: 'claude -p', repository: dir });
    expect(tenant?.routes[0]).toMatchObject({
      name: 'web',
      repository: 'acme/web',
      match: { labels: ['factory'] },
    });
  });
});

describe('a wrong `providers:` entry is reported at its item', () => {
  const base = configWith({}).text;
  const problemsIn = async (providers: string, files: Record<string, string> = {}) => {
    const folder = await testFolder('factory-providers-');
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(folder, name), text);
    try {
      await parseConfig(`${providers}\n${base}`, {
        fileName: 'factory.config.yaml',
        baseDir: folder,
        env: ENV,
      });
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    throw new Error('expected the config to be rejected');
  };

  it('a module that does not exist', async () => {
    const problems = await problemsIn('providers:\n  - ./vendor/missing.mjs');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^factory\.config\.yaml:2:5 providers\[0\]: cannot import "\.\/vendor\/missing\.mjs" \(/,
    );
  });

  it('a package that is not installed', async () => {
    const problems = await problemsIn('providers: [ok.mjs-is-not-a-path-but-a-package]');
    expect(problems[0]).toMatch(
      /^factory\.config\.yaml:1:13 providers\[0\]: cannot import "ok\.mjs-is-not-a-path-but-a-package" \(/,
    );
  });

  it('a module without a `providers` export', async () => {
    const problems = await problemsIn('providers: [./a.mjs, ./b.mjs]', {
      'a.mjs': 'export const providers = [];\n',
      'b.mjs': 'export const provider = {};\n',
    });
    expect(problems).toEqual([
      'factory.config.yaml:1:22 providers[1]: "./b.mjs" has no `providers` export: expected `export const providers = [entry, …]` (ProviderEntry objects made with defineProvider)',
    ]);
  });

  it('a provider whose type is registered already', async () => {
    const problems = await problemsIn('providers: [./linear.mjs]', {
      'linear.mjs': "export const providers = [{ type: 'linear', roles: ['intentProvider'] }];\n",
    });
    expect(problems).toEqual([
      'factory.config.yaml:1:13 providers[0]: "./linear.mjs": a provider of type "linear" is registered already',
    ]);
  });

  it('not a list', async () => {
    expect(await problemsIn('providers: ./vendor.mjs')).toEqual([
      'factory.config.yaml:1:12 providers: expected a list of modules (a path relative to this file, or a package name) and built-in providers by name',
    ]);
  });

  it('a misspelt built-in provider: a package that cannot be imported, and the names there are', async () => {
    const [problem] = await problemsIn('providers: [jria]');
    expect(problem).toMatch(/^factory\.config\.yaml:1:13 providers\[0\]: cannot import "jria" \(/);
    expect(problem).toMatch(
      /; a built-in provider is one of linear, jira, github-issues, slack, comments, linear-agent, github, gitlab$/,
    );
  });
});

describe('`providers:` naming built-in providers', () => {
  it('imports nothing: each is kept, once, for `factory deploy` to bundle', async () => {
    const config = await parseConfig(
      `providers: [jira, ./vendor.mjs, gitlab, jira]\n${configWith({}).text}`,
      {
        fileName: 'factory.config.yaml',
        baseDir: await vendorFolder(),
        env: ENV,
      },
    );
    expect(config.builtinProviders).toEqual(['jira', 'gitlab']);
    expect(config.providerModules.map((module) => module.specifier)).toEqual(['./vendor.mjs']);
  });
});

/** A folder with a provider module that adds no provider. */
async function vendorFolder(): Promise<string> {
  const folder = await testFolder('factory-providers-builtin-');
  await writeFile(path.join(folder, 'vendor.mjs'), 'export const providers = [];\n');
  return folder;
}

describe('`providers:` by package name', () => {
  it("resolves from the config file's folder, an `exports` with only an `import` condition too", async () => {
    const folder = await testFolder('factory-providers-package-');
    const root = path.join(folder, 'node_modules', '@acme', 'factory-vendor');
    await mkdir(path.join(root, 'dist'), { recursive: true });
    await writeFile(
      path.join(root, 'package.json'),
      JSON.stringify({
        name: '@acme/factory-vendor',
        type: 'module',
        exports: { '.': { import: './dist/index.js' } },
      }),
    );
    await writeFile(path.join(root, 'dist', 'index.js'), 'export const providers = [];\n');
    const config = await parseConfig(`providers: ['@acme/factory-vendor']\n${configWith({}).text}`, {
      fileName: 'factory.config.yaml',
      baseDir: folder,
      env: ENV,
    });
    expect(config.providerModules).toEqual([{ specifier: '@acme/factory-vendor' }]);
  });
});
