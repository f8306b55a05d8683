import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RelayfileMount } from '../src/relayfile-mount.ts';
import { RelayfileServer } from './support/relayfile-server.ts';

describe('RelayfileMount over @relayfile/sdk against a loopback relayfile', () => {
  let server: RelayfileServer;
  let mount: RelayfileMount;

  beforeEach(async () => {
    server = await new RelayfileServer({ treePageSize: 2 }).start();
    mount = new RelayfileMount({
      baseUrl: server.url,
      token: server.token,
      workspaceId: server.workspaceId,
      confirmIntervalMs: 1,
    });
  });
  afterEach(() => server.stop());

  it('reads a file relayfile holds, and answers undefined for one it does not', async () => {
    server.putFile('/linear/issues/KOR-11__abc.json', '{"id":"abc"}');
    expect(await mount.read('/linear/issues/KOR-11__abc.json')).toMatchObject({
      path: '/linear/issues/KOR-11__abc.json',
      content: '{"id":"abc"}',
      revision: expect.stringMatching(/^rev_/),
    });
    expect(await mount.read('/linear/issues/missing.json')).toBeUndefined();
  });

  it('lists every file under a prefix, across pages of the tree', async () => {
    for (const name of ['a', 'b', 'c', 'd', 'e'])
      server.putFile(`/github/repos/o/r/pulls/${name}/meta.json`, '{}');
    server.putFile('/linear/issues/x.json', '{}');
    expect(await mount.list('/github/repos/o/r/pulls')).toEqual(
      ['a', 'b', 'c', 'd', 'e'].map((name) => `/github/repos/o/r/pulls/${name}/meta.json`),
    );
  });

  it('resolves a plain write once relayfile stored it', async () => {
    const { revision } = await mount.write('/notes/plan.md', '# plan');
    expect(server.files.get('/notes/plan.md')).toMatchObject({ content: '# plan', revision });
  });

  it('resolves a write that relayfile writes back to the vendor only after the write-back succeeded', async () => {
    await mount.write('/linear/issues/ISSUE-UUID/comments/draft.json', '{"body":"hi"}');
    const [op] = [...server.ops.values()];
    expect(op?.status).toBe('succeeded');
    expect(server.json('/linear/issues/ISSUE-UUID/comments/draft.json')).toHaveProperty('created');
  });

  it('rejects a write whose write-back failed, naming the vendor error', async () => {
    server.writebackOutcome = 'failed';
    await expect(
      mount.write('/linear/issues/ISSUE-UUID/comments/draft.json', '{"body":"hi"}'),
    ).rejects.toThrow(
      /write-back of \/linear\/issues\/ISSUE-UUID\/comments\/draft\.json failed: provider rejected/,
    );
  });

  it('surfaces a wrong token as an error instead of an empty mount', async () => {
    const wrong = new RelayfileMount({
      baseUrl: server.url,
      token: 'wrong',
      workspaceId: server.workspaceId,
      maxRetries: 0,
    });
    await expect(wrong.read('/linear/issues/x.json')).rejects.toThrow(/invalid bearer token/);
    await expect(wrong.list('/linear/issues')).rejects.toThrow(/invalid bearer token/);
  });

  it('refuses to be built without a workspace or a token', () => {
    expect(() => new RelayfileMount({ baseUrl: server.url, token: '', workspaceId: 'ws' })).toThrow(
      /token is required/,
    );
    expect(() => new RelayfileMount({ baseUrl: server.url, token: 't', workspaceId: '' })).toThrow(
      /workspaceId is required/,
    );
  });
});
