import { readCredential, type TokenSource } from '@software-factory/providers';
import {
  type BuiltProvider,
  defineProvider,
  directOnly,
  type ProviderContext,
  type ProviderOAuth,
  type SchemaKit,
  type SecretField,
  tokenOf,
  webhookSecretRequirement,
} from '@software-factory/providers/registry';
import type { ConnectionStatus, WorkItem, WorkItemProvider, WritebackState } from '@software-factory/sdk';
import { TestWebhookSource } from '@software-factory/sdk/testing/fakes';
import * as z from 'zod';

/**
 * A vendor that exists only in tests: "Acme Tracker", an intake. It is added to the registry through
 * its public API (`providerRegistry.register`) and nothing else in the factory names it, so every place
 * it shows up (the config schema, `factory check`, `factory connect`, the Node runtime) shows that
 * those places read the registry.
 */
export const ACME_TYPE = 'acme-tracker';

const TOKEN: SecretField = { field: 'token', env: 'ACME_TRACKER_TOKEN', kind: 'token' };
const WEBHOOK_SECRET: SecretField = {
  field: 'webhookSecret',
  env: 'ACME_TRACKER_WEBHOOK_SECRET',
  kind: 'webhook-secret',
};

/** Its sign-in: the device grant, at endpoints that never answer (the tests stop before them). */
export const ACME_OAUTH: ProviderOAuth = {
  vendor: 'Acme',
  flow: 'device',
  envPrefix: 'ACME',
  tokenEndpoint: 'https://acme.invalid/oauth/token',
  deviceAuthorizationEndpoint: 'https://acme.invalid/oauth/device',
  scopeSeparator: ' ',
  clientAuthentication: 'post',
  extraTokenTypes: [],
  clientSecretRequired: false,
};

/** The tracker, in memory: tasks put in `items`, writes recorded; connected once it has a token. */
export class AcmeTracker implements WorkItemProvider {
  readonly provider: string;
  readonly requiredScopes = ['tasks:read', 'tasks:write'];
  readonly items = new Map<string, WorkItem>();
  readonly writes: { workItemId: string; what: string }[] = [];
  readonly #token: TokenSource | undefined;

  constructor(provider: string, token: TokenSource | undefined) {
    this.provider = provider;
    this.#token = token;
  }

  async checkConnection(): Promise<ConnectionStatus> {
    return (await readCredential(this.#token))
      ? { state: 'connected', identity: 'acme-bot' }
      : { state: 'needs-auth', reason: 'no Acme token is configured' };
  }

  isReadyForDispatch(item: WorkItem): boolean {
    return item.state === 'todo' && item.labels.includes('factory');
  }

  async setState(item: WorkItem, state: WritebackState): Promise<void> {
    this.writes.push({ workItemId: item.id, what: state });
  }

  async postComment(item: WorkItem, body: string): Promise<void> {
    this.writes.push({ workItemId: item.id, what: body });
  }

  async getWorkItem(ref: string): Promise<WorkItem | undefined> {
    return this.items.get(ref);
  }
}

function acmeSchema(kit: SchemaKit) {
  return z
    .object({
      type: z.literal(ACME_TYPE),
      transport: directOnly,
      provider: z.string().min(1).default(ACME_TYPE),
      project: z.string().min(1).default('ACME').describe('The Acme project whose tasks are work items.'),
      token: kit.defaulted(TOKEN, 'An Acme API token; else the one `factory connect acme-tracker` stored.'),
      webhookSecret: kit.defaulted(WEBHOOK_SECRET, 'The secret Acme signs its webhooks with.'),
    })
    .strict()
    .describe('Acme Tracker tasks (a vendor of the tests).');
}

export const acmeTrackerProvider = defineProvider({
  type: ACME_TYPE,
  title: 'Acme Tracker',
  summary: 'Acme Tracker tasks',
  roles: ['intentProvider'],
  secrets: [TOKEN, WEBHOOK_SECRET],
  scopes: ['tasks:read', 'tasks:write'],
  oauth: ACME_OAUTH,
  example: 'intentProvider: { type: acme-tracker, project: ACME }',
  schema: acmeSchema,
  build(
    config: z.output<ReturnType<typeof acmeSchema>>,
    context: ProviderContext,
  ): BuiltProvider<'intentProvider'> {
    const { token } = tokenOf(config.token, context, config.provider, undefined, ACME_OAUTH);
    const port = new AcmeTracker(config.provider, token);
    if (!config.webhookSecret) return { port, missing: [webhookSecretRequirement(WEBHOOK_SECRET, 'Acme')] };
    return { port, sources: [new TestWebhookSource(config.webhookSecret, ACME_TYPE)] };
  },
});
