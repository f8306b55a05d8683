import type { Mount } from '@software-factory/sdk';
import { sampleWorkItem } from '@software-factory/sdk/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { draftFileName } from '../src/draft-name.ts';
import { MountClarificationChannel } from '../src/mount-clarification-channel.ts';
import { MountOutputTarget } from '../src/mount-output-target.ts';
import { MountWorkItemProvider } from '../src/mount-work-item-provider.ts';
import { RelayfileMount } from '../src/relayfile-mount.ts';
import { fixture, issueFile, pullFile, replyFile, STATE_IDS, TRACKER_STATES } from './support/layout.ts';
import { RelayfileServer } from './support/relayfile-server.ts';

let server: RelayfileServer;
let mount: RelayfileMount;

beforeEach(async () => {
  server = await new RelayfileServer().start();
  for (const state of Object.values(TRACKER_STATES)) server.trackerStates.set(state.id, state);
  mount = new RelayfileMount({
    baseUrl: server.url,
    token: server.token,
    workspaceId: server.workspaceId,
    confirmIntervalMs: 1,
  });
});
afterEach(() => server.stop());

describe('MountWorkItemProvider (the tracker in relayfile’s layout)', () => {
  const provider = () => new MountWorkItemProvider({ mount, stateIds: STATE_IDS });

  it('turns a changed issue record into work-item.changed with the abstract state and labels', () => {
    const file = issueFile();
    const { events } = provider().interpretFile(file.path, file.content);
    expect(events).toEqual([
      {
        type: 'work-item.changed',
        item: expect.objectContaining({
          id: file.record.id,
          key: 'KOR-11',
          title: file.record.title,
          state: 'todo',
          labels: ['factory'],
          team: 'KOR',
          updatedAt: '2021-01-30T11:24:17.747Z',
          source: { provider: 'linear', externalId: file.record.id, url: file.record.url },
        }),
      },
    ]);
  });

  it('reads the Backlog state of the captured create payload as backlog, not ready', () => {
    const data = fixture('linear/issue.create.korosuke613.json').data as Record<string, unknown>;
    const { events } = provider().interpretFile(
      `/linear/issues/KOR-11__${data.id}.json`,
      JSON.stringify(data),
    );
    const item = events[0]?.type === 'work-item.changed' ? events[0].item : undefined;
    expect(item).toMatchObject({ key: 'KOR-11', state: 'backlog', labels: [] });
    expect(item && provider().isReadyForDispatch(item)).toBe(false);
  });

  it('ignores files in the issues folder that are not issue records, with a reason', () => {
    const p = provider();
    expect(p.interpretFile('/linear/issues/_index.json', '[]').ignored).toMatch(/not an issue record/);
    expect(p.interpretFile('/linear/issues/KOR-1__id.json', '{"stateId":"x"}').ignored).toMatch(
      /not a complete issue/,
    );
    expect(p.interpretFile('/linear/issues/KOR-1__id.json', 'not json').ignored).toMatch(
      /not a complete issue/,
    );
    expect(p.owns('/slack/channels/C1/x.json')).toBe(false);
  });

  // Once per write, read back, one comment per key, unknown refs, connection: the conformance suites
  // (conformance/mount-providers.test.ts).
  it('moves an item by writing its stateId to the issue file', async () => {
    const file = issueFile();
    server.putFile(file.path, file.content);
    const item = await provider().getWorkItem('KOR-11');
    if (!item) throw new Error('the item should be found by its key');
    await provider().setState(item, 'dispatched', { idempotencyKey: 'acme/x/r1/e1' });
    expect(server.json(file.path)).toMatchObject({
      stateId: STATE_IDS.dispatched,
      state: TRACKER_STATES.inProgress,
    });
  });

  describe('lifecycle markers (label ids) and confirmation by reading back', () => {
    const MARKERS = { inProgress: 'label-wip', needsReview: 'label-review' };
    const marked = () =>
      new MountWorkItemProvider({
        mount,
        stateIds: { ...STATE_IDS, needsReview: TRACKER_STATES.inReview.id },
        markerLabelIds: MARKERS,
      });
    beforeEach(() => {
      server.trackerLabels.set('label-0', { id: 'label-0', name: 'factory' });
      server.trackerLabels.set('label-wip', { id: 'label-wip', name: 'factory:in-progress' });
      server.trackerLabels.set('label-review', { id: 'label-review', name: 'factory:needs-review' });
    });
    const labelNames = (path: string) =>
      ((server.json(path)?.labels ?? []) as { name: string }[]).map((label) => label.name);

    it('writes the state and the in-progress label together, swaps to review, and clears both at done', async () => {
      const file = issueFile();
      server.putFile(file.path, file.content);
      const item = (await marked().getWorkItem('KOR-11'))!;
      await marked().setState(item, 'dispatched', { idempotencyKey: 'k1' });
      expect(server.json(file.path)).toMatchObject({
        stateId: STATE_IDS.dispatched,
        labelIds: ['label-0', 'label-wip'],
      });
      expect(labelNames(file.path)).toEqual(['factory', 'factory:in-progress']);
      await marked().setState(item, 'needs-review', { idempotencyKey: 'k2' });
      expect(server.json(file.path)).toMatchObject({ state: TRACKER_STATES.inReview });
      expect(labelNames(file.path)).toEqual(['factory', 'factory:needs-review']);
      await marked().setState(item, 'done', { idempotencyKey: 'k3' });
      expect(server.json(file.path)).toMatchObject({ state: TRACKER_STATES.done });
      expect(labelNames(file.path)).toEqual(['factory']);
    });

    it('cancelled clears the markers and writes no state', async () => {
      const file = issueFile();
      server.putFile(file.path, file.content);
      const item = (await marked().getWorkItem('KOR-11'))!;
      await marked().setState(item, 'dispatched', { idempotencyKey: 'k1' });
      await marked().setState(item, 'cancelled', { idempotencyKey: 'k2' });
      expect(labelNames(file.path)).toEqual(['factory']);
      expect(server.json(file.path)).toMatchObject({ state: TRACKER_STATES.inProgress });
    });

    it('throws when relayfile reports the write-back done but the record does not show it; the retry lands it', async () => {
      const file = issueFile();
      server.putFile(file.path, file.content);
      const item = (await marked().getWorkItem('KOR-11'))!;
      server.forgetWritebacks = 1;
      await expect(marked().setState(item, 'dispatched', { idempotencyKey: 'k1' })).rejects.toThrow(
        `the tracker did not keep dispatched on KOR-11: its state is not ${STATE_IDS.dispatched}; label label-wip is not on it`,
      );
      await marked().setState(item, 'dispatched', { idempotencyKey: 'k1' });
      expect(labelNames(file.path)).toEqual(['factory', 'factory:in-progress']);
    });

    it('refuses an empty marker label id', () => {
      expect(
        () => new MountWorkItemProvider({ mount, stateIds: STATE_IDS, markerLabelIds: { inProgress: '' } }),
      ).toThrow(/markerLabelIds\.inProgress/);
    });
  });

  it('hides the run’s trace id in an HTML comment at the end of the comment draft', async () => {
    const written: { path: string; content: string }[] = [];
    const recording: Mount = {
      read: (path) => mount.read(path),
      list: (prefix) => mount.list(prefix),
      write: (path, content) => {
        written.push({ path, content });
        return mount.write(path, content);
      },
    };
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const item = sampleWorkItem({ id: 'ISSUE-UUID' });
    await new MountWorkItemProvider({ mount: recording, stateIds: STATE_IDS }).postComment(item, 'Done.', {
      idempotencyKey: 'acme/ISSUE-UUID/r1/c9',
      traceId,
    });
    expect(written.map((write) => JSON.parse(write.content))).toEqual([
      { body: `Done.\n\n<!-- factory-trace-id: ${traceId} -->` },
    ]);
  });

  it('posts a comment as a draft named after the idempotency key, which relayfile writes back', async () => {
    const item = sampleWorkItem({ id: 'ISSUE-UUID' });
    const p = provider();
    await p.postComment(item, 'Dispatched to an agent.', { idempotencyKey: 'acme/ISSUE-UUID/r1/c1' });
    const draft = `/linear/issues/ISSUE-UUID/comments/${await draftFileName('acme/ISSUE-UUID/r1/c1')}`;
    expect(server.paths('/linear/issues/ISSUE-UUID/comments/')).toEqual([draft]);
    expect(server.ops.size).toBe(1);
    expect(server.json(draft)).toHaveProperty('created');
  });

  it('finds an item by id, key or URL', async () => {
    const file = issueFile();
    server.putFile(file.path, file.content);
    for (const ref of [file.record.id, 'KOR-11', file.record.url])
      expect((await provider().getWorkItem(ref))?.id).toBe(file.record.id);
  });

  it('refuses a configuration without the states it writes', () => {
    expect(() => new MountWorkItemProvider({ mount, stateIds: { dispatched: 'x', done: '' } })).toThrow(
      /stateIds\.done/,
    );
  });
});

describe('MountClarificationChannel (the chat in relayfile’s layout)', () => {
  const channel = () =>
    new MountClarificationChannel({ mount, channel: 'C111__general', botUserId: 'UFACTORY' });

  it('turns a thread reply’s meta.json into clarification.replied keyed by channel and thread ts', () => {
    const file = replyFile();
    expect(channel().owns(file.path)).toBe(true);
    expect(channel().interpretFile(file.path, file.content).events).toEqual([
      {
        type: 'clarification.replied',
        threadId: 'C111:1726133698.626339',
        messageId: 'C111:1726133700.887259',
        text: 'When Slack was released?',
        author: { id: 'W222', trusted: true, reason: 'replied in the clarification channel C111' },
      },
    ]);
  });

  it('trusts a person replying in the configured channel by default (the mount lists no members; only members post)', () => {
    const file = replyFile();
    const elsewhere = file.path.replace('C111__general', 'C999__random');
    expect(channel().interpretFile(elsewhere, file.content).events[0]).toMatchObject({
      author: { id: 'W222', trusted: false, reason: 'replied in C999, not in the clarification channel' },
    });
  });

  it('with trustedAuthors, trusts listed user ids only when roles are [], and refuses names for ids', () => {
    const file = replyFile();
    const listedOnly = (users: string[]) =>
      new MountClarificationChannel({
        mount,
        channel: 'C111__general',
        trustedAuthors: { roles: [], users },
      });
    expect(listedOnly(['U0ANA']).interpretFile(file.path, file.content).events[0]).toMatchObject({
      author: { id: 'W222', trusted: false, reason: 'no role is trusted; not in trustedAuthors.users' },
    });
    expect(listedOnly(['W222']).interpretFile(file.path, file.content).events[0]).toMatchObject({
      author: { id: 'W222', trusted: true, reason: 'W222 is listed in trustedAuthors.users' },
    });
    expect(() => listedOnly(['ana'])).toThrow(
      'MountClarificationChannel: trustedAuthors: users.0: expected a user id such as U0123ABCD (names change; ids do not)',
    );
  });

  it('does not take a bot’s message for an answer', () => {
    const event = fixture('slack/event_callback.message.bot_id.json').event as Record<string, unknown>;
    const path =
      '/slack/channels/C111__general/threads/1610144875_000600/replies/1610144875_000700/meta.json';
    const content = JSON.stringify({ ...event, thread_ts: '1610144875.000600' });
    expect(channel().interpretFile(path, content).ignored).toMatch(/own messages/);
  });

  it('opens a thread by writing a message draft and answers the id the chat gave it', async () => {
    const item = sampleWorkItem();
    const opened = await channel().openThread(item, 'What does done look like?', {
      idempotencyKey: 'k-open',
    });
    expect(opened.threadId).toMatch(/^C111:\d+\.\d+$/);
    expect(opened.url).toMatch(/^https:\/\/slack\.example\//);
    expect(server.paths('/slack/channels/C111__general/messages/')).toHaveLength(1);
  });

  it('replies in the thread under the message’s ts token, in a draft named after the key', async () => {
    await channel().reply('C111:1726133698.626339', 'Thanks!', { idempotencyKey: 'k-reply' });
    const prefix = '/slack/channels/C111__general/messages/1726133698_626339/replies/';
    expect(server.paths(prefix)).toEqual([`${prefix}${await draftFileName('k-reply')}`]);
  });

  it('refuses a channel that is not an id or <id>__<name>', () => {
    expect(() => new MountClarificationChannel({ mount, channel: '../etc' })).toThrow(/channel/);
  });
});

describe('MountOutputTarget (pull requests in relayfile’s layout)', () => {
  const target = () => new MountOutputTarget({ mount, repositories: ['Codertocat/Hello-World'] });

  it('turns a pull request meta.json into output.changed: ready, draft or merged, with its update time', () => {
    const ready = pullFile();
    expect(target().interpretFile(ready.path, ready.content).events).toEqual([
      {
        type: 'output.changed',
        output: expect.objectContaining({
          id: 'Codertocat/Hello-World#2',
          url: 'https://github.com/Codertocat/Hello-World/pull/2',
          state: 'ready',
          branch: 'changes',
          // meta.json's `updatedAt`, the example's pull_request.updated_at: the core orders events by it.
          updatedAt: '2019-05-15T15:21:18Z',
        }),
      },
    ]);
    const draft = pullFile('github/pull_request.converted_to_draft.draft.json');
    expect(target().interpretFile(draft.path, draft.content).events[0]).toMatchObject({
      output: { state: 'draft' },
    });
    const merged = pullFile(undefined, { merged: true });
    expect(target().interpretFile(merged.path, merged.content).events[0]).toMatchObject({
      output: { state: 'merged' },
    });
  });

  it('owns only the configured repositories', () => {
    expect(target().owns(pullFile().path)).toBe(true);
    expect(target().owns('/github/repos/other/repo/pulls/1__x/meta.json')).toBe(false);
    expect(target().pathGlobs).toEqual(['/github/repos/Codertocat/Hello-World/pulls/*/meta.json']);
  });

  it('finds the output on a branch for the tick’s reconciliation, and by id', async () => {
    const mine = pullFile(undefined, { branch: 'factory/kor-11', number: 7 });
    server.putFile(pullFile().path, pullFile().content);
    server.putFile(mine.path, mine.content);
    expect(await target().findOutput('Codertocat/Hello-World', 'factory/kor-11')).toMatchObject({
      id: 'Codertocat/Hello-World#7',
      branch: 'factory/kor-11',
      state: 'ready',
    });
    expect(await target().getOutput('Codertocat/Hello-World#7')).toMatchObject({ branch: 'factory/kor-11' });
    expect(await target().getOutput('not an id')).toBeUndefined();
  });

  it('refuses a repository that is not owner/repo', () => {
    expect(() => new MountOutputTarget({ mount, repositories: ['just-a-name'] })).toThrow(/owner\/repo/);
  });
});
