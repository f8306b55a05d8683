// biome-ignore-all lint/suspicious/noTemplateCurlyInString: tenant configs write ${ENV_VAR} references literally.
import {
  commentsProvider,
  githubProvider,
  jiraProvider,
  linearProvider,
  ProviderRegistry,
  slackProvider,
} from '@software-factory/providers/registry';
import { createFactoryApp, InMemoryStateStore, type StateStore } from '@software-factory/sdk';
import { MemoryLogger } from '@software-factory/sdk/testing';
import { describe, expect, it } from 'vitest';
import { tenantsAsData } from '../src/deploy/runtime/deployment-tenants.ts';
import { githubActionsFleet } from '../src/deploy/runtime/github-actions-fleet.ts';
import { remoteTenantIssues } from '../src/deploy/runtime/remote-tenant-rules.ts';

// A deployment `factory deploy` builds carries the providers its config uses and its `providers:` list
// adds, no others (their code is not in its bundle). These specs are its runtime over a registry of those
// providers, as the generated entry gives it: a tenant added through the admin API that names another is
// refused with the fix; one stored by an earlier deployment that carried it is not served, and says why.

const OPERATOR_TOKEN = 'operator-token-0123456789abcdef0123456789';
const ENV = {
  LINEAR_API_KEY: 'lin_api_test',
  LINEAR_WEBHOOK_SECRET: 'linear-webhook-secret',
  JIRA_API_TOKEN: 'jira-api-token',
  JIRA_WEBHOOK_SECRET: 'jira-webhook-secret',
  SLACK_BOT_TOKEN: 'xoxb-test',
  SLACK_SIGNING_SECRET: 'slack-signing-secret',
  GITHUB_TOKEN: 'ghp_test',
  GITHUB_WEBHOOK_SECRET: 'github-webhook-secret',
  FLEET_SECRET: 'fleet-secret',
};
const FLEET = { type: 'http', url: 'https://agents.example.com/factory', secret: '${FLEET_SECRET}' };
const GITHUB = { type: 'github', token: '${GITHUB_TOKEN}', webhookSecret: '${GITHUB_WEBHOOK_SECRET}' };

/** A team on Linear, Slack and GitHub: the providers of the deployment below. */
const linearTenant = (id: string) => ({
  id,
  intentProvider: { type: 'linear', apiKey: '${LINEAR_API_KEY}', webhookSecret: '${LINEAR_WEBHOOK_SECRET}' },
  clarificationChannel: {
    type: 'slack',
    channel: 'C0123456789',
    botToken: '${SLACK_BOT_TOKEN}',
    signingSecret: '${SLACK_SIGNING_SECRET}',
  },
  outputTarget: GITHUB,
  fleet: FLEET,
});

/** A team on Jira, asked on the issue itself (the comments channel), and GitHub. */
const jiraTenant = (id: string) => ({
  id,
  intentProvider: {
    type: 'jira',
    siteUrl: 'https://acme.atlassian.net',
    email: 'factory@acme.test',
    token: '${JIRA_API_TOKEN}',
    webhookSecret: '${JIRA_WEBHOOK_SECRET}',
  },
  clarificationChannel: 'comments',
  outputTarget: GITHUB,
  fleet: FLEET,
});

/** The deployment's runtime and admin API over `store`, carrying `providers` as a generated entry does. */
async function deployment(
  store: StateStore,
  providers: ProviderRegistry,
  logger = new MemoryLogger(),
  fleets: { githubActionsFleet?: typeof githubActionsFleet } = {},
) {
  const tenants = await tenantsAsData(
    { store, providers, logger, env: ENV, remoteTenantIssues, ...fleets },
    {},
  );
  const app = createFactoryApp({
    tenants,
    admin: tenants.admin,
    store,
    version: 'test',
    operatorToken: OPERATOR_TOKEN,
  });
  const admin = (method: string, route: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.request(`https://factory.example.com${route}`, {
      method,
      headers: {
        authorization: `Bearer ${OPERATOR_TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const webhook = (tenant: string, source: string) =>
    app.request(`https://factory.example.com/t/${tenant}/webhooks/${source}`, { method: 'POST', body: '{}' });
  return { tenants, admin, webhook, logger };
}

const carriesLinearSlackGithub = () => new ProviderRegistry([linearProvider, slackProvider, githubProvider]);
const fix =
  'add jira to the `providers:` list of the config it is deployed from, then run `factory deploy` again';

describe('a deployment built with Linear, Slack and GitHub', () => {
  it('adds a tenant on those providers through its admin API', async () => {
    const { admin, tenants } = await deployment(new InMemoryStateStore(), carriesLinearSlackGithub());
    expect((await admin('POST', '/admin/tenants', linearTenant('acme'))).status).toBe(201);
    expect(await tenants.get('acme')).toBeDefined();
  });

  it('refuses a tenant on Jira, naming the `providers:` list and `factory deploy`; nothing is stored', async () => {
    const { admin, tenants } = await deployment(new InMemoryStateStore(), carriesLinearSlackGithub());
    const refused = await admin('POST', '/admin/tenants', jiraTenant('acme'));
    expect(refused.status).toBe(422);
    expect(await refused.json()).toMatchObject({
      issues: [
        {
          path: 'intentProvider.type',
          message: `this deployment was built without the provider "jira" (it carries linear, slack, github): ${fix}`,
        },
        {
          // A bare name is reported at the role itself.
          path: 'clarificationChannel',
          message: expect.stringContaining('without the provider "comments"'),
        },
      ],
    });
    expect(await tenants.list()).toEqual([]);
  });

  it('refuses to change a tenant to Jira, and keeps it as it was', async () => {
    const { admin, tenants } = await deployment(new InMemoryStateStore(), carriesLinearSlackGithub());
    expect((await admin('POST', '/admin/tenants', linearTenant('acme'))).status).toBe(201);
    const refused = await admin(
      'PUT',
      '/admin/tenants/acme',
      { ...linearTenant('acme'), intentProvider: jiraTenant('acme').intentProvider },
      { 'if-match': '1' },
    );
    expect(refused.status).toBe(422);
    expect(JSON.stringify(await refused.json())).toContain(fix);
    const kept = await admin('GET', '/admin/tenants/acme');
    expect(await kept.json()).toMatchObject({ version: 1, config: { intentProvider: { type: 'linear' } } });
    expect(await tenants.get('acme')).toBeDefined();
  });
});

describe('a tenant stored by a deployment that carried Jira, served by one built without it', () => {
  it('is not served and the error names the fix; the other tenants are', async () => {
    const store = new InMemoryStateStore();
    const earlier = await deployment(
      store,
      new ProviderRegistry([linearProvider, jiraProvider, slackProvider, commentsProvider, githubProvider]),
    );
    expect((await earlier.admin('POST', '/admin/tenants', jiraTenant('acme'))).status).toBe(201);
    expect((await earlier.admin('POST', '/admin/tenants', linearTenant('globex'))).status).toBe(201);

    const redeployed = await deployment(store, carriesLinearSlackGithub());
    expect(await redeployed.tenants.get('acme')).toBeUndefined();
    // Its deliveries are answered as an unknown tenant's.
    expect((await redeployed.webhook('acme', 'jira')).status).toBe(404);
    expect(await redeployed.tenants.get('globex')).toBeDefined();
    expect(redeployed.logger.lines).toContainEqual({
      level: 'error',
      message: 'stored tenant cannot be built',
      fields: expect.objectContaining({
        tenant: 'acme',
        error: `tenant acme: intentProvider.type: this deployment was built without the provider "jira" (it carries linear, slack, github): ${fix}`,
      }),
    });
    // Still stored: a deployment built with Jira again serves it as it was.
    expect(await redeployed.tenants.list()).toEqual(expect.arrayContaining(['acme', 'globex']));
  });
});

/** The Linear team with its agents in GitHub Actions. */
const actionsTenant = (id: string) => ({
  ...linearTenant(id),
  fleet: {
    type: 'github-actions',
    token: '${GITHUB_TOKEN}',
    workflow: 'factory-agent.yml',
    repository: 'acme/app',
  },
});

describe('the github-actions fleet: carried only by a deployment whose entry wires it', () => {
  it('adds a tenant whose agents run in GitHub Actions when the entry passes githubActionsFleet', async () => {
    const { admin, tenants } = await deployment(
      new InMemoryStateStore(),
      carriesLinearSlackGithub(),
      new MemoryLogger(),
      { githubActionsFleet },
    );
    expect((await admin('POST', '/admin/tenants', actionsTenant('acme'))).status).toBe(201);
    expect(await tenants.get('acme')).toBeDefined();
  });

  it('refuses it otherwise, naming factory deploy; nothing is stored', async () => {
    const { admin, tenants } = await deployment(new InMemoryStateStore(), carriesLinearSlackGithub());
    const refused = await admin('POST', '/admin/tenants', actionsTenant('acme'));
    expect(refused.status).toBe(422);
    expect(await refused.json()).toMatchObject({
      issues: [
        {
          path: 'fleet.type',
          message: expect.stringMatching(/built without the github-actions fleet.*factory deploy/),
        },
      ],
    });
    expect(await tenants.list()).toEqual([]);
  });
});
