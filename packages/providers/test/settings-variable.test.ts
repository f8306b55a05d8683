import { describe, expect, it } from 'vitest';
import {
  githubProvider,
  linearProvider,
  ProviderRegistry,
  slackProvider,
  TenantSettingsError,
  tenantConfigFromSettings,
} from '../src/registry.ts';

const providers = new ProviderRegistry([linearProvider, slackProvider, githubProvider]);
const ENV = {
  LINEAR_API_KEY: 'lin_api_never_shown',
  LINEAR_WEBHOOK_SECRET: 'linear-secret',
  SLACK_BOT_TOKEN: 'xoxb-never-shown',
  SLACK_SIGNING_SECRET: 'slack-secret',
  GITHUB_TOKEN: 'ghp_never_shown',
  GITHUB_WEBHOOK_SECRET: 'github-secret',
};
const ROLES = {
  intentProvider: 'linear',
  clarificationChannel: { type: 'slack', channel: 'C0123456789' },
  outputTarget: 'github',
};

const fromSettings = (json: string) =>
  tenantConfigFromSettings(providers, { variable: 'FACTORY_SETTINGS', json }, ROLES, { env: ENV });

describe('a deployment tenant from its settings variable', () => {
  it('reads the settings and puts the roles the deployment names on top', () => {
    const config = fromSettings('{"limits":{"maxInFlight":2},"intentProvider":"jira"}');
    expect(config.limits.maxInFlight).toBe(2);
    expect(config.intentProvider.type).toBe('linear');
    expect(config.clarificationChannel).toMatchObject({ type: 'slack', channel: 'C0123456789' });
  });

  it('names the variable, never its text, when it is not JSON', () => {
    expect(() => fromSettings('{"limits": ghp_never_shown')).toThrow(
      new TenantSettingsError('FACTORY_SETTINGS is not valid JSON'),
    );
  });

  it('refuses JSON that is not an object', () => {
    for (const json of ['[]', 'null', '"settings"'])
      expect(() => fromSettings(json)).toThrow('FACTORY_SETTINGS is not valid: expected a JSON object');
  });

  it('says which setting is wrong, as a TenantSettingsError', () => {
    const error = (() => {
      try {
        fromSettings('{"limit":{}}');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(TenantSettingsError);
    expect((error as Error).message).toMatch(
      /^FACTORY_SETTINGS is not valid: invalid tenant config: .*limit/,
    );
    expect((error as Error).message).not.toContain('never_shown');
  });
});
