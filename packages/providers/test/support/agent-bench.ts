import {
  createFactory,
  createFactoryApp,
  DefaultTaskTemplate,
  type FactoryAppOptions,
  InMemoryStateStore,
  RuleTriage,
  resolveSettings,
  StaticTenantRegistry,
  type TenantRuntime,
  type Triage,
} from '@software-factory/sdk';
import { FakeClock, FakeFleet, MemoryLogger, queuedIn, slotsIn } from '@software-factory/sdk/testing';
import { GithubOutputTarget } from '../../src/github/output-target.ts';
import { GithubWebhookSource } from '../../src/github/webhook-source.ts';
import { LinearAgentSessionChannel } from '../../src/linear/agent-session-channel.ts';
import { LinearAgentSessionEvents } from '../../src/linear/agent-session-events.ts';
import {
  LINEAR_AGENT_SCOPES,
  LinearAgentWorkItemProvider,
} from '../../src/linear/agent-work-item-provider.ts';
import { LinearWebhookSource } from '../../src/linear/webhook-source.ts';
import { cachedConnections } from '../../src/shared/tenant-connections.ts';
import { fixtureJson, githubSignature, linearSignature } from './fixtures.ts';
import { GithubServer } from './github-server.ts';
import { defaultStates, LINEAR_APP_USER, LinearServer } from './linear-server.ts';

export const TENANT = 'acme';
export const PUBLIC_URL = 'https://factory.example.com';
export const SECRETS = { linear: 'lin_wh_secret_agent', github: 'gh_webhook_secret_agent' };
export const TOKENS = { linear: 'lin_oauth_test_token', github: 'ghp_classic_test_token' };

/** The person who delegates and answers: a member of the workspace (trusted by default). */
export const PERSON = {
  id: '5f9e1c1e-1b9b-4c55-9a52-1c8e0e6d2a11',
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  active: true,
  guest: false,
  app: false,
};

type Payload = Record<string, unknown> & {
  agentSession: Record<string, unknown> & { issue: Record<string, unknown> };
  agentActivity?: Record<string, unknown> & { content: Record<string, unknown> };
};

export interface IssueSeed {
  id: string;
  identifier: string;
  title: string;
  description: string;
  labels?: { id: string; name: string }[];
  stateId?: string;
}

/**
 * One tenant in Linear agent mode, wired as production wires it: the core's HTTP app, `createFactory`
 * over an in-memory store, the agent-mode Linear intake and its session as the clarification channel
 * talking to a loopback Linear GraphQL server, GitHub on loopback, a fake fleet. `beforeTriage` lets a
 * test hold triage until something has happened (the first activity reached Linear).
 */
export class AgentBench {
  readonly clock = new FakeClock(Date.parse('2026-01-01T12:00:00.000Z'));
  readonly store = new InMemoryStateStore();
  readonly fleet = new FakeFleet();
  readonly logger = new MemoryLogger();
  linear!: LinearServer;
  github!: GithubServer;
  app!: ReturnType<typeof createFactoryApp>;
  tenant!: TenantRuntime;
  beforeTriage: (() => Promise<void>) | undefined;
  /** How many triage calls started, and how many had seen a thought in their session by then. */
  readonly triageCalls: { sawThought: boolean }[] = [];

  async start(app: Partial<FactoryAppOptions> = {}): Promise<this> {
    [this.linear, this.github] = await Promise.all([new LinearServer().start(), new GithubServer().start()]);
    this.linear.viewer = LINEAR_APP_USER;
    this.linear.users.set(PERSON.id, PERSON);
    this.linear.addTeam({ id: 'team-eng', key: 'ENG', name: 'Engineering', states: defaultStates('eng') });
    const retry = { sleep: async () => {} };
    const workItems = new LinearAgentWorkItemProvider({
      apiUrl: this.linear.url,
      token: async () => ({ accessToken: TOKENS.linear, scopes: [...LINEAR_AGENT_SCOPES] }),
      retry,
    });
    const clarifications = new LinearAgentSessionChannel({ intake: workItems });
    const outputs = new GithubOutputTarget({ baseUrl: this.github.url, token: TOKENS.github, retry });
    const settings = resolveSettings({
      routes: [
        { name: 'app', match: { labels: ['factory'] }, repository: 'Codertocat/Hello-World', agent: 'coder' },
      ],
      limits: { maxInFlight: 1 },
    });
    const rules = new RuleTriage(settings.routes);
    const triage: Triage = {
      triage: async (input) => {
        await this.beforeTriage?.();
        this.triageCalls.push({
          sawThought: this.linear.activities.some((activity) => activity.content.type === 'thought'),
        });
        return rules.triage(input);
      },
    };
    const factory = createFactory({
      tenant: TENANT,
      settings,
      ports: {
        store: this.store,
        workItems,
        clarifications,
        outputs,
        fleet: this.fleet,
        triage,
        template: new DefaultTaskTemplate(),
        clock: this.clock,
        logger: this.logger,
      },
    });
    const sources = [
      new LinearWebhookSource({
        secret: SECRETS.linear,
        provider: workItems,
        agentSessions: new LinearAgentSessionEvents({ provider: workItems, replies: {} }),
      }),
      new GithubWebhookSource({ secret: SECRETS.github }),
    ];
    this.tenant = {
      id: TENANT,
      factory,
      sources: new Map(sources.map((source) => [source.source, source])),
      connections: cachedConnections(
        factory,
        [
          [workItems, 'intake'],
          [clarifications, 'clarification'],
          [outputs, 'output'],
        ],
        60_000,
      ),
    };
    this.app = createFactoryApp({
      tenants: new StaticTenantRegistry([this.tenant]),
      store: this.store,
      version: 'test',
      clock: this.clock,
      logger: this.logger,
      publicUrl: PUBLIC_URL,
      ...app,
    });
    return this;
  }

  async stop(): Promise<void> {
    await Promise.all([this.linear?.stop(), this.github?.stop()]);
  }

  /** An issue on Linear's side, in Todo by default. */
  addIssue(seed: IssueSeed): void {
    this.linear.addIssue({
      id: seed.id,
      identifier: seed.identifier,
      number: Number(seed.identifier.split('-')[1]),
      title: seed.title,
      description: seed.description,
      url: `https://linear.app/acme/issue/${seed.identifier}`,
      updatedAt: '2026-01-01T11:00:00.000Z',
      priority: 0,
      stateId: seed.stateId ?? 'eng-todo',
      teamId: 'team-eng',
      labels: seed.labels ?? [{ id: 'label-factory', name: 'factory' }],
      creatorId: PERSON.id,
    });
  }

  /** The documented `created` shape, moved to `issue` and `session` (which Linear now knows), sent now. */
  created(issue: IssueSeed, session: string): string {
    this.linear.sessions.add(session);
    const payload = fixtureJson<Payload>('linear/agent-session-event.created.DERIVED.json');
    return this.#send(payload, issue, session);
  }

  /** The documented `prompted` shape (or its stop variant) for `session`, as activity `activityId`. */
  prompted(issue: IssueSeed, session: string, activityId: string, text?: string): string {
    const payload = fixtureJson<Payload>('linear/agent-session-event.prompted.DERIVED.json');
    const activity = payload.agentActivity as NonNullable<Payload['agentActivity']>;
    activity.id = activityId;
    activity.agentSessionId = session;
    if (text !== undefined) activity.content.body = text;
    return this.#send(payload, issue, session);
  }

  stopSignal(issue: IssueSeed, session: string, activityId: string): string {
    const payload = fixtureJson<Payload>('linear/agent-session-event.prompted-stop.DERIVED.json');
    const activity = payload.agentActivity as NonNullable<Payload['agentActivity']>;
    activity.id = activityId;
    activity.agentSessionId = session;
    return this.#send(payload, issue, session);
  }

  #send(payload: Payload, issue: IssueSeed, session: string): string {
    const at = new Date(this.clock.now()).toISOString();
    payload.createdAt = at;
    if (payload.agentActivity) {
      payload.agentActivity.createdAt = at;
      payload.agentActivity.updatedAt = at;
    }
    payload.webhookTimestamp = this.clock.now();
    payload.agentSession.id = session;
    payload.agentSession.issueId = issue.id;
    Object.assign(payload.agentSession.issue, {
      id: issue.id,
      identifier: issue.identifier,
      title: issue.title,
      description: issue.description,
    });
    return JSON.stringify(payload);
  }

  post(path: string, body: string, headers: Record<string, string>): Promise<Response> {
    return Promise.resolve(this.app.request(path, { method: 'POST', body, headers }));
  }

  linearHeaders(body: string, delivery: string = crypto.randomUUID()): Record<string, string> {
    return {
      'content-type': 'application/json; charset=utf-8',
      'linear-signature': linearSignature(SECRETS.linear, body),
      'linear-delivery': delivery,
      'linear-event': 'AgentSessionEvent',
      'user-agent': 'Linear-Webhook',
    };
  }

  githubHeaders(body: string): Record<string, string> {
    return {
      'content-type': 'application/json',
      'x-github-event': 'pull_request',
      'x-github-delivery': crypto.randomUUID(),
      'x-hub-signature-256': githubSignature(SECRETS.github, body),
    };
  }

  /** The activities posted in one session, as their content. */
  activitiesIn(session: string): Record<string, unknown>[] {
    return this.linear.activities
      .filter((activity) => activity.agentSessionId === session)
      .map((activity) => activity.content);
  }

  /** Everything the factory keeps for the tenant and every write it made, to show a request changed nothing. */
  async snapshot(): Promise<unknown> {
    return {
      records: await this.store.listRecords(TENANT, { limit: 1000 }),
      queue: await queuedIn(this.store, TENANT),
      slots: await slotsIn(this.store, TENANT, 'tenant'),
      activities: this.linear.activities.map((activity) => activity.id),
      sessionUpdates: this.linear.sessionUpdates.length,
      issueUpdates: this.linear.updateInputs.length,
      comments: this.linear.comments.size,
      spawns: this.fleet.spawnCalls,
    };
  }
}
