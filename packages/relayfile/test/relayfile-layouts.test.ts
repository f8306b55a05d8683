import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MountClarificationChannel } from '../src/mount-clarification-channel.ts';
import { MountOutputTarget } from '../src/mount-output-target.ts';
import { MountWorkItemProvider } from '../src/mount-work-item-provider.ts';
import { RelayfileMount } from '../src/relayfile-mount.ts';
import { fixture } from './support/layout.ts';
import { RelayfileServer } from './support/relayfile-server.ts';

/**
 * The files relayfile itself writes, read by the mount providers. The fixtures under
 * `fixtures/relayfile/` follow relayfile's own code (see fixtures/SOURCES.md): its cloud sync writes each
 * record as `{ provider, objectType, objectId, deleted, payload, connectionId? }`
 * (AgentWorkforce/relayfile-adapters@45d37b64, packages/{linear,github,slack}/src/emit-auxiliary-files.ts,
 * `renderContent`), and its GitHub adapter's own ingest writes the bare `PullRequestMetadata`
 * (packages/github/src/pr/parser.ts, `toPullRequestMetadata`).
 */

const ISSUE_ID = 'b4f7c3a0-6d1e-4c2b-9a8f-0e5d7c6b1a29';
const ISSUE_PATH = `/linear/issues/ENG-42__${ISSUE_ID}.json`;
const IN_PROGRESS = { id: '5f0c2a11-0000-4000-8000-00000000a001', name: 'In Progress', type: 'started' };
const DONE = { id: '5f0c2a11-0000-4000-8000-00000000a002', name: 'Done', type: 'completed' };
const DRAFT_PULL = '/github/repos/acme/app/pulls/7__add-a-json-flag-to-the-export-command/meta.json';
const READY_PULL = '/github/repos/acme/app/pulls/8__print-export-rows-as-json-lines/meta.json';
// relayfile-adapters packages/slack/src/path-mapper.ts: `threadReplyPath` under the bare channel id
// when the sync does not know the channel's name.
const BARE_REPLY = '/slack/channels/C0123ABCD/threads/1726133698_626339/replies/1726133700_887259/meta.json';

const text = (name: string) => JSON.stringify(fixture(`relayfile/${name}`));

let server: RelayfileServer;
let mount: RelayfileMount;

beforeEach(async () => {
  server = await new RelayfileServer().start();
  for (const state of [IN_PROGRESS, DONE]) server.trackerStates.set(state.id, state);
  mount = new RelayfileMount({
    baseUrl: server.url,
    token: server.token,
    workspaceId: server.workspaceId,
    confirmIntervalMs: 1,
  });
});
afterEach(() => server.stop());

describe('a Linear issue as relayfile’s cloud sync writes it (relayfile-adapters packages/linear/src/emit-auxiliary-files.ts@45d37b64)', () => {
  const provider = () =>
    new MountWorkItemProvider({ mount, stateIds: { dispatched: IN_PROGRESS.id, done: DONE.id } });

  it('is read from inside its sync wrapper: the item, its state, labels, team and link', () => {
    const { events } = provider().interpretFile(ISSUE_PATH, text('linear.issue.sync-envelope.json'));
    expect(events).toEqual([
      {
        type: 'work-item.changed',
        item: expect.objectContaining({
          id: ISSUE_ID,
          key: 'ENG-42',
          title: 'Add a --json flag to the export command',
          state: 'todo',
          labels: ['factory'],
          team: 'ENG',
          updatedAt: '2026-08-19T10:30:00.000Z',
          source: {
            provider: 'linear',
            externalId: ISSUE_ID,
            url: 'https://linear.app/acme/issue/ENG-42/add-a-json-flag-to-the-export-command',
          },
        }),
      },
    ]);
  });

  it('takes a state without a type by Linear’s default state names, and `updated_at` for `updatedAt`', () => {
    // The sync folds flattened fields (`state_name`, `stateId`) into `state`, with a type only when given.
    const record = fixture('relayfile/linear.issue.sync-envelope.json');
    const payload = record.payload as Record<string, unknown>;
    const { updatedAt, ...rest } = payload;
    const untyped = {
      ...record,
      payload: { ...rest, updated_at: updatedAt, state: { id: 'state-todo', name: 'Todo' } },
    };
    const item = provider().interpretFile(ISSUE_PATH, JSON.stringify(untyped)).events[0];
    expect(item).toMatchObject({ item: { state: 'todo', updatedAt: '2026-08-19T10:30:00.000Z' } });
  });

  it('ignores a record the sync marked deleted, with a reason', () => {
    const record = { ...fixture('relayfile/linear.issue.sync-envelope.json'), deleted: true };
    expect(provider().interpretFile(ISSUE_PATH, JSON.stringify(record))).toEqual({
      events: [],
      ignored: `${ISSUE_PATH} is marked deleted by relayfile`,
    });
  });

  it('moves the item with a partial write and sees the state the re-synced wrapper carries', async () => {
    server.putFile(ISSUE_PATH, text('linear.issue.sync-envelope.json'));
    const p = provider();
    const item = p.interpretFile(ISSUE_PATH, text('linear.issue.sync-envelope.json')).events[0];
    if (item?.type !== 'work-item.changed') throw new Error('expected the issue');
    await p.setState(item.item, 'dispatched', { idempotencyKey: 'k1' });
    expect(server.json(ISSUE_PATH)).toMatchObject({ objectType: 'issue', payload: { state: IN_PROGRESS } });
    // Already there: no second write.
    const writes = server.events.length;
    await p.setState(item.item, 'dispatched', { idempotencyKey: 'k1' });
    expect(server.events.length).toBe(writes);
  });
});

describe('a pull request’s meta.json and its draft flag (relayfile-adapters packages/github/src/emit-auxiliary-files.ts and pr/parser.ts@45d37b64)', () => {
  const target = () => new MountOutputTarget({ mount, repositories: ['acme/app'] });

  it('reads `draft` inside the sync wrapper, where relayfile’s cloud puts the GitHub pull request', () => {
    expect(target().interpretFile(DRAFT_PULL, text('github.pull.meta.sync-envelope.json'))).toEqual({
      events: [
        {
          type: 'output.changed',
          output: {
            id: 'acme/app#7',
            url: 'https://github.com/acme/app/pull/7',
            state: 'draft',
            branch: 'factory/eng-42',
            title: 'Add a --json flag to the export command',
            body: 'Adds `export --json`.',
            updatedAt: '2026-08-19T11:05:00Z',
          },
        },
      ],
    });
  });

  it('reads `draft` at the top of the adapter’s own PullRequestMetadata', () => {
    const { events } = target().interpretFile(READY_PULL, text('github.pull.meta.adapter-metadata.json'));
    expect(events[0]).toMatchObject({
      output: {
        id: 'acme/app#8',
        url: 'https://github.com/acme/app/pull/8',
        state: 'ready',
        branch: 'factory/eng-43',
      },
    });
  });

  it('takes a merged or closed pull request without a draft flag, and ignores an open one that has none', () => {
    const record = fixture('relayfile/github.pull.meta.sync-envelope.json');
    const payload = record.payload as Record<string, unknown>;
    const { draft: _draft, ...withoutDraft } = payload;
    const as = (changes: Record<string, unknown>) =>
      JSON.stringify({ ...record, payload: { ...withoutDraft, ...changes } });
    expect(
      target().interpretFile(DRAFT_PULL, as({ merged: true, merged_at: '2026-08-20T08:00:00Z' })).events[0],
    ).toMatchObject({
      output: { state: 'merged' },
    });
    expect(target().interpretFile(DRAFT_PULL, as({ state: 'closed' })).events[0]).toMatchObject({
      output: { state: 'closed' },
    });
    expect(target().interpretFile(DRAFT_PULL, as({})).ignored).toBe(
      `${DRAFT_PULL} is not a complete pull request record`,
    );
  });

  it('finds the pull request of a branch through the wrapper, as the tick does', async () => {
    server.putFile(DRAFT_PULL, text('github.pull.meta.sync-envelope.json'));
    server.putFile(READY_PULL, text('github.pull.meta.adapter-metadata.json'));
    expect(await target().findOutput('acme/app', 'factory/eng-42')).toMatchObject({
      id: 'acme/app#7',
      state: 'draft',
    });
    expect(await target().getOutput('acme/app#8')).toMatchObject({ state: 'ready' });
  });
});

describe('a Slack thread reply as relayfile’s cloud sync writes it (relayfile-adapters packages/slack/src/emit-auxiliary-files.ts@45d37b64)', () => {
  const channel = () => new MountClarificationChannel({ mount, channel: 'C0123ABCD__factory' });

  it('subscribes the channel under its bare id too, where the sync puts records when it lacks the name', () => {
    expect([...channel().pathGlobs].sort()).toEqual([
      '/slack/channels/C0123ABCD/**',
      '/slack/channels/C0123ABCD__factory/**',
    ]);
    expect(channel().owns(BARE_REPLY)).toBe(true);
  });

  it('reads the reply inside the wrapper, its thread and ts from `threadTs`/`replyTs`', () => {
    expect(channel().interpretFile(BARE_REPLY, text('slack.thread-reply.sync-envelope.json')).events).toEqual(
      [
        {
          type: 'clarification.replied',
          threadId: 'C0123ABCD:1726133698.626339',
          messageId: 'C0123ABCD:1726133700.887259',
          text: 'Use JSON lines, one row per line.',
          author: expect.objectContaining({ id: 'U0PERSON1' }),
        },
      ],
    );
  });
});
