import { describe, expect, it } from 'vitest';
import { probe } from '../../sdk/test/support/peer-probe.ts';
import { AgentRelayFleet } from '../src/index.ts';

const WORKSPACE_KEY = 'rk_live_workspace_key_for_tests';
const MISSING = 'fleet.type agent-relay needs the package @agent-relay/sdk: npm install @agent-relay/sdk';

describe('AgentRelayFleet.check', () => {
  it('resolves when @agent-relay/sdk is installed, without a request to the relay', async () => {
    // Nothing listens on the discard port: a request would fail.
    const fleet = new AgentRelayFleet({ workspaceKey: WORKSPACE_KEY, baseUrl: 'http://127.0.0.1:9' });
    await expect(fleet.check()).resolves.toBeUndefined();
  });
});

// A fresh node process per case: @agent-relay/sdk is an optional peer dependency, and the CLI must be
// able to import this package, whatever fleet it is configured with, without it.
describe('@agent-relay/sdk is an optional peer', () => {
  it('importing the package or building the fleet does not load it; first use does', async () => {
    const { reports } = await probe(`
      await import('@software-factory/fleets');
      await import('@software-factory/fleets/agent-relay');
      report('import');
      const { AgentRelayFleet } = await import('@software-factory/fleets');
      const fleet = new AgentRelayFleet({ workspaceKey: ${JSON.stringify(WORKSPACE_KEY)} });
      report('new AgentRelayFleet');
      await fleet.check();
      report('check');
    `);

    expect(reports).toEqual({
      import: [],
      'new AgentRelayFleet': [],
      check: ['@agent-relay/sdk'],
    });
  });

  it('without it, the fleet is still built, and check and every call say which package to install', async () => {
    const { answer } = await probe(
      `
      const { AgentRelayFleet } = await import('@software-factory/fleets');
      const pauses = [];
      const fleet = new AgentRelayFleet({
        workspaceKey: ${JSON.stringify(WORKSPACE_KEY)},
        baseUrl: 'http://127.0.0.1:9',
        sleep: async (ms) => { pauses.push(ms); },
      });
      const failure = (promise) =>
        promise.then(() => 'resolved', (error) => ({ name: error.name, message: error.message }));
      answer({
        check: await failure(fleet.check()),
        spawn: await failure(fleet.spawn({
          idempotencyKey: 'tenant-1/item-7/r1/a1', tenant: 'tenant-1', workItemId: 'item-7', workItemKey: 'ENG-7',
          attempt: 1, route: { name: 'app', repository: 'acme/app', agent: 'coder' },
          branch: 'factory/eng-7', task: 'Do it.', traceId: '0af7651916cd43dd8448eb211c80319c',
        })),
        status: await failure(fleet.status('factory-eng-7-000000000000')),
        release: await failure(fleet.release('factory-eng-7-000000000000')),
        pauses,
      });
    `,
      ['@agent-relay/sdk'],
    );

    const missing = { name: 'MissingPeerError', message: MISSING };
    expect(answer).toEqual({ check: missing, spawn: missing, status: missing, release: missing, pauses: [] });
  });
});
