import type { Mount } from '@software-factory/sdk';
import {
  clarificationChannelConformance,
  outputTargetConformance,
  sampleWorkItem,
  webhookSourceConformance,
  workItemProviderConformance,
} from '@software-factory/sdk/testing';
import { MountClarificationChannel } from '../../src/mount-clarification-channel.ts';
import { MountOutputTarget } from '../../src/mount-output-target.ts';
import { MountWorkItemProvider } from '../../src/mount-work-item-provider.ts';
import { signRelayDelivery } from '../../src/relay-signature.ts';
import { RelayfileMount } from '../../src/relayfile-mount.ts';
import { RelayfileWebhookSource } from '../../src/relayfile-webhook-source.ts';
import { issueFile, pullFile, STATE_IDS, TRACKER_STATES } from '../support/layout.ts';
import { RelayfileServer } from '../support/relayfile-server.ts';

const SECRET = 'relay-signing-secret-for-tests';
// relayfile holds the vendors' credentials; each port only reaches relayfile, through the mount.
const claims = { ownCredential: false };

/** relayfile on loopback, its tracker's workflow states known, and a mount over it that does not retry. */
async function relayfile(): Promise<{ server: RelayfileServer; mount: RelayfileMount }> {
  const server = await new RelayfileServer().start();
  for (const state of Object.values(TRACKER_STATES)) server.trackerStates.set(state.id, state);
  server.trackerLabels.set('label-0', { id: 'label-0', name: 'factory' });
  server.trackerLabels.set('label-wip', { id: 'label-wip', name: 'factory:in-progress' });
  const mount = new RelayfileMount({
    baseUrl: server.url,
    token: server.token,
    workspaceId: server.workspaceId,
    confirmIntervalMs: 1,
    maxRetries: 0,
  });
  return { server, mount };
}

/** What relayfile wrote back to the vendor under `prefix`, as the draft said it. */
function writtenBack(server: RelayfileServer, prefix: RegExp, field: 'body' | 'text'): string[] {
  return server.writtenBack
    .filter((write) => prefix.test(write.path))
    .map((write) => String((JSON.parse(write.content) as Record<string, unknown>)[field]));
}

workItemProviderConformance(
  'MountWorkItemProvider',
  async () => {
    const { server, mount } = await relayfile();
    const file = issueFile();
    server.putFile(file.path, file.content);
    return {
      provider: new MountWorkItemProvider({
        mount,
        stateIds: STATE_IDS,
        markerLabelIds: { inProgress: 'label-wip' },
      }),
      readyItem: 'KOR-11',
      absentItem: 'KOR-999',
      writes: () => server.writtenBack.length,
      comments: () => writtenBack(server, /\/comments\//, 'body'),
      stopVendor: () => server.stop(),
      close: () => server.stop(),
    };
  },
  claims,
);

clarificationChannelConformance(
  'MountClarificationChannel',
  async () => {
    const { server, mount } = await relayfile();
    return {
      channel: new MountClarificationChannel({ mount, channel: 'C111__general' }),
      item: sampleWorkItem({ key: 'KOR-11', title: 'Add a --json flag to the export command' }),
      messages: () => writtenBack(server, /^\/slack\/channels\//, 'text'),
      stopVendor: () => server.stop(),
      close: () => server.stop(),
    };
  },
  claims,
);

outputTargetConformance(
  'MountOutputTarget',
  async () => {
    const { server, mount } = await relayfile();
    const pull = pullFile();
    server.putFile(pull.path, pull.content);
    return {
      target: new MountOutputTarget({ mount, repositories: ['Codertocat/Hello-World'] }),
      output: { id: 'Codertocat/Hello-World#2', repository: 'Codertocat/Hello-World', branch: 'changes' },
      absentId: 'Codertocat/Hello-World#99',
      comments: () => writtenBack(server, /\/pulls\/2(__[^/]*)?\/comments\//, 'body'),
      stopVendor: () => server.stop(),
      close: () => server.stop(),
    };
  },
  claims,
);

/** Counts what the source asks of the mount: a refused delivery must ask nothing. */
function countingMount(mount: Mount): { mount: Mount; calls: () => number } {
  let calls = 0;
  const counted = <T>(call: () => T): T => {
    calls++;
    return call();
  };
  return {
    mount: {
      read: (path) => counted(() => mount.read(path)),
      write: (path, content) => counted(() => mount.write(path, content)),
      list: (prefix) => counted(() => mount.list(prefix)),
    },
    calls: () => calls,
  };
}

webhookSourceConformance(
  'RelayfileWebhookSource',
  async () => {
    const { server, mount } = await relayfile();
    const counted = countingMount(mount);
    const sources = [
      new MountWorkItemProvider({ mount: counted.mount, stateIds: STATE_IDS }),
      new MountClarificationChannel({ mount: counted.mount, channel: 'C111__general' }),
    ];
    return {
      source: new RelayfileWebhookSource({ secret: SECRET, mount: counted.mount, sources }),
      async deliver({ sentAt, delivery = 1, secret = SECRET, body }) {
        // Delivery n: relayfile's change event for an issue file, carrying the file as its snapshot.
        const file = issueFile({
          updatedAt: new Date(Date.parse('2026-01-01T10:00:00Z') + delivery).toISOString(),
        });
        const sent =
          body ??
          JSON.stringify({
            eventId: `evt_${String(delivery).padStart(6, '0')}`,
            type: 'file.updated',
            path: file.path,
            revision: `rev_${delivery}`,
            origin: 'provider_sync',
            provider: 'linear',
            correlationId: `corr_${delivery}`,
            timestamp: new Date(sentAt).toISOString(),
            snapshot: {
              path: file.path,
              contentType: 'application/json',
              encoding: 'utf-8',
              content: file.content,
            },
          });
        const timestamp = String(Math.floor(sentAt / 1000));
        return {
          body: sent,
          headers: {
            'content-type': 'application/json',
            'x-relay-timestamp': timestamp,
            'x-relay-signature': await signRelayDelivery(secret, timestamp, sent),
          },
        };
      },
      calls: counted.calls,
      close: () => server.stop(),
    };
  },
  { timestampToleranceMs: 5 * 60_000 },
);
