import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type AgentEvent, overlapsPerKey, peakInFlight, startsPerKey } from '../src/soak/agent-log.ts';
import { runSoak } from '../src/soak/soak-run.ts';
import { parseSoakArgs } from '../src/soak.ts';

const ROOT_REGISTER = new URL('../../../scripts/register-workspace-sources.ts', import.meta.url).href;

describe('the soak (a small run of npm run soak)', () => {
  it('takes every item to done exactly once through factory start killed with SIGKILL twice, review rounds included', async () => {
    const report = await runSoak({
      items: 12,
      kills: 2,
      seed: 7,
      maxInFlight: 4,
      duplicateRate: 0.3,
      faultRate: 0.1,
      feedbackRate: 0.4,
      senders: 6,
      agentMs: 1500,
      // A kill while a delivery is being handled leaves its claim (DELIVERY_CLAIM_MS, 30 s, no longer
      // renewed): the sender's retries are answered 503 until it runs out. The run ends as soon as every
      // item is done; this bounds only such a wait.
      timeoutMs: 150_000,
    });
    expect(report.violations).toEqual([]);
    expect(report.done).toBe(12);
    expect(report.factory).toEqual({ kills: 2, starts: 3 });
    expect(report.feedback.items).toBeGreaterThan(0);
    // One agent per item, and one more for each review round (its rounds are checked item by item).
    expect(report.agents.started).toBe(12 + report.feedback.rounds);
    expect(report.agents.ended).toBe(report.agents.started);
    expect(report.agents.peakInFlight).toBeLessThanOrEqual(4);
    expect(report.deliveries.duplicates).toBeGreaterThan(0);
    expect(Object.values(report.vendor.faults).reduce((sum, count) => sum + count, 0)).toBeGreaterThan(0);
  }, 240_000);

  it('stops its factory and agents when interrupted, and says only that it was', async () => {
    const interrupt = new AbortController();
    const report = await runSoak({
      items: 40,
      kills: 0,
      seed: 3,
      maxInFlight: 4,
      duplicateRate: 0,
      faultRate: 0,
      feedbackRate: 0,
      senders: 4,
      agentMs: 60_000,
      timeoutMs: 100_000,
      signal: interrupt.signal,
      // Interrupted once agents run (a progress line every 5 s counts them): each would take a minute.
      progress: (line) => {
        if (/ [1-9]\d* agent events/.test(line)) interrupt.abort();
      },
    });
    expect(report.violations).toHaveLength(1);
    expect(report.violations[0]).toMatch(/^interrupted with \d+ of 40 items done$/);
    expect(report.agents.started).toBeGreaterThan(0);
    // The test run's leak check fails the run if an agent or the factory is left running.
  }, 120_000);
});

describe('what the soak checks in the agents’ log', () => {
  const event = (kind: AgentEvent['kind'], key: string, agentId: string, at: number): AgentEvent => ({
    kind,
    key,
    agentId,
    at: BigInt(at),
  });

  it('counts the most agents running at once, an end before a start at the same instant', () => {
    const events = [
      event('start', 'A-1', 'a', 1),
      event('start', 'A-2', 'b', 2),
      event('end', 'A-1', 'a', 3),
      event('start', 'A-3', 'c', 3),
      event('start', 'A-4', 'd', 4),
    ];
    expect(peakInFlight(events)).toBe(3);
    expect(peakInFlight([...events, event('start', 'A-5', 'e', 5)])).toBe(4);
  });

  it('counts starts per work item, so a second agent for one item is seen', () => {
    const starts = startsPerKey([
      event('start', 'A-1', 'a', 1),
      event('end', 'A-1', 'a', 2),
      event('start', 'A-1', 'b', 3),
    ]);
    expect(starts.get('A-1')).toBe(2);
  });

  it('finds an item whose agents overlapped, and not one whose agents ran one after the other', () => {
    const overlaps = overlapsPerKey([
      event('start', 'A-1', 'a', 1),
      event('end', 'A-1', 'a', 2),
      event('start', 'A-1', 'b', 3),
      event('start', 'B-2', 'c', 4),
      event('start', 'B-2', 'd', 5),
      event('end', 'B-2', 'c', 6),
    ]);
    expect([...overlaps]).toEqual([['B-2', 2]]);
  });
});

describe('soak arguments', () => {
  it('refuses what it cannot run, naming the flag', () => {
    expect(() => parseSoakArgs(['--items', '0'])).toThrow(
      '--items must be a whole number of at least 1, got "0"',
    );
    expect(() => parseSoakArgs(['--kills', 'two'])).toThrow('--kills must be a whole number');
    expect(() => parseSoakArgs(['--duplicates', '1'])).toThrow('--duplicates must be a share from 0 up to');
    expect(() => parseSoakArgs(['--faults', '-0.1'])).toThrow('--faults');
    expect(() => parseSoakArgs(['--faults', ''])).toThrow('--faults');
    expect(() => parseSoakArgs(['--feedback', '1.5'])).toThrow('--feedback must be a share from 0 up to');
    expect(() => parseSoakArgs(['--max-in-flight', '0'])).toThrow('--max-in-flight');
    expect(() => parseSoakArgs(['--agent-ms', '1.5'])).toThrow('--agent-ms must be a whole number');
    expect(() => parseSoakArgs(['--itmes', '5'])).toThrow(/itmes/);
  });

  it('refuses a store it does not know, and replicas it cannot run, naming the flag', () => {
    expect(() => parseSoakArgs(['--store', 'mysql'])).toThrow(
      '--store must be one of sqlite, postgres, got "mysql"',
    );
    expect(() => parseSoakArgs(['--store', ''])).toThrow('--store must be one of');
    expect(() => parseSoakArgs(['--store', 'postgres', '--replicas', '0'])).toThrow(
      '--replicas must be a whole number of at least 1, got "0"',
    );
    expect(() => parseSoakArgs(['--store', 'postgres', '--replicas', 'three'])).toThrow('--replicas');
    expect(() => parseSoakArgs(['--store', 'postgres', '--replicas', '2.5'])).toThrow('--replicas');
    expect(() => parseSoakArgs(['--store', 'postgres', '--replicas', '9'])).toThrow(
      '--replicas must be at most 8',
    );
    // Several processes over one SQLite file is not a deployment the factory supports.
    expect(() => parseSoakArgs(['--replicas', '3'])).toThrow('--replicas 3 needs --store postgres');
    expect(() => parseSoakArgs(['--store', 'sqlite', '--replicas', '2'])).toThrow(
      '--replicas 2 needs --store postgres',
    );
  });

  it('runs three replicas on Postgres when asked, and one factory on SQLite by default', () => {
    expect(parseSoakArgs(['--store', 'postgres', '--replicas', '3'])).toMatchObject({
      store: 'postgres',
      replicas: 3,
    });
    expect(parseSoakArgs([])).toMatchObject({ store: 'sqlite', replicas: 1 });
  });

  // Every bad value is refused the same way, before anything starts (checked above for each); one run of
  // the command shows the way: exit 2, the reason and the usage, no folder made, no factory started.
  it('npm run soak -- --replicas 3 (on SQLite) exits 2 with the reason and its usage, having started nothing', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'soak-args-'));
    try {
      const run = spawnSync(
        process.execPath,
        [
          '--import',
          ROOT_REGISTER,
          fileURLToPath(new URL('../src/soak.ts', import.meta.url)),
          '--replicas',
          '3',
        ],
        // Its temporary folders would be made here: none must be.
        { encoding: 'utf8', env: { ...process.env, TMPDIR: tmp }, timeout: 60_000 },
      );
      expect(run.status).toBe(2);
      expect(run.stderr).toContain(
        'soak failed: --replicas 3 needs --store postgres: a SQLite file serves one factory start, not several',
      );
      expect(run.stderr).toContain('usage: npm run soak -- ');
      expect(run.stdout).toBe('');
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 90_000);

  it('defaults to the full soak: 10,000 items, 5 kills, 20 in flight, 30% duplicates', () => {
    expect(parseSoakArgs([])).toMatchObject({ items: 10_000, kills: 5, maxInFlight: 20, duplicateRate: 0.3 });
  });
});
