// biome-ignore-all lint/suspicious/noTemplateCurlyInString: configs hold ${ENV_VAR} references literally.
import { execFileSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runFactory } from './support/factory-process.ts';
import { startVendors, tempDir, type Vendors, vendorConfig } from './support/onboarding-vendors.ts';

// `factory check` checks where agents run next to the providers, with the checks `factory start` makes
// before it serves: what start would refuse, check reports (and exits 1 for), and init warns about.

const ENV = {
  LINEAR_WEBHOOK_SECRET: 'lin_wh_secret_0123456789',
  SLACK_SIGNING_SECRET: 'slack_signing_secret_0123456789',
  GITHUB_WEBHOOK_SECRET: 'gh_wh_secret_0123456789',
  LINEAR_API_KEY: 'lin_oauth_test_token',
  SLACK_BOT_TOKEN: 'xoxb-test-token',
  GITHUB_TOKEN: 'ghp_classic_test_token',
  FLEET_SECRET: 'fleet_secret_0123456789abcdef',
};

interface FleetJson {
  ok: boolean;
  providers: { provider: string; state: string }[];
  fleet: { tenant: string; fleet: string; check: string; ok: boolean; reason?: string; fix?: string }[];
}

let vendors: Vendors;
/** Answers every request with 404, as an endpoint that is there but not asked the right thing. */
let fleetEndpoint: Server;
let fleetUrl: string;
let closedPort: number;
let dir: string;

beforeAll(async () => {
  vendors = await startVendors();
  vendors.slack.scopes = ['chat:write', 'channels:history', 'channels:read'];
  vendors.github.scopes = ['repo', 'read:org'];
  fleetEndpoint = createHttpServer((_request, response) => response.writeHead(404).end());
  await new Promise<void>((resolve) => fleetEndpoint.listen(0, '127.0.0.1', resolve));
  fleetUrl = `http://127.0.0.1:${(fleetEndpoint.address() as { port: number }).port}/factory`;
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
});
afterAll(async () => {
  await vendors.close();
  await new Promise((resolve) => fleetEndpoint.close(resolve));
});
beforeEach(async () => {
  dir = await tempDir('factory-check-fleet-');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The loopback vendors' config with every token given (all three providers connected) and this fleet. */
async function writeConfig(fleet: string): Promise<void> {
  const text = vendorConfig(vendors)
    .replace('  webhookSecret: ${LINEAR_WEBHOOK_SECRET}', '$&\n  apiKey: ${LINEAR_API_KEY}')
    .replace('  signingSecret: ${SLACK_SIGNING_SECRET}', '$&\n  botToken: ${SLACK_BOT_TOKEN}')
    .replace('  webhookSecret: ${GITHUB_WEBHOOK_SECRET}', '$&\n  token: ${GITHUB_TOKEN}')
    .replace('fleet: { type: local, command: "true" }', `fleet: ${fleet}`);
  await writeFile(path.join(dir, 'factory.config.yaml'), text);
}

const factory = (args: string[], cwd = dir, env: Record<string, string> = ENV) =>
  runFactory(args, { cwd, env });
/**
 * The webhook secrets without the API tokens: a config `init` writes names the vendors' real APIs, which
 * a test must not reach, and without a token their checks say so without asking them.
 */
const UNCONNECTED = {
  LINEAR_WEBHOOK_SECRET: ENV.LINEAR_WEBHOOK_SECRET,
  SLACK_SIGNING_SECRET: ENV.SLACK_SIGNING_SECRET,
  GITHUB_WEBHOOK_SECRET: ENV.GITHUB_WEBHOOK_SECRET,
};
const checkJson = async () => {
  const result = await factory(['check', '--json']);
  return { code: result.code, json: JSON.parse(result.stdout) as FleetJson };
};

describe('factory check: the local fleet', () => {
  it('is ✓ when the agent command is on PATH and the repository is a git repository', async () => {
    execFileSync('git', ['init', '--quiet', path.join(dir, 'app')]);
    await writeConfig('{ type: local, command: "true --yes", repository: app }');

    const { code, json } = await checkJson();

    expect(code).toBe(0);
    expect(json.ok).toBe(true);
    expect(json.fleet).toEqual([
      { tenant: 'acme', fleet: 'local', check: 'agent command', ok: true },
      { tenant: 'acme', fleet: 'local', check: 'repository', ok: true },
    ]);
  });

  it('fails (exit 1) when the command is not on PATH and the repository is missing, with what to do for each', async () => {
    await writeConfig('{ type: local, command: "no-such-agent-cli -p", repository: missing-app }');

    const result = await factory(['check']);

    // The three providers are connected: the fleet alone makes check fail.
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      [
        'PROVIDER     ROLE           STATUS       MISSING SCOPES  FIX',
        'linear       intake         ✓ connected',
        'slack        clarification  ✓ connected',
        'github       output         ✓ connected',
        'local fleet  agent command  ✗ failed                     install no-such-agent-cli so that it is on PATH, or change fleet.command',
        'local fleet  repository     ✗ failed                     clone your repository to missing-app, or change fleet.repository',
        '',
        'linear: factory@example.com @ acme',
        'slack: factory @ Acme',
        'github: factory-bot',
        'local fleet: agent command "no-such-agent-cli" was not found on PATH',
        `local fleet: repository ${path.join(dir, 'missing-app')} does not exist`,
        '',
      ].join('\n'),
    );
    expect(result.stderr).toBe('');
  });

  it('fails for a folder that is not a git repository, and for a program path that is not executable', async () => {
    await mkdir(path.join(dir, 'plain'));
    await writeFile(path.join(dir, 'agent.sh'), '#!/bin/sh\n', { mode: 0o644 });
    await writeConfig('{ type: local, command: [./agent.sh], repository: plain }');

    const { code, json } = await checkJson();

    expect(code).toBe(1);
    expect(json.ok).toBe(false);
    expect(json.fleet).toEqual([
      {
        tenant: 'acme',
        fleet: 'local',
        check: 'agent command',
        ok: false,
        reason: `agent command "${path.join(dir, 'agent.sh')}" is not an executable file`,
        fix: `make ${path.join(dir, 'agent.sh')} executable, or change fleet.command`,
      },
      {
        tenant: 'acme',
        fleet: 'local',
        check: 'repository',
        ok: false,
        reason: `${path.join(dir, 'plain')} is not a git repository`,
        fix: 'git init plain (or clone into it), or change fleet.repository',
      },
    ]);
  });

  it('agrees with `factory start`, which refuses the same config for the same reason', async () => {
    execFileSync('git', ['init', '--quiet', dir]);
    await writeConfig('{ type: local, command: "no-such-agent-cli -p" }');

    const { json } = await checkJson();
    const start = await factory(['start', '--port', '0']);

    expect(json.fleet.find((row) => !row.ok)?.reason).toBe(
      'agent command "no-such-agent-cli" was not found on PATH',
    );
    expect(start.code).toBe(2);
    expect(start.stderr).toContain('agent command "no-such-agent-cli" was not found on PATH');
  });
});

describe('factory check: a remote fleet', () => {
  it('is ✓ reachable when its endpoint answers at all (here 404), and exits 0', async () => {
    await writeConfig(`{ type: http, url: "${fleetUrl}", secret: "\${FLEET_SECRET}" }`);

    const result = await factory(['check']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('http fleet  endpoint       ✓ reachable');
  });

  it('is ✗ unreachable naming the host it could not reach, and exits 1', async () => {
    await writeConfig(
      `{ type: http, url: "http://127.0.0.1:${closedPort}/factory", secret: "\${FLEET_SECRET}" }`,
    );

    const { code, json } = await checkJson();

    expect(code).toBe(1);
    expect(json.fleet).toEqual([
      {
        tenant: 'acme',
        fleet: 'http',
        check: 'endpoint',
        ok: false,
        reason: `cannot reach 127.0.0.1:${closedPort} (ECONNREFUSED: connection refused)`,
        fix: 'check fleet.url and the network',
      },
    ]);
    expect(JSON.stringify(json)).not.toContain(ENV.FLEET_SECRET);
  });

  it('checks an agent-relay fleet at its base URL, and that its SDK loads (as start does)', async () => {
    await writeConfig(`{ type: agent-relay, workspaceKey: "\${FLEET_SECRET}", baseUrl: "${fleetUrl}" }`);

    const { code, json } = await checkJson();

    expect(code).toBe(0);
    expect(json.fleet).toEqual([
      { tenant: 'acme', fleet: 'agent-relay', check: 'endpoint', ok: true },
      { tenant: 'acme', fleet: 'agent-relay', check: 'package', ok: true },
    ]);
  });

  it('checks a github-actions fleet at its API base URL', async () => {
    await writeConfig(`{ type: github-actions, baseUrl: "${vendors.github.url}" }`);

    const { code, json } = await checkJson();

    expect(code).toBe(0);
    expect(json.fleet).toEqual([{ tenant: 'acme', fleet: 'github-actions', check: 'endpoint', ok: true }]);
  });
});

describe("factory init --yes (the README's example) with an agent command and a repository it cannot find", () => {
  it('writes the file, warns about both at once and exits 0; check then fails on the same two rows', async () => {
    const project = path.join(dir, 'project');
    await mkdir(project);

    const init = await factory(
      [
        'init',
        '--yes',
        '--intent',
        'linear',
        '--channel',
        'slack',
        '--output',
        'github',
        '--fleet',
        'local',
        '--slack-channel',
        'C0123456789',
        '--repository',
        '../app',
        '--agent-command',
        'no-such-agent-cli -p',
        '--route',
        'acme/app',
        '--max-in-flight',
        '2',
      ],
      project,
      UNCONNECTED,
    );

    expect(init.code).toBe(0);
    expect(init.stderr).toBe('');
    expect(init.stdout.split('\n').slice(0, 3)).toEqual([
      'Wrote factory.config.yaml.',
      'Warning: agent command "no-such-agent-cli" was not found on PATH; install no-such-agent-cli so that it is on PATH, or change fleet.command in factory.config.yaml.',
      `Warning: repository ${path.join(dir, 'app')} does not exist; clone your repository to ../app, or change fleet.repository in factory.config.yaml.`,
    ]);

    const check = await factory(['check', '--json'], project, UNCONNECTED);

    expect(check.code).toBe(1);
    expect(
      (JSON.parse(check.stdout) as FleetJson).fleet.map((row) => [row.check, row.ok, row.reason]),
    ).toEqual([
      ['agent command', false, 'agent command "no-such-agent-cli" was not found on PATH'],
      ['repository', false, `repository ${path.join(dir, 'app')} does not exist`],
    ]);
  });
});
