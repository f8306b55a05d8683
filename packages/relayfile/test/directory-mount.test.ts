import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createFactory,
  DefaultTaskTemplate,
  type HandleResult,
  InMemoryStateStore,
  type MountChange,
  RuleTriage,
  resolveSettings,
} from '@software-factory/sdk';
import { FakeClarificationChannel, FakeFleet, FakeOutputTarget } from '@software-factory/sdk/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DirectoryMount } from '../src/directory-mount.ts';
import { draftFileName } from '../src/draft-name.ts';
import { interpretMountChange } from '../src/mount-event-source.ts';
import { MountWorkItemProvider } from '../src/mount-work-item-provider.ts';
import { watchMount } from '../src/watch-mount.ts';
import { issueFile, STATE_IDS } from './support/layout.ts';
import { deferred } from './support/until.ts';

let root: string;
let mount: DirectoryMount;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'factory-directory-mount-'));
  mount = new DirectoryMount(root);
});
afterEach(() => rm(root, { recursive: true, force: true }));

/** Resolves with the first change the mount reports that `accept` takes. */
async function nextChange(accept: (change: MountChange) => boolean, paths?: string[]) {
  let resolveChange: (change: MountChange) => void = () => {};
  const change = new Promise<MountChange>((resolve) => {
    resolveChange = resolve;
  });
  const subscription = mount.watch(
    (change) => {
      if (accept(change)) resolveChange(change);
    },
    paths ? { paths } : {},
  );
  await subscription.ready;
  return { change, close: () => subscription.close() };
}

describe('DirectoryMount (relayfile’s layout on a local folder)', () => {
  it('reads, writes and lists files by mount path', async () => {
    await mount.write('/linear/issues/KOR-1__a.json', '{"a":1}');
    await mount.write('/linear/issues/KOR-2__b.json', '{"b":2}');
    expect(await mount.read('/linear/issues/KOR-1__a.json')).toMatchObject({
      content: '{"a":1}',
      revision: expect.any(String),
    });
    expect(await mount.read('/linear/issues/none.json')).toBeUndefined();
    expect(await mount.list('/linear')).toEqual([
      '/linear/issues/KOR-1__a.json',
      '/linear/issues/KOR-2__b.json',
    ]);
    expect(await mount.list('/nothing-here')).toEqual([]);
  });

  it('refuses a path that climbs out of the folder', async () => {
    await expect(mount.read('/../../etc/passwd')).rejects.toThrow(/outside the mount/);
    await expect(mount.write('/linear/../../x', 'x')).rejects.toThrow(/outside the mount/);
  });

  it('turns an issue file dropped into the folder into work-item.changed', async () => {
    const provider = new MountWorkItemProvider({ mount, stateIds: STATE_IDS });
    const file = issueFile();
    const watching = await nextChange((change) => change.path === file.path, [...provider.pathGlobs]);
    await mkdir(join(root, 'linear', 'issues'), { recursive: true });
    await writeFile(join(root, file.path), file.content);
    const change = await watching.change;
    await watching.close();
    expect(change).toMatchObject({ type: 'file.created', path: file.path, content: file.content });
    const interpretation = await interpretMountChange(change, [provider], mount);
    expect(interpretation.events).toEqual([
      {
        type: 'work-item.changed',
        item: expect.objectContaining({ id: file.record.id, key: 'KOR-11', state: 'todo' }),
      },
    ]);
  });

  it('feeds a dropped issue to the factory with watchMount, which dispatches it and comments in the folder', async () => {
    const workItems = new MountWorkItemProvider({ mount, stateIds: STATE_IDS });
    const settings = resolveSettings({
      routes: [{ name: 'app', match: { labels: ['factory'] }, repository: 'o/r', agent: 'coder' }],
    });
    const store = new InMemoryStateStore();
    const factory = createFactory({
      tenant: 'demo',
      settings,
      ports: {
        store,
        workItems,
        clarifications: new FakeClarificationChannel(),
        outputs: new FakeOutputTarget(),
        fleet: new FakeFleet(),
        triage: new RuleTriage(settings.routes),
        template: new DefaultTaskTemplate(),
      },
    });
    const handled = deferred<HandleResult>();
    const failed = deferred<unknown>();
    const watching = watchMount({
      mount,
      sources: [workItems],
      factory,
      onResult: handled.resolve,
      onError: failed.resolve,
    });
    await (watching as { ready?: Promise<void> }).ready;
    const file = issueFile();
    await mkdir(join(root, 'linear', 'issues'), { recursive: true });
    await writeFile(join(root, file.path), file.content);
    const outcome = await Promise.race([
      handled.promise,
      failed.promise.then((error) => {
        throw error;
      }),
    ]);
    expect(outcome).toMatchObject({ event: 'work-item.changed', outcome: 'changed' });
    await watching.close();
    expect((await store.getRecord('demo', file.record.id))?.status).toBe('dispatched');
    expect(await mount.list(`/linear/issues/${file.record.id}/comments`)).toHaveLength(1);
  });

  it('reports an update and a delete of a file it has seen', async () => {
    await mount.write('/github/repos/o/r/pulls/1__x/meta.json', '{"draft":true}');
    const updated = await nextChange((change) => change.type === 'file.updated');
    await mount.write('/github/repos/o/r/pulls/1__x/meta.json', '{"draft":false}');
    expect(await updated.change).toMatchObject({
      path: '/github/repos/o/r/pulls/1__x/meta.json',
      content: '{"draft":false}',
    });
    await updated.close();
    const deleted = await nextChange((change) => change.type === 'file.deleted');
    await rm(join(root, 'github/repos/o/r/pulls/1__x/meta.json'));
    expect(await deleted.change).toMatchObject({ path: '/github/repos/o/r/pulls/1__x/meta.json' });
    await deleted.close();
  });

  it('lands a comment written through the provider as the draft file relayfile expects', async () => {
    const provider = new MountWorkItemProvider({ mount, stateIds: STATE_IDS });
    const file = issueFile();
    await mount.write(file.path, file.content);
    const item = await provider.getWorkItem('KOR-11');
    if (!item) throw new Error('the item should be found');
    await provider.postComment(item, 'Picked up by an agent.', { idempotencyKey: 'acme/item/r1/c1' });
    await provider.setState(item, 'dispatched', { idempotencyKey: 'acme/item/r1/s1' });
    const draft = join(
      root,
      'linear/issues',
      file.record.id,
      'comments',
      await draftFileName('acme/item/r1/c1'),
    );
    expect(JSON.parse(await readFile(draft, 'utf8'))).toEqual({ body: 'Picked up by an agent.' });
    expect(JSON.parse(await readFile(join(root, file.path), 'utf8'))).toEqual({
      stateId: STATE_IDS.dispatched,
    });
  });
});
