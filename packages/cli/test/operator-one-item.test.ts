// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files write ${ENV_VAR} references literally.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PlannedWrite } from '@software-factory/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GithubServer } from '../../providers/test/support/github-server.ts';
import { defaultStates, LinearServer } from '../../providers/test/support/linear-server.ts';
import { SlackServer } from '../../providers/test/support/slack-server.ts';
import { runFactory } from './support/factory-process.ts';
import { LoopbackHttpFleet } from './support/loopback-http-fleet.ts';

const FLEET_SECRET = 'fleet-shared-secret-0123456789';
const ENV = {
  LINEAR_API_KEY: 'lin_oauth_test_token',
  LINEAR_WEBHOOK_SECRET: 'linear-webhook-secret',
  SLACK_BOT_TOKEN: 'xoxb-test-token',
  SLACK_SIGNING_SECRET: 'slack-signing-secret',
  GITHUB_TOKEN: 'ghp_classic_test_token',
  GITHUB_WEBHOOK_SECRET: 'github-webhook-secret',
  FLEET_SECRET,
};
/** The Linear operations that change something; everything else the provider sends is a read. */
const LINEAR_WRITES = new Set(['FactoryIssueSetState', 'FactoryLabelCreate', 'FactoryCommentCreate']);
const SLACK_WRITES = new Set(['chat.postMessage', 'chat.update', 'chat.delete']);

let dir: string;
const linear = new LinearServer();
const slack = new SlackServer();
const github = new GithubServer();
const fleet = new LoopbackHttpFleet(FLEET_SECRET);

function issue(id: string, number: number, title: string, description: string, labels: string[]) {
  linear.addIssue({
    id,
    identifier: `ENG-${number}`,
    number,
    title,
    description,
    url: `https://linear.app/acme/issue/ENG-${number}`,
    updatedAt: '2026-01-05T10:00:00.000Z',
    priority: 2,
    stateId: 'eng-todo',
    teamId: 'team-eng',
    labels: labels.map((name) => ({ id: `label-${name}`, name })),
  });
}

beforeAll(async () => {
  await Promise.all([linear.start(), slack.start(), github.start(), fleet.start()]);
  linear.addTeam({ id: 'team-eng', key: 'ENG', name: 'Engineering', states: defaultStates('eng') });
  issue(
    'issue-clear',
    1,
    'Add a --json flag to the export command',
    'The export command prints a table. Add a --json flag that prints the same rows as a JSON array. Acceptance criteria: the flag is documented and covered by a test.',
    ['factory'],
  );
  issue('issue-vague', 2, 'Fix export', 'It is broken.', ['factory']);
  issue(
    'issue-outside',
    3,
    'Rewrite the billing service in Rust',
    'Someone should rewrite billing. Acceptance criteria: it is faster, it is safer, and it ships this quarter.',
    ['backend'],
  );
  dir = await mkdtemp(path.join(tmpdir(), 'factory-one-item-'));
  await writeFile(
    path.join(dir, 'factory.config.yaml'),
    `tenant: acme
stateStore: { type: sqlite, path: state.sqlite }
intentProvider:
  type: linear
  transport: direct
  apiUrl: ${linear.url}
  apiKey: \${LINEAR_API_KEY}
  webhookSecret: \${LINEAR_WEBHOOK_SECRET}
clarificationChannel:
  type: slack
  transport: direct
  apiUrl: ${slack.url}
  channel: C0123456789
  botToken: \${SLACK_BOT_TOKEN}
  signingSecret: \${SLACK_SIGNING_SECRET}
outputTarget:
  type: github
  transport: direct
  baseUrl: ${github.url}
  token: \${GITHUB_TOKEN}
  webhookSecret: \${GITHUB_WEBHOOK_SECRET}
fleet:
  type: http
  url: ${fleet.url}
  secret: \${FLEET_SECRET}
routes:
  - { name: app, match: { labels: [factory] }, repository: acme/app, agent: claude }
`,
  );
});

afterAll(async () => {
  await Promise.all([linear.stop(), slack.stop(), github.stop(), fleet.stop()]);
  await rm(dir, { recursive: true, force: true });
});

const factory = (...args: string[]) => runFactory(args, { cwd: dir, env: ENV });

function writesSoFar() {
  return {
    linear: linear.operations.filter((operation) => LINEAR_WRITES.has(operation)),
    slack: slack.calls.filter((call) => SLACK_WRITES.has(call.method)).map((call) => call.method),
    fleet: fleet.writes().map((request) => `${request.method} ${request.path}`),
  };
}

const NO_WRITES = { linear: [], slack: [], fleet: [] };

describe('factory triage <item>', () => {
  it('prints the decision and why for a clear item, writing nothing', async () => {
    const { code, stdout, stderr } = await factory('triage', 'ENG-1');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('ENG-1  "Add a --json flag to the export command"');
    expect(stdout).toContain('safety gate: inside the opt-in scope');
    expect(stdout).toMatch(/route\s+app → acme\/app \(agent claude\)/);
    expect(stdout).toMatch(/confidence\s+1\.00/);
    expect(stdout).toContain('- route app matches');
    expect(writesSoFar()).toEqual(NO_WRITES);
  });

  it('gives the question it would ask about a vague item, as JSON too', async () => {
    const { code, stdout } = await factory('triage', 'https://linear.app/acme/issue/ENG-2', '--json');
    expect(code).toBe(0);
    const answer = JSON.parse(stdout);
    expect(answer).toMatchObject({
      item: { key: 'ENG-2', url: 'https://linear.app/acme/issue/ENG-2' },
      insideScope: true,
      decision: {
        route: { name: 'app', repository: 'acme/app' },
        question: expect.stringContaining('Fix export'),
      },
    });
    expect(answer.decision.confidence).toBeLessThan(0.6);
    expect(answer.decision.reasons).toContain('the description has 3 words');
    expect(writesSoFar()).toEqual(NO_WRITES);
  });

  it('reports an item outside the safety gate as such and does not triage it', async () => {
    const { code, stdout } = await factory('triage', 'ENG-3');
    expect(code).toBe(0);
    expect(stdout).toContain('safety gate: outside the opt-in scope: missing label "factory"');
    expect(stdout).not.toContain('confidence');
  });

  it('names an item the tracker does not have', async () => {
    const { code, stderr } = await factory('triage', 'ENG-404');
    expect(code).toBe(1);
    expect(stderr).toBe('factory: linear has no work item "ENG-404"\n');
  });

  it('refuses a missing argument and an unknown tenant with one line each', async () => {
    const missing = await factory('triage');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe("factory: missing required argument 'item'\n");
    const tenant = await factory('triage', 'ENG-1', '--tenant', 'globex');
    expect(tenant.code).toBe(2);
    expect(tenant.stderr).toBe(
      'factory: --tenant globex: no such tenant in factory.config.yaml (it has acme)\n',
    );
  });
});

describe('factory dispatch <item>', () => {
  it('--dry-run prints every write in full and makes none', async () => {
    const { code, stdout } = await factory('dispatch', 'ENG-1', '--dry-run');
    expect(code).toBe(0);
    expect(stdout).toMatch(/plan: 3 writes, none made/);
    expect(stdout).toMatch(/work-items set-state ENG-1 → dispatched/);
    expect(stdout).toMatch(/work-items comment ENG-1:/);
    expect(stdout).toMatch(/fleet spawn ENG-1: agent claude in acme\/app on branch \S+ \(attempt 1\), task:/);
    // The rendered task, in full.
    expect(stdout).toContain('Add a --json flag that prints the same rows as a JSON array.');
    expect(writesSoFar()).toEqual(NO_WRITES);
    // Nothing in the store either: status shows nothing in flight.
    const status = JSON.parse((await factory('status', '--json')).stdout);
    expect(status.tenants[0].inFlight).toEqual([]);
  });

  it('--dry-run on a vague item plans the question it would ask', async () => {
    const { code, stdout } = await factory('dispatch', 'ENG-2', '--dry-run', '--json');
    expect(code).toBe(0);
    const plan = JSON.parse(stdout).plan as PlannedWrite[];
    expect(plan.map((write) => write.action)).toContain('open-thread');
    expect(plan.find((write) => write.action === 'open-thread')?.detail.question).toContain('Fix export');
    expect(plan.map((write) => write.action)).not.toContain('spawn');
    expect(writesSoFar()).toEqual(NO_WRITES);
  });

  it('outside the safety gate plans nothing and says why', async () => {
    const { code, stdout } = await factory('dispatch', 'ENG-3', '--dry-run');
    expect(code).toBe(0);
    expect(stdout).toContain('safety gate: outside the opt-in scope: missing label "factory"');
    expect(stdout).toContain('plan: no writes');
  });

  it('for real, makes exactly the writes the dry run listed', async () => {
    const dry = JSON.parse((await factory('dispatch', 'ENG-1', '--dry-run', '--json')).stdout);
    const planned = (dry.plan as PlannedWrite[]).map((write) => write.action).sort();
    expect(writesSoFar()).toEqual(NO_WRITES);

    const { code, stdout } = await factory('dispatch', 'ENG-1', '--json');
    expect(code).toBe(0);
    const real = JSON.parse(stdout);
    expect(real).toMatchObject({ dryRun: false, outcome: 'changed' });
    expect(real.transitions.at(-1)).toMatchObject({ to: 'dispatched' });

    // One vendor write per planned write: an issue update per state change, a comment, one spawn.
    const writes = writesSoFar();
    const asPlanned: Record<string, string> = {
      FactoryIssueSetState: 'set-state',
      FactoryCommentCreate: 'comment',
      'POST /factory/agents': 'spawn',
    };
    const made = [...writes.linear, ...writes.slack, ...writes.fleet].map(
      (write) => asPlanned[write] ?? write,
    );
    expect(made.sort()).toEqual(planned);
    expect(linear.stateOf('issue-clear')?.name).toBe('In Progress');
    // The agent got the same task the plan showed.
    const spawned = JSON.parse(fleet.writes()[0]?.body ?? '{}');
    const plannedSpawn = (dry.plan as PlannedWrite[]).find((write) => write.action === 'spawn');
    expect(spawned.task).toBe(plannedSpawn?.detail.task);

    const status = JSON.parse((await factory('status', '--json')).stdout);
    expect(status.tenants[0].inFlight).toMatchObject([{ key: 'ENG-1', agentId: 'agent-1' }]);
  });
});
