import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WorkItemRecord } from '@software-factory/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_WORK_ITEMS } from '../src/demo/demo-work-items.ts';
import { SqliteStateStore } from '../src/sqlite-state-store.ts';
import { runFactory } from './support/factory-process.ts';

/** `npm run demo` from the checkout, as a newcomer runs it: a process, offline, in a fresh folder. */
describe('factory demo', () => {
  let dir: string;
  let run: { code: number | null; stdout: string; stderr: string };
  let records: Map<string, WorkItemRecord>;

  beforeAll(async () => {
    dir = path.join(await mkdtemp(path.join(tmpdir(), 'factory-demo-test-')), 'demo');
    // No proxy, no tokens: the demo must need nothing from outside.
    run = await runFactory(['demo', '--dir', dir], { cwd: tmpdir(), env: { NO_PROXY: '*' } });
    const store = new SqliteStateStore(path.join(dir, 'state', 'state.sqlite'));
    try {
      records = new Map();
      for (const item of DEMO_WORK_ITEMS) {
        const record = await store.getRecord('local', item.id);
        if (record) records.set(item.key, record);
      }
    } finally {
      store.close();
    }
  });
  // The demo keeps its folder for the person who ran it; the test removes it, and the folder around it.
  afterAll(() => rm(path.dirname(dir), { recursive: true, force: true }));

  it('exits 0 with all three work items done, and says so', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`All 3 work items are done. Look around in ${dir}`);
  });

  it('shows the three outcomes in its summary table', () => {
    const rows = run.stdout.split('\n').filter((line) => /^DEMO-\d /.test(line));
    expect(rows).toEqual([
      expect.stringMatching(
        /^DEMO-1\s+done\s+new → dispatched → done\s+1\s+https:\/\/github\.com\/acme\/demo\/pull\/\d+$/,
      ),
      expect.stringMatching(
        /^DEMO-2\s+done\s+new → waiting-clarification → queued → dispatched → done\s+1\s+https:\/\/github\.com\/acme\/demo\/pull\/\d+$/,
      ),
      expect.stringMatching(
        /^DEMO-3\s+done\s+new → queued → dispatched → done\s+1\s+https:\/\/github\.com\/acme\/demo\/pull\/\d+$/,
      ),
    ]);
  });

  it('narrates each transition on its own line as it happens', () => {
    const timeline = run.stdout.split('\n').filter((line) => /^\s+\d+\.\ds {2}/.test(line));
    const said = (key: string, text: string) =>
      timeline.some((line) => line.includes(key) && line.includes(text));
    expect(said('DEMO-1', 'new → dispatched')).toBe(true);
    expect(said('DEMO-2', 'new → waiting-clarification')).toBe(true);
    expect(said('DEMO-2', 'a person answers in the thread')).toBe(true);
    expect(said('DEMO-3', 'new → queued')).toBe(true);
    for (const key of ['DEMO-1', 'DEMO-2', 'DEMO-3']) expect(said(key, 'dispatched → done')).toBe(true);
  });

  it('leaves the same story in its SQLite state', () => {
    expect([...records.keys()]).toEqual(['DEMO-1', 'DEMO-2', 'DEMO-3']);
    for (const record of records.values()) {
      expect(record.status).toBe('done');
      expect(record.attempts).toBe(1);
      expect(record.output?.state).toBe('ready');
      expect(record.pending).toEqual([]);
    }
    const vague = records.get('DEMO-2');
    expect(vague?.clarification?.answers.map((answer) => answer.author)).toEqual(['U0DEMOPERSON']);
    expect(records.get('DEMO-3')?.history.map((entry) => entry.to)).toContain('queued');
    expect(records.get('DEMO-1')?.history.map((entry) => entry.to)).not.toContain('queued');
  });

  it('ran one agent per work item, each in its own worktree', async () => {
    const agents = await readdir(path.join(dir, 'state', 'fleet', 'agents'));
    expect(agents).toHaveLength(3);
    const pulls = await readdir(path.join(dir, 'workspace', 'github', 'repos', 'acme', 'demo', 'pulls'));
    expect(pulls).toHaveLength(3);
  });
});
