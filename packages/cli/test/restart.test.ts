import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { TERMINAL_STATUSES, type WorkItemRecord } from '@software-factory/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { answerQuestion, askedQuestions } from '../src/demo/demo-person.ts';
import { DEMO_WORK_ITEMS, writeWorkItem } from '../src/demo/demo-work-items.ts';
import { SqliteStateStore } from '../src/sqlite-state-store.ts';
import { eventually, FactoryProcess } from './support/factory-process.ts';
import { testFolder } from './support/temp-folder.ts';

const [CLEAR, VAGUE, QUEUED] = DEMO_WORK_ITEMS as [
  (typeof DEMO_WORK_ITEMS)[number],
  (typeof DEMO_WORK_ITEMS)[number],
  (typeof DEMO_WORK_ITEMS)[number],
];
const running: FactoryProcess[] = [];

afterEach(async () => {
  for (const factory of running.splice(0)) {
    factory.kill('SIGKILL');
    await factory.exited;
  }
});

async function records(stateFile: string): Promise<Map<string, WorkItemRecord>> {
  const store = new SqliteStateStore(stateFile);
  try {
    const found = new Map<string, WorkItemRecord>();
    for (const item of DEMO_WORK_ITEMS) {
      const record = await store.getRecord('local', item.id);
      if (record) found.set(item.key, record);
    }
    return found;
  } finally {
    store.close();
  }
}

describe('factory start --mount killed in the middle of the demo scenario', () => {
  it('finishes after a restart with no duplicate agent and nothing lost', async () => {
    const cwd = await testFolder('factory-restart-');
    const mountDir = path.join(cwd, 'workspace');
    const stateFile = path.join(cwd, '.factory', 'state.sqlite');
    await mkdir(mountDir);
    for (const item of DEMO_WORK_ITEMS) await writeWorkItem(mountDir, item);

    // First life: slow agents, so the first one is still at work when the factory dies.
    const first = new FactoryProcess(['start', '--mount', 'workspace', '--port', '0'], {
      cwd,
      env: { FACTORY_DEMO_AGENT_DELAY_MS: '3000' },
    });
    running.push(first);
    await first.waitForLog(
      (line) =>
        line.msg === 'work item changed' && line.workItemId === CLEAR.id && line.status === 'dispatched',
    );
    await first.waitForLog(
      (line) => line.msg === 'work item changed' && line.workItemId === QUEUED.id && line.status === 'queued',
    );
    const [question] = await eventually(async () => {
      const asked = await askedQuestions(mountDir, DEMO_WORK_ITEMS);
      return asked.length > 0 ? asked : undefined;
    });
    first.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    const before = await records(stateFile);
    expect(before.get(CLEAR.key)?.status).toBe('dispatched');
    expect(before.get(VAGUE.key)?.status).toBe('waiting-clarification');
    expect(before.get(QUEUED.key)?.status).toBe('queued');

    // While it is down, the person answers; the first agent carries on without its factory.
    expect(question?.key).toBe(VAGUE.key);
    await answerQuestion(mountDir, question!, VAGUE.answer!);

    const second = new FactoryProcess(['start', '--mount', 'workspace', '--port', '0'], { cwd });
    running.push(second);
    await second.url();
    const after = await eventually(async () => {
      const found = await records(stateFile);
      return [...found.values()].every((record) => TERMINAL_STATUSES.includes(record.status))
        ? found
        : undefined;
    }, 200);
    second.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });

    for (const item of DEMO_WORK_ITEMS) {
      const record = after.get(item.key);
      expect(record?.status, item.key).toBe('done');
      expect(record?.attempts, item.key).toBe(1);
      expect(
        record?.history.filter((entry) => entry.to === 'dispatched'),
        item.key,
      ).toHaveLength(1);
    }
    // The agent that outlived the first factory was adopted, not started again.
    expect(after.get(CLEAR.key)?.dispatch?.agentId).toBe(before.get(CLEAR.key)?.dispatch?.agentId);
    expect(await readdir(path.join(cwd, '.factory', 'fleet', 'agents'))).toHaveLength(3);
    expect(await readdir(path.join(mountDir, 'github', 'repos', 'acme', 'demo', 'pulls'))).toHaveLength(3);
    expect(after.get(VAGUE.key)?.clarification?.answers).toHaveLength(1);
    // Each comment has one file, named from its idempotency key: one per intent, none repeated.
    const comments = async (id: string) =>
      (await readdir(path.join(mountDir, 'linear', 'issues', id, 'comments'))).length;
    expect(await comments(CLEAR.id)).toBe(2);
    expect(await comments(VAGUE.id)).toBe(3);
    expect(await comments(QUEUED.id)).toBe(2);
  });
});
