import { DirectoryMount } from '@software-factory/relayfile/directory-mount';
import { beforeEach, describe, expect, it } from 'vitest';
import { LocalWritebackMount } from '../src/local-writeback-mount.ts';
import { testFolder } from './support/temp-folder.ts';

const ISSUE = '/linear/issues/ENG-7__0b7c2d4e-1111-4222-8333-444455556666.json';
const STATE_IDS = { dispatched: 'state-started', done: 'state-done' };
let folder: DirectoryMount;
let mount: LocalWritebackMount;
let now: number;

beforeEach(async () => {
  folder = new DirectoryMount(await testFolder('factory-writeback-'));
  now = Date.parse('2026-03-01T10:00:00.000Z');
  mount = new LocalWritebackMount(folder, { stateIds: STATE_IDS, now: () => now });
});

async function json(file: string): Promise<Record<string, unknown>> {
  return JSON.parse((await folder.read(file))?.content ?? 'null') as Record<string, unknown>;
}

describe('a local folder answering writes the way relayfile’s write-back does', () => {
  it('posts a chat message draft: it gets a timestamp, and says where replies go', async () => {
    await mount.write('/slack/channels/C0AB__factory/messages/factory-1.json', '{"text":"What is done?"}');
    expect(await json('/slack/channels/C0AB__factory/messages/factory-1.json')).toEqual({
      text: 'What is done?',
      created: '1772359200.000000',
      ts: '1772359200.000000',
      user: 'factory',
      replies: '/slack/channels/C0AB__factory/threads/1772359200_000000/replies/',
    });
  });

  it('gives every message its own, increasing timestamp', async () => {
    await mount.write('/slack/channels/C0AB/messages/a.json', '{"text":"one"}');
    await mount.write('/slack/channels/C0AB/messages/1772359200_000000/replies/b.json', '{"text":"two"}');
    const first = (await json('/slack/channels/C0AB/messages/a.json')).created as string;
    const second = (await json('/slack/channels/C0AB/messages/1772359200_000000/replies/b.json'))
      .created as string;
    expect(Number(second)).toBeGreaterThan(Number(first));
  });

  it('applies a state change to the issue and stamps it later than the snapshot it changed', async () => {
    const issue = {
      id: '0b7c2d4e-1111-4222-8333-444455556666',
      title: 'Fix it',
      updatedAt: '2026-03-01T10:00:00.000Z',
      state: { id: 'state-todo', name: 'Todo', type: 'unstarted' },
    };
    await folder.write(ISSUE, JSON.stringify(issue));
    await mount.write(ISSUE, JSON.stringify({ stateId: STATE_IDS.done }));
    expect(await json(ISSUE)).toEqual({
      ...issue,
      state: { id: 'state-done', name: 'Done', type: 'completed' },
      updatedAt: '2026-03-01T10:00:00.001Z',
    });
  });

  it('refuses a state it does not know, and leaves the issue as it was', async () => {
    const issue = JSON.stringify({ id: 'x', title: 'Fix it', updatedAt: '2026-03-01T09:00:00.000Z' });
    await folder.write(ISSUE, issue);
    await expect(mount.write(ISSUE, JSON.stringify({ stateId: 'state-nobody-knows' }))).rejects.toThrow(
      'no such issue or state',
    );
    expect((await folder.read(ISSUE))?.content).toBe(issue);
  });

  it('passes every other write through unchanged', async () => {
    const comment = '{"body":"An agent is working on this."}';
    await mount.write('/linear/issues/0b7c2d4e/comments/factory-9.json', comment);
    expect((await folder.read('/linear/issues/0b7c2d4e/comments/factory-9.json'))?.content).toBe(comment);
    const posted = '{"text":"old","created":"1.000001"}';
    await mount.write('/slack/channels/C0AB/messages/c.json', posted);
    expect((await folder.read('/slack/channels/C0AB/messages/c.json'))?.content).toBe(posted);
  });
});
