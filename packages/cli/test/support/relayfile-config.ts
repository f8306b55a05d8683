// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files write ${ENV_VAR} references literally.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
// relayfile itself, on 127.0.0.1: the loopback server @software-factory/relayfile's own tests run against.
import { STATE_IDS, TRACKER_STATES } from '../../../relayfile/test/support/layout.ts';
import { RelayfileServer } from '../../../relayfile/test/support/relayfile-server.ts';
import { DEMO_AGENT_COMMAND, ensureDemoRepository } from '../../src/local-setup.ts';
import { testFolder } from './temp-folder.ts';

export { issueFile, TRACKER_STATES } from '../../../relayfile/test/support/layout.ts';
export { RelayfileServer } from '../../../relayfile/test/support/relayfile-server.ts';

export const CHANNEL = 'C111__general';
export const REPOSITORY = 'Codertocat/Hello-World';

/**
 * relayfile on loopback, knowing the tracker's workflow states so a state write-back moves the issue.
 * Unlike relayfile's cloud it posts webhooks to http and loopback URLs (`webhookUrls: 'any'`), since the
 * factory under test listens on 127.0.0.1; `outboundWebhooks: false` makes it the self-hosted server.
 */
export async function startRelayfile(
  options: { workspaceId?: string; token?: string; outboundWebhooks?: boolean } = {},
) {
  const server = await new RelayfileServer({ webhookUrls: 'any', ...options }).start();
  for (const state of Object.values(TRACKER_STATES)) server.trackerStates.set(state.id, state);
  return server;
}

export interface TenantSpec {
  id: string;
  /** The variable names the mount's secrets are read from. */
  tokenVariable?: string;
  secretVariable?: string;
  /** Which roles go through relayfile; the others are direct. All three by default. */
  relayfileRoles?: ('intake' | 'chat' | 'code')[];
  /** A local folder instead of relayfile: the tenant has no relayfile mount at all. */
  directory?: string;
  repositories?: string[];
  /** Opens the tenant's dashboard with the token in FACTORY_ADMIN_TOKEN. */
  adminToken?: boolean;
}

/**
 * A multi-tenant factory.config.yaml in a new folder, with a git repository and the bundled demo agent
 * as the fleet, so `factory start` accepts it too. Secrets are `${ENV}` references only.
 */
export async function writeRelayfileConfig(
  tenants: readonly (TenantSpec & { server?: RelayfileServer })[],
  options: { port?: number } = {},
): Promise<{ dir: string; file: string }> {
  const dir = await testFolder('factory-relayfile-config-');
  ensureDemoRepository(path.join(dir, 'repo'));
  const yaml = [
    `server: { host: 127.0.0.1, port: ${options.port ?? 0} }`,
    'stateStore: { type: sqlite, path: .factory/state.sqlite }',
    'tick: { interval: 1s }',
    'tenants:',
    ...tenants.flatMap((tenant) => tenantYaml(tenant, dir)),
  ].join('\n');
  const file = path.join(dir, 'factory.config.yaml');
  await writeFile(file, `${yaml}\n`);
  return { dir, file };
}

/**
 * Where a tenant's direct vendors are: no test here reaches them (relayfile is what they test), and
 * nothing may leave this machine, so their APIs are a loopback port nothing listens on (9, discard).
 */
const NO_VENDOR = 'http://127.0.0.1:9';

function tenantYaml(tenant: TenantSpec & { server?: RelayfileServer }, dir: string): string[] {
  const roles = new Set(tenant.relayfileRoles ?? ['intake', 'chat', 'code']);
  const q = (value: string) => JSON.stringify(value);
  const mount = tenant.directory
    ? `{ type: directory, path: ${q(tenant.directory)} }`
    : `{ type: relayfile, workspace: ${tenant.server?.workspaceId}, baseUrl: ${q(tenant.server?.url ?? '')}, token: "\${${tenant.tokenVariable ?? 'RELAYFILE_TOKEN'}}", webhookSecret: "\${${tenant.secretVariable ?? 'RELAYFILE_WEBHOOK_SECRET'}}" }`;
  const transport = (role: 'intake' | 'chat' | 'code') =>
    tenant.directory || roles.has(role) ? 'relayfile' : 'direct';
  return [
    `  - id: ${tenant.id}`,
    transport('intake') === 'relayfile'
      ? `    intentProvider: { type: linear, transport: relayfile, stateIds: { dispatched: ${q(STATE_IDS.dispatched)}, done: ${q(STATE_IDS.done)} } }`
      : `    intentProvider: { type: linear, transport: direct, apiUrl: ${q(`${NO_VENDOR}/graphql`)}, apiKey: "\${LINEAR_API_KEY}", webhookSecret: "\${LINEAR_WEBHOOK_SECRET}", readyStates: [Todo], requiredLabels: [factory] }`,
    transport('chat') === 'relayfile'
      ? `    clarificationChannel: { type: slack, transport: relayfile, channel: ${CHANNEL} }`
      : `    clarificationChannel: { type: slack, transport: direct, apiUrl: ${q(`${NO_VENDOR}/api`)}, botToken: "\${SLACK_BOT_TOKEN}", signingSecret: "\${SLACK_SIGNING_SECRET}", channel: C0123456789 }`,
    transport('code') === 'relayfile'
      ? `    outputTarget: { type: github, transport: relayfile, repositories: [${(tenant.repositories ?? [REPOSITORY]).join(', ')}] }`
      : `    outputTarget: { type: github, transport: direct, baseUrl: ${q(NO_VENDOR)}, token: "\${GITHUB_TOKEN}", webhookSecret: "\${GITHUB_WEBHOOK_SECRET}" }`,
    `    mount: ${mount}`,
    '    fleet:',
    '      type: local',
    `      command: [${DEMO_AGENT_COMMAND.map(q).join(', ')}]`,
    `      repository: ${q(path.join(dir, 'repo'))}`,
    `      env: { FACTORY_DEMO_MOUNT: ${q(path.join(dir, 'pulls'))}, FACTORY_DEMO_REPOSITORY: ${REPOSITORY} }`,
    `    routes: [{ name: app, match: { labels: [factory] }, repository: ${REPOSITORY}, agent: coder }]`,
    ...(tenant.adminToken ? ['    adminToken: "${FACTORY_ADMIN_TOKEN}"'] : []),
  ];
}

/** The environment the config's references name; each value distinct, so a leak is attributable. */
export function relayfileEnv(servers: Record<string, RelayfileServer>): Record<string, string> {
  const env: Record<string, string> = {
    LINEAR_API_KEY: 'lin_api_test_key_never_printed',
    LINEAR_WEBHOOK_SECRET: 'linear-webhook-secret-never-printed',
    SLACK_BOT_TOKEN: 'xoxb-test-token-never-printed',
    SLACK_SIGNING_SECRET: 'slack-signing-secret-never-printed',
    GITHUB_TOKEN: 'ghp_test_token_never_printed',
    GITHUB_WEBHOOK_SECRET: 'github-webhook-secret-never-printed',
  };
  for (const [prefix, server] of Object.entries(servers)) {
    env[`${prefix}RELAYFILE_TOKEN`] = server.token;
    env[`${prefix}RELAYFILE_WEBHOOK_SECRET`] = `${prefix.toLowerCase()}relay-signing-secret-for-tests`;
  }
  return env;
}

export { STATE_IDS };
