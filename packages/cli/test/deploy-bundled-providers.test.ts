// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files write ${ENV_VAR} references literally.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  GithubIssuesWorkItemProvider,
  GithubOutputTarget,
  GitlabOutputTarget,
  JiraWorkItemProvider,
  LinearWorkItemProvider,
  SlackClarificationChannel,
} from '@software-factory/providers';
import {
  MountClarificationChannel,
  MountOutputTarget,
  MountWorkItemProvider,
  RelayfileMount,
  RelayfileWebhookSource,
} from '@software-factory/relayfile';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProject, removeProject } from './support/deploy-scenario.ts';
import { runFactory } from './support/factory-process.ts';
import { bundleWorker } from './support/worker-bundle.ts';

// A deployment's bundle carries the vendors its config uses, no others: a tenant on Linear and GitHub
// (asked on the Linear issue itself) builds a Lambda and a Worker without Jira's, GitLab's, GitHub
// Issues' or Slack's code, and without relayfile's (a deployment opens no mount). The Lambda's bundler
// keeps class names (`keepNames`), so a class in it is its name in quotes; the Worker is minified names
// and all, so it is read through esbuild's metafile, which names every source file that put bytes in it.

const CONFIG = `tenant: acme
intentProvider: { type: linear, apiKey: "\${LINEAR_API_KEY}", webhookSecret: "\${LINEAR_WEBHOOK_SECRET}" }
clarificationChannel: comments
outputTarget: { type: github, token: "\${GITHUB_TOKEN}", webhookSecret: "\${GITHUB_WEBHOOK_SECRET}" }
fleet: { type: http, url: "https://agents.example.com/factory", secret: "\${FLEET_SECRET}" }
`;

/** Linear's agent mode, by its classes' names (the package exports them from no entry point). */
const LinearAgentWorkItemProvider = { name: 'LinearAgentWorkItemProvider' };
const LinearAgentSessionEvents = { name: 'LinearAgentSessionEvents' };
/** GitHub App authentication (an add-on too), by its class's name. */
const GithubAppAuth = { name: 'GithubAppAuth' };

/** What the config uses, which each bundle must hold (so the absences below are not a bundle of nothing). */
const USED = [LinearWorkItemProvider, GithubOutputTarget];
/**
 * What it does not: the other vendors, Linear's agent mode (an add-on, carried when a tenant uses it or
 * the admin API is on), and relayfile's mount-backed ports, source and client.
 */
const UNUSED = [
  GithubAppAuth,
  LinearAgentWorkItemProvider,
  LinearAgentSessionEvents,
  JiraWorkItemProvider,
  GitlabOutputTarget,
  GithubIssuesWorkItemProvider,
  SlackClarificationChannel,
  MountWorkItemProvider,
  MountClarificationChannel,
  MountOutputTarget,
  RelayfileWebhookSource,
  RelayfileMount,
];

let project: string;

beforeAll(() => {
  project = makeProject({ prefix: 'factory-deploy-providers-' });
  writeFileSync(path.join(project, 'factory.config.yaml'), CONFIG);
});
afterAll(() => removeProject(project));

/** The classes of `classes` whose name the bundle holds. */
function classesIn(bundle: string, classes: readonly { name: string }[]): string[] {
  return classes.filter((type) => bundle.includes(JSON.stringify(type.name))).map((type) => type.name);
}

describe('a deployment of a tenant on Linear and GitHub', () => {
  it('aws: the entry carries Linear, the comments channel and GitHub; the Lambda holds no other vendor', async () => {
    const result = await runFactory(['deploy', 'aws', '--out', 'aws'], { cwd: project });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(readFileSync(path.join(project, 'aws', 'entry.mjs'), 'utf8')).toContain(
      'const providers = new ProviderRegistry([linearProvider, commentsProvider, githubProvider]);',
    );
    const bundle = readFileSync(path.join(project, 'aws', 'bundle', 'handler.mjs'), 'utf8');
    expect(classesIn(bundle, USED)).toEqual(USED.map((type) => type.name));
    expect(classesIn(bundle, UNUSED)).toEqual([]);
  }, 120_000);

  it('cloudflare: the Worker wrangler bundles holds no other vendor and no relayfile code', async () => {
    const result = await runFactory(['deploy', 'cloudflare', '--out', 'cf'], { cwd: project });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const metafile = path.join(project, 'worker-meta.json');
    await bundleWorker(project, 'cf', 'cf-bundle', { metafile });

    // Every source file of ours that put bytes in the Worker, as `<package>/<path under src>`.
    const meta = JSON.parse(readFileSync(metafile, 'utf8')) as {
      outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
    };
    const files = Object.values(meta.outputs).flatMap((output) =>
      Object.entries(output.inputs)
        .filter(([, input]) => input.bytesInOutput > 0)
        .flatMap(([file]) => {
          const match = /packages\/([^/]+)\/src\/(.+)$/.exec(file);
          return match ? [`${match[1]}/${match[2]}`] : [];
        }),
    );
    // The files of the used classes (LinearWorkItemProvider, GithubOutputTarget), so the absences below
    // are not those of an empty bundle.
    expect(files).toEqual(
      expect.arrayContaining(['providers/linear/work-item-provider.ts', 'providers/github/output-target.ts']),
    );
    const folders = new Set(files.map((file) => file.replace(/^([^/]+\/)(?:([^/]+)\/)?.*$/, '$1$2')));
    for (const absent of ['providers/jira', 'providers/gitlab', 'providers/github-issues', 'providers/slack'])
      expect(folders).not.toContain(absent);
    // Nor the add-ons' code: Linear's agent mode (intake, session events, sessions), GitHub's App auth.
    for (const absent of ['agent-mode', 'agent-work-item-provider', 'agent-session-events', 'agent-sessions'])
      expect(files).not.toContain(`providers/linear/${absent}.ts`);
    for (const absent of ['app-add-on', 'app-auth', 'app-jwt'])
      expect(files).not.toContain(`providers/github/${absent}.ts`);
    expect([...folders].filter((folder) => folder.startsWith('relayfile/'))).toEqual([]);
  }, 180_000);

  it('with `providers: [jira, slack]` it carries those too, for tenants added through the admin API, and says so', async () => {
    writeFileSync(
      path.join(project, 'with-jira.yaml'),
      `providers: [jira, slack]\nserver: { operatorToken: "\${FACTORY_OPERATOR_TOKEN}" }\n${CONFIG}`,
    );
    const result = await runFactory(['deploy', 'aws', '--config', 'with-jira.yaml', '--out', 'aws-jira'], {
      cwd: project,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'note: a tenant added through the admin API may use the providers this deployment carries: linear, jira, slack, comments, github (list others in `providers:`)',
    );
    const bundle = readFileSync(path.join(project, 'aws-jira', 'bundle', 'handler.mjs'), 'utf8');
    expect(classesIn(bundle, [JiraWorkItemProvider, SlackClarificationChannel])).toEqual([
      JiraWorkItemProvider.name,
      SlackClarificationChannel.name,
    ]);
    expect(classesIn(bundle, [GitlabOutputTarget, GithubIssuesWorkItemProvider])).toEqual([]);
    // The admin API is on: a tenant added there may take Linear issues in agent mode, or be a GitHub App.
    expect(readFileSync(path.join(project, 'aws-jira', 'entry.mjs'), 'utf8')).toContain(
      'githubProvider, linearAgentMode, githubApp]);',
    );
    expect(classesIn(bundle, [LinearAgentWorkItemProvider, GithubAppAuth])).toEqual([
      LinearAgentWorkItemProvider.name,
      GithubAppAuth.name,
    ]);
  }, 120_000);

  it("a tenant in Linear's agent mode, acting as a GitHub App, brings both add-ons, admin API or not", async () => {
    writeFileSync(
      path.join(project, 'agent.yaml'),
      CONFIG.replace('type: linear,', 'type: linear, mode: agent,')
        .replace('clarificationChannel: comments', 'clarificationChannel: linear-agent')
        .replace('token: "${GITHUB_TOKEN}"', 'app: {}'),
    );
    const result = await runFactory(['deploy', 'aws', '--config', 'agent.yaml', '--out', 'aws-agent'], {
      cwd: project,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(readFileSync(path.join(project, 'aws-agent', 'entry.mjs'), 'utf8')).toContain(
      'const providers = new ProviderRegistry([linearProvider, linearAgentChannelProvider, githubProvider, linearAgentMode, githubApp]);',
    );
    const bundle = readFileSync(path.join(project, 'aws-agent', 'bundle', 'handler.mjs'), 'utf8');
    const addOns = [LinearAgentWorkItemProvider, LinearAgentSessionEvents, GithubAppAuth];
    expect(classesIn(bundle, addOns)).toEqual(addOns.map((type) => type.name));
  }, 120_000);
});
