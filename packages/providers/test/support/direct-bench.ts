import {
  createFactory,
  createFactoryApp,
  DefaultTaskTemplate,
  type FactorySettingsInput,
  InMemoryStateStore,
  RuleTriage,
  resolveSettings,
  StaticTenantRegistry,
} from '@software-factory/sdk';
import { FakeClock, FakeFleet, MemoryLogger, queuedIn, slotsIn } from '@software-factory/sdk/testing';
import { GithubAppAuth } from '../../src/github/app-auth.ts';
import type { GithubFeedbackConfig } from '../../src/github/feedback-config.ts';
import { GithubOutputTarget } from '../../src/github/output-target.ts';
import { type LinearProviderOptions, LinearWorkItemProvider } from '../../src/linear/work-item-provider.ts';
import { SlackClarificationChannel } from '../../src/slack/clarification-channel.ts';
import { directTenantRuntime } from '../../src/tenant/direct-tenant.ts';
import { githubSignature, linearSignature, slackSignature } from './fixtures.ts';
import { GithubAppIssuer, generateAppKey } from './github-app.ts';
import { GithubServer } from './github-server.ts';
import { LinearServer } from './linear-server.ts';
import { SlackServer } from './slack-server.ts';

export const TENANT = 'acme';
export const SECRETS = {
  linear: 'lin_wh_secret_e2e',
  slack: 'slack_signing_secret_e2e',
  github: 'gh_webhook_secret_e2e',
};
export const TOKENS = {
  linear: 'lin_oauth_test_token',
  slack: 'xoxb-test-token',
  github: 'ghp_classic_test_token',
};
export const CHANNEL = 'C0FACTORY';
/** Opens the deployment-wide detail of `GET /healthz`. */
export const OPERATOR_TOKEN = 'operator-token-of-the-direct-bench-0001';

export interface DirectBenchOptions {
  /** Settings on top of the bench's route and limits, e.g. `completion: { on: 'merged' }`. */
  settings?: FactorySettingsInput;
  /** Linear provider config on top of the bench's endpoint and token, e.g. `markers`. */
  linear?: Partial<LinearProviderOptions>;
  /** How the factory authenticates to GitHub: a personal token (default) or as a GitHub App installation. */
  github?: 'token' | 'app';
  /** The GitHub output target's `feedback` config (review feedback rounds); its defaults when absent. */
  githubFeedback?: GithubFeedbackConfig;
}

/** The bench's GitHub App, installed on the route's repository, when the bench runs in App mode. */
export const GITHUB_APP = { appId: 313131, installationId: 55, repository: 'Codertocat/Hello-World' };

/**
 * One tenant, wired as in production: the core's HTTP app and `createFactory` over an in-memory store,
 * the three real providers talking to loopback Linear, Slack and GitHub servers, a fake fleet.
 */
export class DirectBench {
  readonly clock = new FakeClock(Date.parse('2026-01-01T12:00:00.000Z'));
  readonly store = new InMemoryStateStore();
  readonly fleet = new FakeFleet();
  readonly logger = new MemoryLogger();
  readonly template = new DefaultTaskTemplate();
  linear!: LinearServer;
  slack!: SlackServer;
  github!: GithubServer;
  app!: ReturnType<typeof createFactoryApp>;
  /** GitHub's side of the App (set in App mode), and the App's private key. */
  appIssuer: GithubAppIssuer | undefined;
  appKey: { privateKey: string; publicKey: string } | undefined;
  /** The tenant's factory, for events that come from no vendor here (the fake fleet's exits). */
  factory!: ReturnType<typeof createFactory>;
  readonly #options: DirectBenchOptions;

  constructor(options: DirectBenchOptions = {}) {
    this.#options = options;
  }

  async start(): Promise<this> {
    [this.linear, this.slack, this.github] = await Promise.all([
      new LinearServer().start(),
      new SlackServer().start(),
      new GithubServer().start(),
    ]);
    const retry = { sleep: async () => {} };
    const workItems = new LinearWorkItemProvider({
      apiUrl: this.linear.url,
      token: async () => ({ accessToken: TOKENS.linear, scopes: ['read', 'write'] }),
      retry,
      ...this.#options.linear,
    });
    const clarifications = new SlackClarificationChannel({
      channel: CHANNEL,
      apiUrl: this.slack.url,
      token: TOKENS.slack,
      retry,
    });
    const outputs = new GithubOutputTarget({
      baseUrl: this.github.url,
      retry,
      ...this.#githubAuth(retry),
      ...(this.#options.githubFeedback ? { feedback: this.#options.githubFeedback } : {}),
    });
    const settings = resolveSettings({
      routes: [
        { name: 'app', match: { labels: ['factory'] }, repository: 'Codertocat/Hello-World', agent: 'coder' },
      ],
      limits: { maxInFlight: 2 },
      ...this.#options.settings,
    });
    this.factory = createFactory({
      tenant: TENANT,
      settings,
      ports: {
        store: this.store,
        workItems,
        clarifications,
        outputs,
        fleet: this.fleet,
        triage: new RuleTriage(settings.routes),
        template: this.template,
        clock: this.clock,
        logger: this.logger,
      },
    });
    const factory = this.factory;
    const tenant = directTenantRuntime({
      factory,
      linear: { provider: workItems, webhookSecret: SECRETS.linear },
      slack: { channel: clarifications, signingSecret: SECRETS.slack, botUserId: this.slack.botUserId },
      github: { target: outputs, webhookSecret: SECRETS.github },
    });
    this.app = createFactoryApp({
      tenants: new StaticTenantRegistry([tenant]),
      store: this.store,
      version: 'test',
      clock: this.clock,
      logger: this.logger,
      operatorToken: OPERATOR_TOKEN,
    });
    return this;
  }

  #githubAuth(retry: { sleep: () => Promise<void> }) {
    if (this.#options.github !== 'app') return { token: TOKENS.github };
    this.appKey = generateAppKey();
    this.appIssuer = new GithubAppIssuer({ appId: GITHUB_APP.appId, publicKey: this.appKey.publicKey });
    this.appIssuer.install(GITHUB_APP.repository, GITHUB_APP.installationId);
    this.github.appIssuer = this.appIssuer;
    // The personal token is no good here: only what the App exchanges opens GitHub.
    this.github.tokens.clear();
    const credentials = { appId: String(GITHUB_APP.appId), privateKey: this.appKey.privateKey };
    return { app: new GithubAppAuth({ credentials, baseUrl: this.github.url, retry }) };
  }

  async stop(): Promise<void> {
    await Promise.all([this.linear?.stop(), this.slack?.stop(), this.github?.stop()]);
  }

  post(path: string, body: string, headers: Record<string, string>): Promise<Response> {
    return Promise.resolve(this.app.request(path, { method: 'POST', body, headers }));
  }

  linearHeaders(body: string): Record<string, string> {
    return {
      'content-type': 'application/json; charset=utf-8',
      'linear-signature': linearSignature(SECRETS.linear, body),
      'linear-delivery': crypto.randomUUID(),
      'linear-event': 'Issue',
      'user-agent': 'Linear-Webhook',
    };
  }

  slackHeaders(body: string, at = this.clock.now()): Record<string, string> {
    const timestamp = String(Math.floor(at / 1000));
    return {
      'content-type': 'application/json',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': slackSignature(SECRETS.slack, timestamp, body),
    };
  }

  githubHeaders(body: string, event = 'pull_request'): Record<string, string> {
    return {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': crypto.randomUUID(),
      'x-hub-signature-256': githubSignature(SECRETS.github, body),
      'user-agent': 'GitHub-Hookshot/044aadd',
    };
  }

  /** Everything the factory keeps for the tenant, to show a request changed nothing. */
  async snapshot(): Promise<unknown> {
    return {
      records: await this.store.listRecords(TENANT, { limit: 1000 }),
      queue: await queuedIn(this.store, TENANT),
      slots: await slotsIn(this.store, TENANT, 'tenant'),
      writes: {
        linearUpdates: [...this.linear.updates],
        linearComments: [...this.linear.comments.keys()],
        slackPosts: this.slack.posts().map((post) => post.ts),
        spawns: this.fleet.spawnCalls,
      },
    };
  }
}
