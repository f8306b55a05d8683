// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files write ${ENV_VAR} references literally.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../../postgres/test/support/postgres-server.ts';
import { DeployScenario, makeProject, removeProject, SECRETS, TENANT } from './support/deploy-scenario.ts';
import { eventually, FactoryProcess } from './support/factory-process.ts';
import { RoundRobinProxy } from './support/round-robin-proxy.ts';

/**
 * Three `factory start` processes on one Postgres database behind a round-robin proxy: what a self-hoster
 * runs behind any load balancer. Each replica has its own pool, tick timer and HTTP server; only the
 * database is shared, so only its conditional writes keep them from acting twice.
 */
const REPLICAS = 3;
const scenario = new DeployScenario();
let postgres: PostgresServer;
let project: string;
let proxy: RoundRobinProxy | undefined;
const replicas: FactoryProcess[] = [];

beforeAll(async () => {
  [postgres] = await Promise.all([startPostgres(), scenario.start()]);
  project = makeProject({ prefix: 'factory-replicas-' });
}, 60_000);

afterAll(async () => {
  for (const replica of replicas) {
    replica.kill('SIGKILL');
    await replica.exited;
  }
  await proxy?.stop();
  await Promise.all([scenario.stop(), postgres?.close()]);
  removeProject(project);
});

async function deliver(delivery: { body: string; headers: Record<string, string> }, path: string) {
  const response = await fetch(`${proxy?.url}${path}`, {
    method: 'POST',
    headers: delivery.headers,
    body: delivery.body,
  });
  return { status: response.status, body: (await response.json()) as { status?: string } };
}

const agentSpawns = () => scenario.fleetWrites().filter((write) => write === 'POST /factory/agents');

describe('three factory start replicas on one Postgres, behind one load balancer, act as one', () => {
  it('duplicates sent to different replicas start one agent; every replica ticks; one stops on SIGTERM while the others serve', async () => {
    writeFileSync(
      path.join(project, 'factory.config.yaml'),
      scenario.config({ stateStore: '{ type: postgres, url: "${DATABASE_URL}", poolSize: 4 }', tick: '1s' }),
    );
    const env = { ...SECRETS, DATABASE_URL: await postgres.freshDatabase() };
    // Started together: their migrations take turns under the advisory lock.
    for (let n = 0; n < REPLICAS; n++)
      replicas.push(new FactoryProcess(['start', '--port', '0'], { cwd: project, env }));
    const urls = await Promise.all(replicas.map((replica) => replica.url()));
    proxy = await new RoundRobinProxy(urls).start();

    // The same delivery nine times at once (a sender's retries racing), and three of Linear's retries
    // of the same change under new delivery ids: spread over the three replicas by the proxy.
    const created = scenario.issueCreated();
    const retried = Array.from({ length: 3 }, () => ({
      body: created.body,
      headers: { ...created.headers, 'linear-delivery': crypto.randomUUID() },
    }));
    const answers = await Promise.all(
      [...Array(9).fill(created), ...retried].map((delivery) =>
        deliver(delivery, `/t/${TENANT}/webhooks/linear`),
      ),
    );
    // A copy that reaches a replica while another handles the delivery is asked to come back (503).
    for (const answer of answers) if (answer.status !== 200) expect(answer.status).toBe(503);
    expect(answers.filter((answer) => answer.status === 200).length).toBeGreaterThanOrEqual(1);
    expect(new Set(proxy.served.map((served) => served.upstream))).toEqual(new Set([0, 1, 2]));
    expect(agentSpawns()).toHaveLength(1);
    expect(scenario.issueState()).toBe('In Progress');

    // Every replica runs the tick every second over the same database; after a few rounds on each,
    // still one agent, and no replica reports a failed tick.
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    expect(agentSpawns()).toHaveLength(1);
    for (const replica of replicas)
      expect(replica.logs.filter((line) => line.msg === 'tick failed' || line.level === 'error')).toEqual([]);

    // One replica is told to stop while requests keep coming through the proxy.
    const stopping = replicas[0] as FactoryProcess;
    const probes = (async () => {
      const statuses: number[] = [];
      for (let n = 0; n < 40; n++) statuses.push((await fetch(`${proxy?.url}/healthz`)).status);
      return statuses;
    })();
    stopping.kill('SIGTERM');
    expect(await stopping.exited).toEqual({ code: 0, signal: null });
    expect(await probes).toEqual(Array(40).fill(200));

    // The pull request leaves draft: the remaining replicas finish the item, releasing the one agent.
    const ready = await deliver(scenario.pullRequestReady(), `/t/${TENANT}/webhooks/github`);
    expect(ready).toMatchObject({ status: 200, body: { status: 'processed' } });
    await eventually(() => (scenario.issueState() === 'Done' ? true : undefined));
    expect(agentSpawns()).toHaveLength(1);
    expect(
      scenario.fleetWrites().filter((write) => write.startsWith('DELETE /factory/agents/')),
    ).toHaveLength(1);
    const afterStop = proxy.served.slice(-41);
    expect(afterStop.some((served) => served.upstream === 0 && served.path.includes('/webhooks/'))).toBe(
      false,
    );
    for (const replica of replicas)
      expect(`${replica.stdout}${replica.stderr}`).not.toContain(postgres.password);
  }, 120_000);
});
