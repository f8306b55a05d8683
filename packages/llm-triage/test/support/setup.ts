import { type RouteConfig, RuleTriage, resolveSettings, type TriageInput } from '@software-factory/sdk';
import { MemoryLogger, sampleWorkItem } from '@software-factory/sdk/testing';
import { afterEach, beforeEach } from 'vitest';
import { createTriage, type TriageCache } from '../../src/index.ts';
import { ModelServer, type RecordedRequest } from './model-server.ts';

/** A key shaped like a real one, so a leak into reasons or logs would be found by a plain search. */
export const API_KEY = 'sk-test-7f3a9c1e5b2d4f6a8c0e2b4d6f8a1c3e';

export const ROUTES: RouteConfig[] = resolveSettings({
  routes: [
    { name: 'app', match: { labels: ['factory'] }, repository: 'acme/app', agent: 'coder' },
    { name: 'docs', match: { labels: ['docs'] }, repository: 'acme/docs', agent: 'writer', maxInFlight: 1 },
  ],
}).routes;

export const rules = new RuleTriage(ROUTES);

export const CLEAR_ITEM = sampleWorkItem({ id: 'item-1', key: 'ENG-1' });

export const VAGUE_ITEM = sampleWorkItem({
  id: 'item-2',
  key: 'ENG-2',
  title: 'Export is weird',
  description: 'Customers complain about the export. Please look into it.',
  team: 'platform',
  project: 'exports',
});

export function input(item = CLEAR_ITEM, answers: TriageInput['answers'] = []): TriageInput {
  return { item, answers };
}

export type Provider = 'anthropic' | 'openai-compatible';

export interface TriageSetup {
  server: ModelServer;
  logger: MemoryLogger;
  build(overrides?: {
    timeout?: number;
    maxTokens?: number;
    cache?: TriageCache;
    cacheSize?: number;
  }): ReturnType<typeof createTriage>;
}

/** A loopback model server per test and a way to build the triage the config would build against it. */
export function useModelServer(provider: Provider): TriageSetup {
  const setup = { server: new ModelServer(), logger: new MemoryLogger() } as TriageSetup;
  beforeEach(async () => {
    setup.server = new ModelServer();
    setup.logger = new MemoryLogger();
    await setup.server.start();
  });
  afterEach(async () => {
    await setup.server.stop();
  });
  setup.build = (overrides = {}) =>
    createTriage(
      {
        type: 'llm',
        provider,
        model: provider === 'anthropic' ? 'claude-sonnet-4-20250514' : 'gpt-4o-mini-2024-07-18',
        baseUrl: provider === 'anthropic' ? setup.server.url : `${setup.server.url}/v1`,
        apiKey: API_KEY,
        timeout: overrides.timeout ?? 10_000,
        maxTokens: overrides.maxTokens ?? 512,
        ...(overrides.cacheSize !== undefined ? { cacheSize: overrides.cacheSize } : {}),
      },
      ROUTES,
      { logger: setup.logger, ...(overrides.cache ? { cache: overrides.cache } : {}) },
    );
  return setup;
}

/** The text of the user message a recorded request carried: where the ticket goes. */
export function userText(request: RecordedRequest | undefined): string {
  const messages = (request?.body.messages ?? []) as { role: string; content: string }[];
  return messages.find((message) => message.role === 'user')?.content ?? '';
}
