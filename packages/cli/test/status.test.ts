import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WorkItemRecord } from '@software-factory/sdk';
import { sampleRecord, sampleWorkItem } from '@software-factory/sdk/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoRepository } from '../src/local-setup.ts';
import { SqliteStateStore } from '../src/sqlite-state-store.ts';
import { FactoryProcess, runFactory } from './support/factory-process.ts';

const T = Date.UTC(2026, 0, 5, 9, 0, 0);
const MINUTE = 60_000;
const DAY = 86_400_000;
let cwd: string;
const running: FactoryProcess[] = [];

function record(
  id: string,
  number: number,
  status: WorkItemRecord['status'],
  at: number,
  extra: Partial<WorkItemRecord> = {},
) {
  return sampleRecord(id, {
    status,
    reason: extra.reason ?? status,
    item: sampleWorkItem({ id, key: `ENG-${number}`, title: `Item ${number}` }),
    history: [
      { at: T - DAY, from: null, to: 'new', event: 'work-item.changed', reason: 'created' },
      { at, from: 'new', to: status, event: 'work-item.changed', reason: extra.reason ?? status },
    ],
    createdAt: T - DAY,
    updatedAt: at,
    ...extra,
  });
}

beforeAll(async () => {
  cwd = await mkdtemp(path.join(tmpdir(), 'factory-status-'));
  await mkdir(path.join(cwd, 'workspace'));
  ensureDemoRepository(path.join(cwd, 'repo'));
  await writeFile(
    path.join(cwd, 'factory.config.yaml'),
    `tenant: acme
stateStore: { type: sqlite, path: state/state.sqlite }
intentProvider: { type: linear, transport: relayfile, stateIds: { dispatched: s1, done: s2 } }
clarificationChannel: { type: slack, transport: relayfile, channel: C0ACME }
outputTarget: { type: github, transport: relayfile }
mount: { type: directory, path: workspace }
fleet: { type: local, command: ["true"], repository: repo }
`,
  );
  await mkdir(path.join(cwd, 'state'));
  const store = new SqliteStateStore(path.join(cwd, 'state/state.sqlite'));
  const records = [
    record('item-1', 1, 'dispatched', T, {
      attempts: 1,
      dispatch: {
        attempt: 1,
        idempotencyKey: 'acme/item-1/r1/a1',
        branch: 'factory/eng-1-item-1',
        pools: ['tenant'],
        slotHolder: 'acme/item-1/r1/a1',
        dispatchedAt: T,
        agentId: 'agent-7',
        checkAt: T + 365 * DAY,
      },
      output: { id: 'acme/app#7', url: 'https://github.com/acme/app/pull/7', state: 'draft' },
    }),
    record('item-2', 2, 'queued', T + 2 * MINUTE, { queuedAt: T + 2 * MINUTE }),
    record('item-3', 3, 'queued', T + MINUTE, { queuedAt: T + MINUTE }),
    record('item-4', 4, 'waiting-clarification', T - 30 * MINUTE, {
      clarification: {
        question: 'What should change?',
        threadId: 'C0ACME/1767603600.000100',
        threadUrl: 'https://acme.slack.com/archives/C0ACME/p1767603600000100',
        askedAt: T - 30 * MINUTE,
        expiresAt: T - 30 * MINUTE + 365 * DAY,
        rounds: 1,
        reminded: false,
        answers: [],
      },
    }),
    record('item-5', 5, 'blocked', T - 10 * MINUTE, {
      reason: 'waiting for ENG-1',
      blockedBy: ['ENG-1'],
      blockCheckAt: T + 365 * DAY,
    }),
    record('item-6', 6, 'done', T - 2 * DAY, {
      output: { id: 'acme/app#6', url: 'https://github.com/acme/app/pull/6', state: 'merged' },
    }),
    record('item-7', 7, 'failed', T - DAY, { reason: 'agent exited with code 1 (attempt 2 of 2)' }),
  ];
  for (const each of records) await store.commit('acme', { record: each });
  // The schedule: the queue's order and the fleet breaker, as the core keeps them.
  await store.putDocument(
    'acme',
    'schedule',
    {
      queue: [
        { workItemId: 'item-3', enqueuedAt: T + MINUTE },
        { workItemId: 'item-2', enqueuedAt: T + 2 * MINUTE },
      ],
      slots: {},
      blocked: {},
      breaker: {
        state: 'open',
        failures: 5,
        openedAt: T,
        retryAt: T + 365 * DAY,
        lastError: 'spawn failed: HTTP 502',
      },
    },
    0,
  );
  store.close();
});

afterEach(async () => {
  for (const factory of running.splice(0)) {
    factory.kill('SIGKILL');
    await factory.exited;
  }
});
afterAll(() => rm(cwd, { recursive: true, force: true }));

describe('factory status', () => {
  it('prints every state as a table', async () => {
    const { code, stdout, stderr } = await runFactory(['status'], { cwd });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const text = stdout.replace(/\(at [^)]+\)/, '(at NOW)');
    expect(text).toContain('tenant acme  (at NOW)');
    expect(text).toMatch(/connections\n {2}linear\s+intake\s+connected/);
    expect(text).toContain(
      'fleet breaker: open, 5 consecutive failures, new spawns wait until 2027-01-05 09:00:00Z (last: spawn failed: HTTP 502)',
    );
    expect(text).toMatch(
      /in flight \(1\)\n {2}ENG-1 {2}agent agent-7 {2}attempt 1 {2}since 2026-01-05 09:00:00Z {2}PR https:\/\/github.com\/acme\/app\/pull\/7\n/,
    );
    expect(text).toMatch(/queued \(2\)\n {2}#1 {2}ENG-3 .*\n {2}#2 {2}ENG-2 /);
    expect(text).toMatch(
      /waiting for clarification \(1\)\n {2}ENG-4 {2}asked 2026-01-05 08:30:00Z {2}expires 2027-01-05 08:30:00Z {2}thread https:\/\/acme.slack.com\/archives\/C0ACME\/p1767603600000100\n/,
    );
    expect(text).toMatch(/blocked \(1\)\n {2}ENG-5 {2}waiting for ENG-1 {2}since 2026-01-05 08:50:00Z\n/);
    expect(text).toMatch(
      /recent done \(1\)\n {2}ENG-6 {2}2026-01-03 09:00:00Z {2}PR https:\/\/github.com\/acme\/app\/pull\/6\n/,
    );
    expect(text).toMatch(
      /recent failed \(1\)\n {2}ENG-7 {2}failed {2}2026-01-04 09:00:00Z {2}agent exited with code 1 \(attempt 2 of 2\)\n/,
    );
  });

  it('--json gives the same for machines', async () => {
    const { code, stdout } = await runFactory(['status', '--json'], { cwd });
    expect(code).toBe(0);
    const [acme] = JSON.parse(stdout).tenants;
    expect(acme).toMatchObject({
      tenant: 'acme',
      inFlight: [
        {
          key: 'ENG-1',
          agentId: 'agent-7',
          attempt: 1,
          since: T,
          outputUrl: 'https://github.com/acme/app/pull/7',
        },
      ],
      queued: [
        { key: 'ENG-3', position: 1 },
        { key: 'ENG-2', position: 2 },
      ],
      waiting: [{ key: 'ENG-4', askedAt: T - 30 * MINUTE, threadUrl: expect.stringContaining('slack.com') }],
      blocked: [{ key: 'ENG-5', blockedBy: ['ENG-1'] }],
      recentDone: [{ key: 'ENG-6' }],
      recentFailed: [{ key: 'ENG-7', reason: 'agent exited with code 1 (attempt 2 of 2)' }],
      breaker: { state: 'open', failures: 5, retryAt: T + 365 * DAY },
    });
    expect(acme.connections.map((connection: { role: string }) => connection.role)).toEqual([
      'intake',
      'clarification',
      'output',
    ]);
  });

  it('reads the store while factory start runs on it', async () => {
    const factory = new FactoryProcess(['start', '--port', '0'], { cwd });
    running.push(factory);
    await factory.url();
    const { code, stdout } = await runFactory(['status', '--json'], { cwd });
    expect(code).toBe(0);
    expect(JSON.parse(stdout).tenants[0].inFlight).toMatchObject([{ key: 'ENG-1' }]);
  });

  it('refuses an unknown tenant and a config that is not there, one line each', async () => {
    const tenant = await runFactory(['status', '--tenant', 'globex'], { cwd });
    expect(tenant.code).toBe(2);
    expect(tenant.stderr).toBe(
      'factory: --tenant globex: no such tenant in factory.config.yaml (it has acme)\n',
    );
    const missing = await runFactory(['status', '--config', 'nope.yaml'], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      'factory: nope.yaml: no such config file (create one, or pass --config <file>)\n',
    );
    const empty = await runFactory(['status'], { cwd: tmpdir() });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toBe(
      'factory: no factory.config.yaml here; pass --config <file>, or --mount <dir> to run against a local folder\n',
    );
  });
});
