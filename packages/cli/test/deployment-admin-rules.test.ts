// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the configs hold ${…} references as written.
import { providerRegistry } from '@software-factory/providers/registry';
import { InMemoryStateStore } from '@software-factory/sdk';
import { describe, expect, it } from 'vitest';
import { tenantsAsData } from '../src/deploy/runtime/deployment-tenants.ts';
import { remoteTenantIssues } from '../src/deploy/runtime/remote-tenant-rules.ts';

// A tenant the config schema accepts but a deployment cannot run: its template is a file on this machine.
const tenantReadingAFile = {
  intentProvider: { type: 'linear', apiKey: '${LINEAR_API_KEY}', webhookSecret: '${LINEAR_WEBHOOK_SECRET}' },
  clarificationChannel: 'comments',
  outputTarget: { type: 'github', token: '${GITHUB_TOKEN}', webhookSecret: '${GITHUB_WEBHOOK_SECRET}' },
  fleet: { type: 'http', url: 'https://agents.example.com/factory', secret: '${FLEET_SECRET}' },
  template: { file: 'task.md' },
  routes: [{ name: 'app', repository: 'acme/app', agent: 'coder' }],
};
const env = {
  LINEAR_API_KEY: 'lin_api_test',
  LINEAR_WEBHOOK_SECRET: 'linear-webhook-secret',
  GITHUB_TOKEN: 'ghp_test',
  GITHUB_WEBHOOK_SECRET: 'github-webhook-secret',
  FLEET_SECRET: 'fleet-secret',
};

describe("the admin API's rules for a tenant run by a deployment", () => {
  it('refuse what the deployment cannot run when the entry gives them (the admin API is on)', async () => {
    const tenants = await tenantsAsData(
      { store: new InMemoryStateStore(), providers: providerRegistry, env, remoteTenantIssues },
      {},
    );
    expect(await tenants.admin.validate('acme', tenantReadingAFile)).toEqual([
      {
        path: ['template', 'file'],
        message: 'a tenant added through the admin API reads no files: give the task as `template.text`',
      },
    ]);
  });

  it('refuse every tenant, naming the fix, when the entry was generated without the admin API', async () => {
    const tenants = await tenantsAsData(
      { store: new InMemoryStateStore(), providers: providerRegistry, env },
      {},
    );
    const { template: _file, ...runnable } = tenantReadingAFile;
    expect(await tenants.admin.validate('acme', runnable)).toEqual([
      {
        path: [],
        message:
          'this deployment was built without the admin API: deploy it again (factory deploy) with server.operatorToken set',
      },
    ]);
  });
});
