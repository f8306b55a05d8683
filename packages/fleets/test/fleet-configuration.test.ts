import { describe, expect, it } from 'vitest';
import {
  AgentRelayFleet,
  FleetWebhookSource,
  GithubActionsFleet,
  HttpFleet,
  WorkflowRunWebhookSource,
} from '../src/index.ts';

describe('fleet configuration that cannot work is refused with a message naming the field', () => {
  const github = { token: 'ghs_x' };
  const relay = { workspaceKey: 'rk_x' };
  const http = { url: 'https://fleet.example/factory', secret: 's' };

  const cases: [string, () => unknown, RegExp][] = [
    [
      'a GitHub baseUrl without a scheme',
      () => new GithubActionsFleet({ ...github, baseUrl: 'api.github.com' }),
      /baseUrl must be an absolute http\(s\) URL/,
    ],
    [
      'an empty workflow',
      () => new GithubActionsFleet({ ...github, workflow: ' ' }),
      /workflow must not be empty/,
    ],
    ['an empty ref', () => new GithubActionsFleet({ ...github, ref: '' }), /ref must not be empty/],
    [
      'negative settleChecks',
      () => new GithubActionsFleet({ ...github, settleChecks: -1 }),
      /settleChecks must be a whole number of at least 0/,
    ],
    [
      'zero searchPages',
      () => new GithubActionsFleet({ ...github, searchPages: 0 }),
      /searchPages must be a whole number of at least 1/,
    ],
    [
      'zero retry attempts',
      () => new GithubActionsFleet({ ...github, retry: { maxAttempts: 0 } }),
      /retry.maxAttempts/,
    ],
    [
      'a relay baseUrl that is not http(s)',
      () => new AgentRelayFleet({ ...relay, baseUrl: 'ftp://relay.example' }),
      /baseUrl must be an absolute http\(s\) URL/,
    ],
    [
      'a cli that is not a plain name',
      () => new AgentRelayFleet({ ...relay, cli: 'claude; rm -rf' }),
      /cli must be a plain name/,
    ],
    [
      'an empty dispatcher name',
      () => new AgentRelayFleet({ ...relay, dispatcherName: '' }),
      /dispatcherName must be a plain name/,
    ],
    ['a zero timeout', () => new AgentRelayFleet({ ...relay, retry: { timeoutMs: 0 } }), /retry.timeoutMs/],
    ['a negative backoff', () => new HttpFleet({ ...http, retry: { baseDelayMs: -5 } }), /retry.baseDelayMs/],
    [
      'fractional attempts',
      () => new HttpFleet({ ...http, retry: { maxAttempts: 1.5 } }),
      /retry.maxAttempts/,
    ],
    [
      'a fleet callback source without a secret',
      () => new FleetWebhookSource({ secret: '' }),
      /secret is required/,
    ],
    [
      'a workflow_run source without a secret',
      () => new WorkflowRunWebhookSource({ secret: '' }),
      /secret is required/,
    ],
  ];
  for (const [name, build, message] of cases) {
    it(name, () => {
      expect(build).toThrow(message);
    });
  }

  it('accepts the defaults', () => {
    expect(new GithubActionsFleet(github).name).toBe('github-actions');
    expect(new AgentRelayFleet(relay).name).toBe('agent-relay');
    expect(new HttpFleet(http).name).toBe('http');
    expect(new FleetWebhookSource({ secret: 's' }).source).toBe('fleet');
  });
});
