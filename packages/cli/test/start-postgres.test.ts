// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files write ${ENV_VAR} references literally.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { POSTGRES_SCHEMA_VERSION } from '@software-factory/postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../../postgres/test/support/postgres-server.ts';
import { DeployScenario, makeProject, removeProject, SECRETS, TENANT } from './support/deploy-scenario.ts';
import { eventually, FactoryProcess, runFactory } from './support/factory-process.ts';

/**
 * `factory start` on PostgreSQL, spawned as a user runs it: the deploy tests' scenario (Linear, Slack and
 * GitHub on loopback servers, an HTTP fleet) with `stateStore: { type: postgres, url: "${DATABASE_URL}" }`
 * over a real server this file starts; and what happens when the database is not there.
 */
const scenario = new DeployScenario();
let postgres: PostgresServer;
let project: string;
const running: FactoryProcess[] = [];

beforeAll(async () => {
  [postgres] = await Promise.all([startPostgres(), scenario.start()]);
  project = makeProject({ prefix: 'factory-postgres-' });
}, 60_000);

afterEach(async () => {
  for (const factory of running.splice(0)) {
    factory.kill('SIGKILL');
    await factory.exited;
  }
  // A test that stopped the database and failed before starting it again: the next one gets it back.
  await postgres?.start();
});

afterAll(async () => {
  await Promise.all([scenario.stop(), postgres?.close()]);
  removeProject(project);
});

const POSTGRES_STORE = '{ type: postgres, url: "${DATABASE_URL}", poolSize: 4, connectTimeout: 2s }';

function writeConfig(stateStore = POSTGRES_STORE): string {
  const file = path.join(project, 'factory.config.yaml');
  writeFileSync(file, scenario.config({ stateStore }));
  return file;
}

function start(databaseUrl: string): FactoryProcess {
  const factory = new FactoryProcess(['start', '--port', '0'], {
    cwd: project,
    env: { ...SECRETS, DATABASE_URL: databaseUrl },
  });
  running.push(factory);
  return factory;
}

async function deliver(
  url: string,
  path: string,
  delivery: { body: string; headers: Record<string, string> },
) {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: delivery.headers,
    body: delivery.body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function health(url: string) {
  const response = await fetch(`${url}/healthz`, {
    headers: { authorization: `Bearer ${SECRETS.FACTORY_OPERATOR_TOKEN}` },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Every line the process printed, to check that no secret is among them. */
function output(factory: FactoryProcess): string {
  return `${factory.stdout}\n${factory.stderr}`;
}

describe('factory start on PostgreSQL', () => {
  it('runs a signed delivery through to dispatch and done, and reports the database at /healthz', async () => {
    writeConfig();
    const factory = start(await postgres.freshDatabase());
    const url = await factory.url();
    expect((await health(url)).body).toMatchObject({ status: 'ok', store: { ok: true } });

    const created = await deliver(url, `/t/${TENANT}/webhooks/linear`, scenario.issueCreated());
    expect(created).toMatchObject({ status: 200, body: { status: 'processed' } });
    expect(scenario.fleetWrites()).toEqual(['POST /factory/agents']);
    expect(scenario.issueState()).toBe('In Progress');

    const ready = await deliver(url, `/t/${TENANT}/webhooks/github`, scenario.pullRequestReady());
    expect(ready).toMatchObject({ status: 200, body: { status: 'processed' } });
    await eventually(() => (scenario.issueState() === 'Done' ? true : undefined));

    factory.kill('SIGTERM');
    expect(await factory.exited).toEqual({ code: 0, signal: null });
    expect(output(factory)).not.toContain(postgres.password);
  });

  it('answers 503 while the database is away, loses nothing it acknowledged, and recovers when it returns', async () => {
    writeConfig();
    const databaseUrl = await postgres.freshDatabase();
    const factory = start(databaseUrl);
    const url = await factory.url();
    const fleetBefore = scenario.fleetWrites().length;
    const created = scenario.issueCreated();
    expect((await deliver(url, `/t/${TENANT}/webhooks/linear`, created)).status).toBe(200);

    await postgres.stop();
    const ready = scenario.pullRequestReady();
    const refused = await deliver(url, `/t/${TENANT}/webhooks/github`, ready);
    expect(refused).toEqual({ status: 503, body: { error: 'a dependency is unavailable; retry later' } });
    // Degraded, not an error; the operator token's throttle lives in the database too, so the answer
    // is the anonymous one until it is back. The log says which server failed.
    expect(await health(url)).toEqual({
      status: 503,
      body: { status: 'degraded', version: expect.any(String) },
    });
    const failed = await factory.waitForLog(
      (line) => line.msg === 'webhook not processed: a dependency failed',
    );
    expect(failed.error).toContain(`PostgresStateStore (127.0.0.1:${postgres.port}/`);

    await postgres.start();
    // The sender retries the same delivery; the process, still running, takes it now.
    const retried = await eventually(async () => {
      const answer = await deliver(url, `/t/${TENANT}/webhooks/github`, ready);
      return answer.status === 503 ? undefined : answer;
    }, 200);
    expect(retried).toMatchObject({ status: 200, body: { status: 'processed' } });
    await eventually(() => (scenario.issueState() === 'Done' ? true : undefined));
    // The delivery acknowledged before the outage was kept: one agent, spawned then, released now.
    expect(scenario.fleetWrites().slice(fleetBefore)).toEqual([
      'POST /factory/agents',
      expect.stringMatching(/^DELETE \/factory\/agents\//),
    ]);
    // A redelivery of the first, acknowledged delivery is recognised as such.
    const again = await deliver(url, `/t/${TENANT}/webhooks/linear`, created);
    expect(again).toMatchObject({ status: 200, body: { status: 'duplicate' } });
    expect((await health(url)).status).toBe(200);
    expect(output(factory)).not.toContain(postgres.password);
  });
});

describe('factory start and factory check refuse a database they cannot use, with one line', () => {
  it('an unreachable database: exit 1, naming host:port, never the password', async () => {
    writeConfig();
    const { code, stderr, stdout } = await runFactory(['start', '--port', '0'], {
      cwd: project,
      env: { ...SECRETS, DATABASE_URL: 'postgres://factory:pa55-not-shown@127.0.0.1:1/factory' },
    });
    expect(code).toBe(1);
    expect(stderr).toBe(
      'factory: cannot open the state store: PostgresStateStore (127.0.0.1:1/factory): connect ECONNREFUSED 127.0.0.1:1; check that the database is running and that stateStore.url points at it\n',
    );
    expect(`${stdout}${stderr}`).not.toContain('pa55-not-shown');
  });

  it('a schema from a newer build: exit 1, saying so, the database untouched', async () => {
    writeConfig();
    const databaseUrl = await postgres.freshDatabase();
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query(
        'CREATE TABLE factory_schema_versions (version integer PRIMARY KEY, applied_at timestamptz)',
      );
      await client.query('INSERT INTO factory_schema_versions (version) VALUES (99)');
      const { code, stderr } = await runFactory(['start', '--port', '0'], {
        cwd: project,
        env: { ...SECRETS, DATABASE_URL: databaseUrl },
      });
      expect(code).toBe(1);
      expect(stderr).toMatch(
        /^factory: cannot open the state store: the database has schema version 99, newer than this build of the factory understands \(\d+\); run the newer build/,
      );
      const tables = await client.query(
        `SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'factory_records'`,
      );
      expect(tables.rows[0].n).toBe(0);
    } finally {
      await client.end();
    }
  });

  it('factory check shows the database as a row: reachable with its schema, or why not', async () => {
    writeConfig();
    const databaseUrl = await postgres.freshDatabase();
    const fresh = await runFactory(['check'], {
      cwd: project,
      env: { ...SECRETS, DATABASE_URL: databaseUrl },
    });
    expect(fresh.stdout).toMatch(/\npostgres\s+state store\s+✓ reachable/);
    expect(fresh.stdout).toContain(
      `state store: postgres 127.0.0.1:${postgres.port}/${new URL(databaseUrl).pathname.slice(1)}, no schema yet (\`factory start\` creates it)`,
    );

    const factory = start(databaseUrl);
    await factory.url();
    const json = await runFactory(['check', '--json'], {
      cwd: project,
      env: { ...SECRETS, DATABASE_URL: databaseUrl },
    });
    expect(JSON.parse(json.stdout).store).toEqual({
      type: 'postgres',
      ok: true,
      detail: `postgres 127.0.0.1:${postgres.port}/${new URL(databaseUrl).pathname.slice(1)}, schema ${POSTGRES_SCHEMA_VERSION} (this build: ${POSTGRES_SCHEMA_VERSION})`,
    });

    const away = await runFactory(['check'], {
      cwd: project,
      env: { ...SECRETS, DATABASE_URL: 'postgres://factory:pa55-not-shown@127.0.0.1:1/factory' },
    });
    expect(away.code).toBe(1);
    expect(away.stdout).toMatch(/\npostgres\s+state store\s+✗ unreachable\s+see below/);
    expect(away.stdout).toContain(
      'state store: cannot open the state store: PostgresStateStore (127.0.0.1:1/factory)',
    );
    expect(`${away.stdout}${away.stderr}`).not.toContain('pa55-not-shown');
  });
});

describe('stateStore postgres: wrong values are config errors, nothing started', () => {
  const url = 'postgres://factory:x@127.0.0.1:1/factory';
  it.each([
    [
      'a literal URL',
      '{ type: postgres, url: "postgres://factory:hunter2@db/factory" }',
      url,
      'stateStore.url: is a secret and takes no literal value: write a reference to an environment variable such as ${DATABASE_URL}',
    ],
    [
      'an unset variable',
      '{ type: postgres, url: "${DATABASE_URL}" }',
      undefined,
      'environment variable DATABASE_URL is not set',
    ],
    [
      'a variable that holds no postgres URL',
      '{ type: postgres, url: "${DATABASE_URL}" }',
      'mysql://root:hunter2@db/factory',
      'the variable it names does not hold a postgres URL',
    ],
    ['an unknown ssl mode', '{ type: postgres, url: "${DATABASE_URL}", ssl: maybe }', url, 'expected one of'],
    ['a pool of none', '{ type: postgres, url: "${DATABASE_URL}", poolSize: 0 }', url, 'poolSize'],
    [
      'a CA without verification',
      '{ type: postgres, url: "${DATABASE_URL}", ca: ca.pem }',
      url,
      'set ssl: verify-full',
    ],
    ['an unknown key', '{ type: postgres, url: "${DATABASE_URL}", pool: 4 }', url, 'unknown key'],
  ])('%s', async (_name, stateStore, databaseUrl, message) => {
    writeConfig(stateStore);
    const { code, stderr } = await runFactory(['start', '--port', '0'], {
      cwd: project,
      env: { ...SECRETS, ...(databaseUrl !== undefined ? { DATABASE_URL: databaseUrl } : {}) },
    });
    expect(code).toBe(2);
    expect(stderr).toContain('factory.config.yaml');
    expect(stderr).toContain(message);
    expect(stderr).not.toContain('hunter2');
  });

  it('a CA file that cannot be read', async () => {
    writeConfig('{ type: postgres, url: "${DATABASE_URL}", ssl: verify-full, ca: missing-ca.pem }');
    const { code, stderr } = await runFactory(['start', '--port', '0'], {
      cwd: project,
      env: { ...SECRETS, DATABASE_URL: postgres.url() },
    });
    expect(code).toBe(2);
    expect(stderr).toBe(
      `factory: stateStore.ca: cannot read ${path.join(project, 'missing-ca.pem')} (ENOENT)\n`,
    );
  });
});
