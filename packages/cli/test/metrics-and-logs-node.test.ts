import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { answerQuestion, askedQuestions } from '../src/demo/demo-person.ts';
import { DEMO_WORK_ITEMS, writeWorkItem } from '../src/demo/demo-work-items.ts';
import { localSetupConfig, localSetupYaml } from '../src/local-setup.ts';
import { SqliteStateStore } from '../src/sqlite-state-store.ts';
import { eventually, FactoryProcess } from './support/factory-process.ts';
import { testFolder } from './support/temp-folder.ts';

const OPERATOR_TOKEN = 'operator-token-of-the-node-metrics-test-01';
const ADMIN_TOKEN = 'admin-token-of-the-node-metrics-test-000001';
const running: FactoryProcess[] = [];

afterEach(async () => {
  for (const factory of running.splice(0)) {
    factory.kill('SIGKILL');
    await factory.exited;
  }
});

/** `factory start` over the demo's local setup, with an operator token and a tenant admin token. */
async function startedDemo() {
  const cwd = await testFolder('factory-metrics-');
  const setup = {
    mountDir: path.join(cwd, 'workspace'),
    stateDir: path.join(cwd, 'state'),
    repository: path.join(cwd, 'repository'),
    tickInterval: '1s',
    env: { FACTORY_ADMIN_TOKEN: ADMIN_TOKEN },
  };
  await mkdir(setup.mountDir);
  await localSetupConfig(setup); // makes the demo repository
  await writeFile(
    path.join(cwd, 'factory.config.yaml'),
    `${localSetupYaml(setup)}server: { operatorToken: "\${FACTORY_OPERATOR_TOKEN}" }\n`,
  );
  const factory = new FactoryProcess(['start', '--port', '0', '--log-level', 'debug'], {
    cwd,
    env: { FACTORY_ADMIN_TOKEN: ADMIN_TOKEN, FACTORY_OPERATOR_TOKEN: OPERATOR_TOKEN },
  });
  running.push(factory);
  return { factory, setup, url: await factory.url() };
}

describe('factory start, after the demo scenario', () => {
  it('serves /metrics with the events, effects and agent runs that happened, and logs no token or cookie', async () => {
    const { factory, setup, url } = await startedDemo();
    for (const item of DEMO_WORK_ITEMS) await writeWorkItem(setup.mountDir, item);
    const answered = new Set<string>();
    await eventually(async () => {
      for (const question of await askedQuestions(setup.mountDir, DEMO_WORK_ITEMS)) {
        const answer = DEMO_WORK_ITEMS.find((item) => item.key === question.key)?.answer;
        if (!answer || answered.has(question.key)) continue;
        await answerQuestion(setup.mountDir, question, answer);
        answered.add(question.key);
      }
      const store = new SqliteStateStore(path.join(setup.stateDir, 'state.sqlite'));
      try {
        const records = await Promise.all(DEMO_WORK_ITEMS.map((item) => store.getRecord('local', item.id)));
        return records.every((record) => record?.status === 'done') ? true : undefined;
      } finally {
        store.close();
      }
    }, 200);

    // A browser's session: its cookie must not reach the log either.
    const login = await fetch(`${url}/t/local/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url },
      body: new URLSearchParams({ token: ADMIN_TOKEN }),
    });
    expect(login.status).toBe(303);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect(cookie).toMatch(/^factory_session=.{16,}/);
    const own = await fetch(`${url}/t/local/metrics`, { headers: { cookie } });
    expect(own.status).toBe(200);

    // A record is stored done before the call that made it done returns and is counted.
    const text = await eventually(async () => {
      const scraped = await fetch(`${url}/metrics`, {
        headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
      });
      expect(scraped.status).toBe(200);
      const body = await scraped.text();
      return body.includes('factory_agent_run_duration_seconds_count{tenant="local",outcome="done"} 3')
        ? body
        : undefined;
    }, 100);
    const value = (pattern: RegExp) => Number(text.match(pattern)?.[1] ?? 0);
    expect(
      value(/factory_events_total\{tenant="local",event="work-item\.changed",outcome="changed"\} (\d+)/),
    ).toBeGreaterThan(0);
    expect(
      value(/factory_events_total\{tenant="local",event="clarification\.replied",outcome="changed"\} (\d+)/),
    ).toBe(1);
    expect(value(/factory_effects_total\{tenant="local",kind="spawn",result="ok"\} (\d+)/)).toBe(3);
    expect(value(/factory_effects_total\{tenant="local",kind="open-thread",result="ok"\} (\d+)/)).toBe(1);
    expect(value(/factory_agent_run_duration_seconds_count\{tenant="local",outcome="done"\} (\d+)/)).toBe(3);
    expect(
      value(
        /factory_provider_call_duration_seconds_count\{tenant="local",port="fleet",provider="[^"]*",operation="spawn"\} (\d+)/,
      ),
    ).toBe(3);
    expect(text).toContain('factory_in_flight{tenant="local"} 0');

    for (const headers of [{}, { authorization: `Bearer ${ADMIN_TOKEN}` }, { cookie }] as Record<
      string,
      string
    >[]) {
      const refused = await fetch(`${url}/metrics`, { headers });
      expect(refused.status).toBe(401);
      expect(await refused.text()).not.toContain('factory_');
    }

    const session = cookie.slice('factory_session='.length);
    expect(factory.logs.length).toBeGreaterThan(10);
    for (const secret of [OPERATOR_TOKEN, ADMIN_TOKEN, session]) expect(factory.stdout).not.toContain(secret);
    expect(factory.stderr).toBe('');
  }, 60_000);
});
