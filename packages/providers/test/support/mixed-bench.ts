import {
  createFactory,
  createFactoryApp,
  DefaultTaskTemplate,
  InMemoryStateStore,
  RuleTriage,
  resolveSettings,
  StaticTenantRegistry,
  type TenantRuntime,
} from '@software-factory/sdk';
import { FakeClock, FakeFleet, MemoryLogger, queuedIn, slotsIn } from '@software-factory/sdk/testing';
import { buildTenant, parseTenantConfig } from '../../src/registry.ts';
import { githubSignature, jiraSignature } from './fixtures.ts';
import { GithubIssuesServer } from './github-issues-server.ts';
import { GitlabServer } from './gitlab-server.ts';
import { JiraServer } from './jira-server.ts';

export const JIRA_TENANT = 'acme';
export const GITHUB_TENANT = 'octo';
export const SECRETS: Record<string, string> = {
  jira: 'jira_wh_secret_e2e',
  'github-issues': 'gh_issues_wh_secret_e2e',
  gitlab: 'gitlab_wh_token_e2e',
};
export const TOKENS: Record<string, string> = {
  jira: 'jira-api-token-test',
  'github-issues': 'ghp_issues_test_token',
  gitlab: 'glpat-test-token',
};

/** The tenants' secrets, as the variables a provider left without them defaults to. */
const ENV = {
  JIRA_WEBHOOK_SECRET: SECRETS.jira,
  JIRA_API_TOKEN: TOKENS.jira,
  GITHUB_WEBHOOK_SECRET: SECRETS['github-issues'],
  GITHUB_TOKEN: TOKENS['github-issues'],
  GITLAB_WEBHOOK_SECRET: SECRETS.gitlab,
  GITLAB_TOKEN: TOKENS.gitlab,
};

/**
 * Two tenants assembled from config alone through the provider registry (`buildTenant`), served by the core's HTTP app over one
 * in-memory store: `acme` takes work from Jira, asks in issue comments and follows GitLab merge requests;
 * `octo` takes work from GitHub Issues, asks in its comments, and follows GitLab too. The providers talk
 * to loopback Jira, GitHub and GitLab servers; agents are a fake fleet.
 */
export class MixedBench {
  readonly clock = new FakeClock(Date.parse('2026-01-01T12:00:00.000Z'));
  readonly store = new InMemoryStateStore();
  readonly fleet = new FakeFleet();
  readonly logger = new MemoryLogger();
  jira!: JiraServer;
  github!: GithubIssuesServer;
  gitlab!: GitlabServer;
  app!: ReturnType<typeof createFactoryApp>;

  async start(): Promise<this> {
    [this.jira, this.github, this.gitlab] = await Promise.all([
      new JiraServer().start(),
      new GithubIssuesServer().start(),
      new GitlabServer().start(),
    ]);
    const tenants = [
      this.#tenant(JIRA_TENANT, {
        intentProvider: {
          type: 'jira',
          siteUrl: 'https://some-instance-test.atlassian.net',
          apiUrl: this.jira.url,
          email: 'factory@acme.test',
        },
        clarificationChannel: { type: 'comments' },
        outputTarget: { type: 'gitlab', baseUrl: this.gitlab.url },
      }),
      this.#tenant(GITHUB_TENANT, {
        intentProvider: {
          type: 'github-issues',
          baseUrl: this.github.url,
          repositories: [{ repository: 'Codertocat/Hello-World' }],
        },
        clarificationChannel: { type: 'comments' },
        outputTarget: { type: 'gitlab', baseUrl: this.gitlab.url },
      }),
    ];
    this.app = createFactoryApp({
      tenants: new StaticTenantRegistry(tenants),
      store: this.store,
      version: 'test',
      clock: this.clock,
      logger: this.logger,
    });
    return this;
  }

  #tenant(id: string, input: Record<string, unknown>): TenantRuntime {
    const providers = buildTenant(parseTenantConfig(input, { env: ENV }), {
      tenant: id,
      retry: { sleep: async () => {} },
      logger: this.logger,
    });
    const settings = resolveSettings({
      routes: [{ name: 'app', match: { labels: ['factory'] }, repository: 'acme/app', agent: 'coder' }],
      limits: { maxInFlight: 2 },
    });
    const factory = createFactory({
      tenant: id,
      settings,
      ports: {
        store: this.store,
        ...providers.ports,
        fleet: this.fleet,
        triage: new RuleTriage(settings.routes),
        template: new DefaultTaskTemplate(),
        clock: this.clock,
        logger: this.logger,
      },
    });
    return providers.runtime(factory);
  }

  async stop(): Promise<void> {
    await Promise.all([this.jira?.stop(), this.github?.stop(), this.gitlab?.stop()]);
  }

  post(path: string, body: string, headers: Record<string, string>): Promise<Response> {
    return Promise.resolve(this.app.request(path, { method: 'POST', body, headers }));
  }

  jiraHeaders(body: string, delivery: string = crypto.randomUUID()): Record<string, string> {
    return {
      'content-type': 'application/json; charset=utf-8',
      'x-hub-signature': jiraSignature(SECRETS.jira as string, body),
      'x-atlassian-webhook-identifier': delivery,
      'user-agent': 'Atlassian Webhook HTTP Client',
    };
  }

  githubHeaders(body: string, event = 'issues'): Record<string, string> {
    return {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': crypto.randomUUID(),
      'x-hub-signature-256': githubSignature(SECRETS['github-issues'] as string, body),
      'user-agent': 'GitHub-Hookshot/044aadd',
    };
  }

  gitlabHeaders(event = 'Merge Request Hook'): Record<string, string> {
    return {
      'content-type': 'application/json',
      'x-gitlab-event': event,
      'x-gitlab-token': SECRETS.gitlab as string,
      'idempotency-key': crypto.randomUUID(),
      'user-agent': 'GitLab/17.5.0',
    };
  }

  /** Everything the factory keeps for both tenants and everything it wrote outside, to show a request changed nothing. */
  async snapshot(): Promise<unknown> {
    const state = async (tenant: string) => ({
      records: await this.store.listRecords(tenant, { limit: 1000 }),
      queue: await queuedIn(this.store, tenant),
      slots: await slotsIn(this.store, tenant, 'tenant'),
    });
    return {
      acme: await state(JIRA_TENANT),
      octo: await state(GITHUB_TENANT),
      writes: {
        jiraComments: this.jira.comments.length,
        jiraTransitions: this.jira.transitionsPosted.length,
        githubComments: [...this.github.comments.values()].flat().length,
        spawns: this.fleet.spawnCalls,
      },
    };
  }
}
