import {
  GithubWebhookSource,
  LinearWebhookSource,
  LinearWorkItemProvider,
  SlackWebhookSource,
} from '@software-factory/providers';
import {
  type ConnectionReport,
  createFactory,
  DefaultTaskTemplate,
  type FactoryMetrics,
  RuleTriage,
  resolveSettings,
  type StateStore,
  type TenantRuntime,
} from '@software-factory/sdk';
import { BenchChat, BenchFleet, BenchOutputs, BenchTracker } from './bench-vendors.ts';

// Test constants, not credentials: the bench signs its own deliveries with them.
export const BENCH_TENANT = 'bench';
export const BENCH_SECRETS = {
  linear: 'bench-linear-webhook-secret',
  slack: 'bench-slack-signing-secret',
  github: 'bench-github-webhook-secret',
} as const;
export const BENCH_CHANNEL = 'C0BENCH001';
/** The person who answers in the bench's threads: the author of the captured Slack reply it replays. */
export const BENCH_PERSON = 'W222';
export const BENCH_REPOSITORY = 'Codertocat/Hello-World';

/** The Slack `ts` of the thread the bench's chat opens for the item numbered `n` (`BEN-n`). */
export function threadTs(n: number): string {
  return `1767225600.${String(n).padStart(6, '0')}`;
}

export interface BenchTenant {
  runtime: TenantRuntime;
  fleet: BenchFleet;
  tracker: BenchTracker;
  chat: BenchChat;
}

/**
 * One tenant as a deployer wires it, minus the network: the real signed webhook sources of Linear, Slack
 * and GitHub in, stand-ins that keep nothing for every outgoing write and for the fleet (`bench-vendors.ts`). It runs unchanged in Node
 * and inside workerd, so every store is measured on the same code.
 */
export function benchTenant(store: StateStore, options: { metrics?: FactoryMetrics } = {}): BenchTenant {
  const settings = resolveSettings({
    routes: [{ name: 'app', match: { labels: ['factory'] }, repository: BENCH_REPOSITORY, agent: 'coder' }],
    // Every cycle completes what it dispatched; the limit is never what a measured path waits on.
    limits: { maxInFlight: 1000 },
  });
  const tracker = new BenchTracker();
  const chat = new BenchChat();
  const fleet = new BenchFleet();
  // The Linear source only parses with it (labels and states come in the payload); it never calls out.
  const linear = new LinearWorkItemProvider({ apiUrl: 'http://127.0.0.1:9/graphql' });
  const factory = createFactory({
    tenant: BENCH_TENANT,
    settings,
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ports: {
      store,
      workItems: tracker,
      clarifications: chat,
      outputs: new BenchOutputs(),
      fleet,
      triage: new RuleTriage(settings.routes),
      template: new DefaultTaskTemplate(),
    },
  });
  const connected: ConnectionReport[] = [
    { provider: 'linear', role: 'intake', status: { state: 'connected', identity: 'bench' } },
    { provider: 'slack', role: 'clarification', status: { state: 'connected', identity: 'bench' } },
    { provider: 'github', role: 'output', status: { state: 'connected', identity: 'bench' } },
  ];
  const sources = [
    new LinearWebhookSource({ secret: BENCH_SECRETS.linear, provider: linear }),
    new SlackWebhookSource({
      signingSecret: BENCH_SECRETS.slack,
      channel: BENCH_CHANNEL,
      // The chat is a fake with no member list: the bench's one person is trusted by id.
      trustedAuthors: { roles: [], users: [BENCH_PERSON] },
    }),
    new GithubWebhookSource({ secret: BENCH_SECRETS.github }),
  ];
  const runtime: TenantRuntime = {
    id: BENCH_TENANT,
    factory,
    sources: new Map(sources.map((source) => [source.source, source])),
    connections: async () => connected,
  };
  return { runtime, fleet, tracker, chat };
}
