// biome-ignore-all lint/suspicious/noTemplateCurlyInString: tenant configs write ${ENV_VAR} references literally.

import { readCredential } from '@software-factory/providers';
import {
  githubProvider,
  linearProvider,
  ProviderRegistry,
  slackProvider,
} from '@software-factory/providers/registry';
import { createFactoryApp, InMemoryStateStore, JsonLineLogger } from '@software-factory/sdk';
import { describe, expect, it } from 'vitest';
import { tenantsAsData } from '../src/deploy/runtime/deployment-tenants.ts';
import { remoteTenantIssues } from '../src/deploy/runtime/remote-tenant-rules.ts';
import { scrubbedBy } from '../src/deploy/runtime/stored-tokens.ts';

// The deployment's logger is made with the secrets of its config; a tenant added later through the admin
// API brings tokens it has never seen. Once the tenant is built, a line that quotes one (a vendor's error
// echoing a request, say) prints it redacted.

const OPERATOR_TOKEN = 'operator-token-0123456789abcdef0123456789';
const ENV = {
  ACME_LINEAR_API_KEY: 'lin_api_acme_0123456789abcdef',
  ACME_LINEAR_WEBHOOK_SECRET: 'acme-linear-webhook-secret-0123',
  ACME_SLACK_BOT_TOKEN: 'xoxb-acme-0123456789-abcdef',
  ACME_SLACK_SIGNING_SECRET: 'acme-slack-signing-secret-0123',
  ACME_GITHUB_TOKEN: 'ghp_acme0123456789abcdef0123456789',
  ACME_GITHUB_WEBHOOK_SECRET: 'acme-github-webhook-secret-0123',
  ACME_FLEET_SECRET: 'acme-fleet-secret-0123456789',
};

const acme = {
  id: 'acme',
  intentProvider: {
    type: 'linear',
    apiKey: '${ACME_LINEAR_API_KEY}',
    webhookSecret: '${ACME_LINEAR_WEBHOOK_SECRET}',
  },
  clarificationChannel: {
    type: 'slack',
    channel: 'C0123456789',
    botToken: '${ACME_SLACK_BOT_TOKEN}',
    signingSecret: '${ACME_SLACK_SIGNING_SECRET}',
  },
  outputTarget: {
    type: 'github',
    token: '${ACME_GITHUB_TOKEN}',
    webhookSecret: '${ACME_GITHUB_WEBHOOK_SECRET}',
  },
  fleet: { type: 'http', url: 'https://agents.example.com/factory', secret: '${ACME_FLEET_SECRET}' },
};

describe('a tenant added through the admin API', () => {
  it('teaches the deployment’s logger its resolved tokens and secrets', async () => {
    const lines: string[] = [];
    const logger = new JsonLineLogger({ write: (line) => lines.push(line), secrets: [OPERATOR_TOKEN] });
    const store = new InMemoryStateStore();
    const providers = new ProviderRegistry([linearProvider, slackProvider, githubProvider]);
    const tenants = await tenantsAsData({ store, providers, logger, env: ENV, remoteTenantIssues }, {});
    const app = createFactoryApp({
      tenants,
      admin: tenants.admin,
      store,
      version: 'test',
      operatorToken: OPERATOR_TOKEN,
    });

    const quoting = () => `a vendor answered 401 to ${Object.values(ENV).join(' and ')}`;
    logger.warn(quoting());
    // Before the tenant exists, the logger cannot know them: the probe shows the test would see a leak.
    expect(lines.join('\n')).toContain(ENV.ACME_SLACK_BOT_TOKEN);

    const added = await app.request('https://factory.example.com/admin/tenants', {
      method: 'POST',
      headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(acme),
    });
    expect(added.status).toBe(201);
    expect(await tenants.get('acme')).toBeDefined();

    lines.length = 0;
    logger.warn(quoting(), { detail: `token ${ENV.ACME_GITHUB_TOKEN}` });
    const printed = lines.join('\n');
    expect(printed).toContain('[redacted]');
    for (const value of Object.values(ENV)) expect(printed).not.toContain(value);
  });
});

describe('a token signed in to on the deployment', () => {
  it('is scrubbed from the logger’s lines once a provider has read it', async () => {
    const lines: string[] = [];
    const logger = new JsonLineLogger({ write: (line) => lines.push(line) });
    const signedIn = {
      accessToken: 'lin_oauth_signed_in_0123456789',
      refreshToken: 'lin_refresh_0123456789',
      scopes: [],
    };
    const source = scrubbedBy(logger, async () => signedIn);
    expect(await readCredential(source)).toEqual(signedIn);
    logger.error(`refresh failed for ${signedIn.refreshToken}`, { token: 'x', note: signedIn.accessToken });
    expect(lines.join('\n')).not.toContain(signedIn.accessToken);
    expect(lines.join('\n')).not.toContain(signedIn.refreshToken);
    expect(lines.join('\n')).toContain('[redacted]');
  });

  it('is handed on unchanged, and nothing is learnt, when there is none', async () => {
    const logger = new JsonLineLogger({ write: () => {} });
    expect(await readCredential(scrubbedBy(logger, async () => undefined))).toBeUndefined();
  });
});
