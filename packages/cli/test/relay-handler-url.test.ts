import { describe, expect, it } from 'vitest';
import { CliError } from '../src/cli-error.ts';
import { factoryBaseUrl, localFactoryUrl, relayfileWebhookUrl } from '../src/relay/handler-url.ts';

describe('where relayfile events are posted', () => {
  it('is the tenant’s relayfile webhook under the factory’s base URL, keeping a path prefix', () => {
    expect(relayfileWebhookUrl(factoryBaseUrl('https://factory.example.com'), 'acme')).toBe(
      'https://factory.example.com/t/acme/webhooks/relayfile',
    );
    expect(relayfileWebhookUrl(factoryBaseUrl('https://example.com/tools/factory//'), 'team_1')).toBe(
      'https://example.com/tools/factory/t/team_1/webhooks/relayfile',
    );
  });

  it('defaults to where `factory start` listens, reachable from this machine', () => {
    expect(localFactoryUrl({ host: '127.0.0.1', port: 8787 }).toString()).toBe('http://127.0.0.1:8787/');
    expect(localFactoryUrl({ host: '0.0.0.0', port: 9000 }).toString()).toBe('http://127.0.0.1:9000/');
    expect(localFactoryUrl({ host: '::', port: 9000 }).toString()).toBe('http://127.0.0.1:9000/');
    expect(localFactoryUrl({ host: '::1', port: 9000 }).toString()).toBe('http://[::1]:9000/');
    expect(localFactoryUrl({ host: 'factory.internal', port: 80 }).toString()).toBe(
      'http://factory.internal/',
    );
  });

  it.each([
    ['factory.example.com', 'is not a URL'],
    ['ws://factory.example.com', 'must be an http(s) URL'],
    ['https://factory.example.com?', 'must not carry a query string'],
    ['https://token@factory.example.com', 'must not carry credentials'],
    ['https://factory.example.com/#top', 'must not carry a #fragment'],
  ])('refuses %s as a usage error', (value, says) => {
    let thrown: unknown;
    try {
      factoryBaseUrl(value);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CliError);
    expect((thrown as CliError).exitCode).toBe(2);
    expect((thrown as CliError).message).toContain(says);
  });
});
