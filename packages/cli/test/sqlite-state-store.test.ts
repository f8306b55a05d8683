import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  describeStateStoreConformance,
  FactoryHarness,
  FaultInjector,
  sampleRecord,
  slotsIn,
} from '@software-factory/sdk/testing';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { SQLITE_SCHEMA_VERSION } from '../src/sqlite-schema.ts';
import { SqliteStateStore } from '../src/sqlite-state-store.ts';

const run = promisify(execFile);
const workDir = mkdtempSync(join(tmpdir(), 'factory-sqlite-'));
const opened: SqliteStateStore[] = [];
let fileCounter = 0;

/** A store that is closed after the suite; `path` defaults to a fresh file in the temp dir. */
function openStore(path = freshFile(), options = {}): SqliteStateStore {
  const store = new SqliteStateStore(path, options);
  opened.push(store);
  return store;
}

function freshFile(): string {
  fileCounter += 1;
  return join(workDir, `state-${fileCounter}.db`);
}

afterAll(() => {
  for (const store of opened) store.close();
  rmSync(workDir, { recursive: true, force: true });
});

describeStateStoreConformance('SqliteStateStore on :memory:', () => openStore(':memory:'));

// Every check opens a new connection to one shared file: the suite then also proves that several
// instances over one file behave as one store.
const sharedFile = join(workDir, 'conformance.db');
describeStateStoreConformance('SqliteStateStore on a file', () => openStore(sharedFile));

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe.skipIf(process.platform === 'win32')(
  'the state file holds work-item text: only its owner reads it',
  () => {
    /** Runs `body` under the most permissive umask, so what is private is so by the code. */
    function underUmask0(body: () => void): void {
      const umask = process.umask(0);
      try {
        body();
      } finally {
        process.umask(umask);
      }
    }

    it('the file, its -wal and -shm are 0600 in a new 0700 folder, whatever the umask', async () => {
      const folder = join(workDir, 'private-new', 'state');
      const path = join(folder, 'state.sqlite');
      let store: SqliteStateStore | undefined;
      underUmask0(() => {
        store = openStore(path);
      });
      await store?.commit('t', { record: sampleRecord('w-1') });
      expect(modeOf(folder)).toBe(0o700);
      expect(modeOf(join(workDir, 'private-new'))).toBe(0o700);
      for (const file of [path, `${path}-wal`, `${path}-shm`])
        expect([file, modeOf(file)]).toEqual([file, 0o600]);
    });

    it('an existing wider folder, file, -wal and -shm this user owns are tightened when the store opens', async () => {
      const folder = join(workDir, 'private-old');
      const path = join(folder, 'state.sqlite');
      mkdirSync(folder);
      // As an earlier version left them: 0644 files in a 0755 folder.
      underUmask0(() => {
        const earlier = new DatabaseSync(path);
        earlier.exec('PRAGMA journal_mode = WAL; CREATE TABLE kept (x); INSERT INTO kept VALUES (1);');
        for (const file of [path, `${path}-wal`, `${path}-shm`]) chmodSync(file, 0o644);
        chmodSync(folder, 0o755);
        const store = openStore(path);
        earlier.close();
        void store;
      });
      expect(modeOf(folder)).toBe(0o700);
      for (const file of [path, `${path}-wal`, `${path}-shm`])
        expect([file, modeOf(file)]).toEqual([file, 0o600]);
    });
  },
);

describe('opening a SqliteStateStore', () => {
  it('creates the file in WAL mode with the current schema version', () => {
    const path = freshFile();
    openStore(path);
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      expect(db.prepare('PRAGMA journal_mode').get()?.journal_mode).toBe('wal');
      expect(db.prepare('SELECT max(version) AS v FROM schema_version').get()?.v).toBe(SQLITE_SCHEMA_VERSION);
    } finally {
      db.close();
    }
  });

  it('creates missing parent directories', async () => {
    const store = openStore(join(workDir, 'nested', 'deeper', 'state.db'));
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('keeps what was written when the file is opened again', async () => {
    const path = freshFile();
    const first = openStore(path);
    await first.commit('t', { record: sampleRecord('w-1', { reason: 'persisted' }) });
    first.close();
    expect((await openStore(path).getRecord('t', 'w-1'))?.reason).toBe('persisted');
  });

  it('fails with one line naming the path when the location cannot be written', () => {
    const blocker = join(workDir, 'a-file-not-a-directory');
    writeFileSync(blocker, 'x');
    const path = join(blocker, 'state.db');
    let message = '';
    try {
      new SqliteStateStore(path);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(`cannot open ${path}`);
    expect(message).not.toContain('\n');
  });

  it('fails with one line naming the path when the file is not a database', () => {
    const path = join(workDir, 'not-a-database.db');
    writeFileSync(path, 'this is plain text, not SQLite '.repeat(100));
    expect(() => new SqliteStateStore(path)).toThrow(
      `SqliteStateStore: cannot open ${path}: file is not a database`,
    );
  });

  it('refuses a file written by a newer schema and leaves it as it was', () => {
    const path = freshFile();
    openStore(path).close();
    const db = new DatabaseSync(path);
    db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(SQLITE_SCHEMA_VERSION + 1);
    db.close();
    expect(() => new SqliteStateStore(path)).toThrow(
      `schema version ${SQLITE_SCHEMA_VERSION + 1}, newer than this build understands (${SQLITE_SCHEMA_VERSION})`,
    );
    const check = new DatabaseSync(path, { readOnly: true });
    expect(check.prepare('SELECT max(version) AS v FROM schema_version').get()?.v).toBe(
      SQLITE_SCHEMA_VERSION + 1,
    );
    check.close();
  });

  it('rejects every call once closed', async () => {
    const store = openStore(':memory:');
    store.close();
    store.close();
    await expect(store.ping()).rejects.toThrow('SqliteStateStore: :memory: is closed');
    await expect(store.getRecord('t', 'w-1')).rejects.toThrow('is closed');
    await expect(store.commit('t', { record: sampleRecord('w-1') })).rejects.toThrow('is closed');
  });
});

describe('what a power loss keeps', () => {
  /** The work items in the database file alone, as if the log had never reached the disk. */
  function recordsInTheFileAlone(path: string): string[] {
    const copy = `${path}.without-log`;
    copyFileSync(path, copy);
    const db = new DatabaseSync(copy);
    try {
      return db
        .prepare('SELECT work_item_id FROM records')
        .all()
        .map((row) => String(row.work_item_id));
    } finally {
      db.close();
    }
  }

  it('a write is synced to the disk within the sync interval, not only when the store closes', async () => {
    const path = freshFile();
    openStore(path).close(); // the schema is in the file itself from here on
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const store = openStore(path, { syncIntervalMs: 1_000 });
      await store.commit('t', { record: sampleRecord('w-1') });
      await store.rememberEvent('t', 'delivery-1', { now: 1, expiresAt: 2 });
      expect(recordsInTheFileAlone(path)).toEqual([]);
      vi.advanceTimersByTime(999);
      expect(recordsInTheFileAlone(path)).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(recordsInTheFileAlone(path)).toEqual(['w-1']);
      expect(vi.getTimerCount()).toBe(0);
      await store.commit('t', { record: sampleRecord('w-2') });
      expect(vi.getTimerCount()).toBe(1);
      store.close();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses a sync interval that is not a positive number', () => {
    for (const syncIntervalMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => new SqliteStateStore(':memory:', { syncIntervalMs })).toThrow(
        'SqliteStateStore: syncIntervalMs must be a positive number of milliseconds',
      );
  });
});

describe('bad arguments to a SqliteStateStore', () => {
  it('a limit that is not a number is an error, a negative one returns nothing', async () => {
    const store = openStore(':memory:');
    await store.commit('t', { record: sampleRecord('w-1', { wakeAt: 1 }) });
    await expect(store.listDue('t', 10, Number.NaN)).rejects.toThrow(/limit must be a number/);
    expect(await store.listDue('t', 10, -5)).toEqual([]);
    expect((await store.listRecords('t', { limit: 0 })).records).toEqual([]);
  });

  it('an empty status filter matches no record', async () => {
    const store = openStore(':memory:');
    await store.commit('t', { record: sampleRecord('w-1') });
    expect((await store.listRecords('t', { statuses: [] })).records).toEqual([]);
  });
});

describe('expired de-duplication rows', () => {
  it('are purged opportunistically by rememberEvent once the purge interval has passed', async () => {
    const path = freshFile();
    const store = openStore(path, { eventPurgeIntervalMs: 1_000 });
    expect((await store.rememberEvent('t', 'old-1', { now: 0, expiresAt: 100 })).fresh).toBe(true);
    expect((await store.rememberEvent('t', 'old-2', { now: 10, expiresAt: 100 })).fresh).toBe(true);
    expect((await store.rememberEvent('u', 'live', { now: 20, expiresAt: 5_000 })).fresh).toBe(true);
    expect(countEvents(path)).toBe(3);
    // Within the interval nothing is purged, even though old-1 and old-2 have expired.
    expect((await store.rememberEvent('t', 'new-1', { now: 500, expiresAt: 5_000 })).fresh).toBe(true);
    expect(countEvents(path)).toBe(4);
    expect((await store.rememberEvent('t', 'new-2', { now: 1_000, expiresAt: 5_000 })).fresh).toBe(true);
    expect(countEvents(path)).toBe(3);
    expect((await store.rememberEvent('u', 'live', { now: 1_000, expiresAt: 6_000 })).fresh).toBe(false);
  });

  it('can be purged explicitly, counting what was removed', async () => {
    const store = openStore(':memory:');
    await store.rememberEvent('t', 'a', { now: 0, expiresAt: 10 });
    await store.rememberEvent('t', 'b', { now: 0, expiresAt: 20 });
    expect(store.purgeExpiredEvents(10)).toBe(1);
    expect(store.purgeExpiredEvents(10)).toBe(0);
    expect((await store.rememberEvent('t', 'b', { now: 15, expiresAt: 30 })).fresh).toBe(false);
  });
});

function countEvents(path: string): number {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return Number(db.prepare('SELECT count(*) AS n FROM events').get()?.n);
  } finally {
    db.close();
  }
}

describe('several processes over one file', () => {
  const storeModule = fileURLToPath(new URL('../src/sqlite-state-store.ts', import.meta.url));
  const workerScript = `
    import { SqliteStateStore } from ${JSON.stringify(storeModule)};
    const [path, worker] = process.argv.slice(1);
    const store = new SqliteStateStore(path);
    const won = { creates: 0, events: 0, updates: 0 };
    for (let n = 0; n < 100; n++) {
      const record = { workItemId: 'w-' + n, version: 1, status: 'new', reason: 'worker ' + worker, pending: [], history: [] };
      if (await store.commit('t', { record })) won.creates++;
      if ((await store.rememberEvent('t', 'delivery-' + n, { now: 1, expiresAt: 1000 })).fresh) won.events++;
      // The record's next version with the shared document, both or neither.
      const shared = await store.getDocument('t', 'shared');
      const updated = { ...record, version: 2, reason: 'updated by ' + worker };
      const count = (shared?.value?.updates ?? 0) + 1;
      const document = { name: 'shared', value: { updates: count }, expectedVersion: shared?.version ?? 0 };
      if (await store.commit('t', { record: updated, document })) won.updates++;
    }
    store.close();
    process.stdout.write(JSON.stringify(won));
  `;

  it('four processes racing on the same keys: each create and delivery wins once, and every commit moves its record and the shared document together', async () => {
    const path = freshFile();
    openStore(path).close();
    const results = await Promise.all(
      ['1', '2', '3', '4'].map(async (worker) => {
        const { stdout } = await run(
          process.execPath,
          ['--input-type=module', '-e', workerScript, path, worker],
          { timeout: 60_000 },
        );
        return JSON.parse(stdout) as Record<'creates' | 'events' | 'updates', number>;
      }),
    );
    const total = (field: 'creates' | 'events' | 'updates') =>
      results.reduce((sum, result) => sum + result[field], 0);
    expect(total('creates')).toBe(100);
    expect(total('events')).toBe(100);
    const store = openStore(path);
    const updated = (await store.listRecords('t')).records.filter((record) => record.version === 2);
    expect(total('updates')).toBeGreaterThan(0);
    expect(updated).toHaveLength(total('updates'));
    expect(await store.getDocument('t', 'shared')).toEqual({
      value: { updates: total('updates') },
      version: total('updates'),
    });
  });
});

describe('the core scenarios on SQLite', () => {
  it('a clear item is dispatched once and done when its output is ready', async () => {
    const h = new FactoryHarness({ store: openStore() });
    const item = h.clearItem('item-1');
    const dispatched = await h.factory.handle(h.changed(item));
    expect(dispatched.effects).toEqual(['set-state dispatched', 'spawn agent-1', 'comment dispatched']);
    await h.factory.handle(h.output(item, 'ready'));
    expect(await h.status('item-1')).toBe('done');
    expect(h.fleet.agents.get('agent-1')?.released).toBe(true);
    expect(await slotsIn(h.store, h.tenant, 'tenant')).toEqual([]);
  });

  it('the queue holds items beyond the limit and starts them in arrival order', async () => {
    const h = new FactoryHarness({ store: openStore() });
    const items = ['item-1', 'item-2', 'item-3', 'item-4'].map((id) => h.clearItem(id));
    for (const item of items) await h.factory.handle(h.changed(item));
    expect(await Promise.all(items.map((item) => h.status(item.id)))).toEqual([
      'dispatched',
      'dispatched',
      'queued',
      'queued',
    ]);
    await h.factory.handle(h.output(items[1]!, 'ready', 2));
    expect(await h.status('item-3')).toBe('dispatched');
    expect(await h.status('item-4')).toBe('queued');
  });

  it('two factories over one file, racing on the same deliveries, start one agent', async () => {
    const path = freshFile();
    const a = new FactoryHarness({ store: openStore(path) });
    const b = new FactoryHarness({ store: openStore(path) });
    const item = a.clearItem('item-1');
    b.tracker.items.set(item.id, item);
    const event = a.changed(item);
    await Promise.all([
      a.factory.handle(event),
      b.factory.handle(event),
      a.factory.handle(event),
      b.factory.handle(event),
    ]);
    expect(a.fleet.agents.size + b.fleet.agents.size).toBe(1);
    expect(await a.status('item-1')).toBe('dispatched');
    expect(await b.status('item-1')).toBe('dispatched');
    expect(await slotsIn(a.store, a.tenant, 'tenant')).toHaveLength(1);
  });

  it('two factories over one file never run more agents than the limit', async () => {
    const path = freshFile();
    const a = new FactoryHarness({ store: openStore(path) });
    const b = new FactoryHarness({ store: openStore(path) });
    const items = ['item-1', 'item-2', 'item-3', 'item-4', 'item-5'].map((id) => a.clearItem(id));
    await Promise.all(
      items.flatMap((item) => [a.factory.handle(a.changed(item)), b.factory.handle(b.changed(item))]),
    );
    expect(a.fleet.agents.size + b.fleet.agents.size).toBe(2);
    const statuses = await Promise.all(items.map((item) => a.status(item.id)));
    expect(statuses.filter((status) => status === 'dispatched')).toHaveLength(2);
    expect(statuses.filter((status) => status === 'queued')).toHaveLength(3);
  });

  it('a factory restarted over the same file carries on where the first one stopped', async () => {
    const path = freshFile();
    const before = new FactoryHarness({ store: openStore(path) });
    const item = before.clearItem('item-1');
    await before.factory.handle(before.changed(item));
    (before.store as SqliteStateStore).close();

    const after = new FactoryHarness({ store: openStore(path) });
    await after.factory.handle(after.changed(item));
    expect(after.fleet.spawnCalls).toBe(0);
    await after.factory.handle(after.output(item, 'ready'));
    expect(await after.status('item-1')).toBe('done');
    expect(await slotsIn(after.store, after.tenant, 'tenant')).toEqual([]);
  });

  it('a crash right after the spawn is finished by a later tick without a second agent', async () => {
    const probe = new FactoryHarness({ store: openStore(':memory:'), faults: new FaultInjector() });
    const probeFaults = new FaultInjector();
    const dry = new FactoryHarness({ store: probe.store, faults: probeFaults });
    await dry.factory.handle(dry.changed(dry.clearItem('item-1')));
    // 1-based position of the call right after the spawn: the write that records the agent.
    const afterSpawn = probeFaults.log.indexOf('fleet.spawn') + 2;

    const faults = new FaultInjector();
    const h = new FactoryHarness({ store: openStore(), faults });
    const item = h.clearItem('item-1');
    faults.failAt(afterSpawn, 'before');
    const crashed = await h.factory.handle(h.changed(item));
    expect(crashed.outcome).toBe('incomplete');
    expect(h.fleet.agents.size).toBe(1);

    h.clock.advance(60 * 60_000);
    await h.factory.handle({ type: 'tick' });
    expect(h.fleet.agents.size).toBe(1);
    expect(await h.status('item-1')).toBe('dispatched');
    expect((await h.record('item-1'))?.pending).toEqual([]);
  });
});
