import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { CliError } from './cli-error.ts';
import type { FactoryConfig } from './config/config-schema.ts';
import { parseConfig } from './config/load-config.ts';
import type { Environment } from './config/secret-reference.ts';
import { nodeScriptCommand } from './node-script.ts';

/** The bundled agent that commits a note and "opens" a pull request by writing it into the folder. */
export const DEMO_AGENT_COMMAND = nodeScriptCommand('./demo/demo-agent', import.meta.url);
export const DEMO_REPOSITORY = 'acme/demo';
export const DEMO_CHANNEL = 'C0FACTORY__factory';
export const DEMO_STATE_IDS = { dispatched: 'state-in-progress', done: 'state-done' } as const;

export interface LocalSetup {
  /** The folder in relayfile's layout that stands in for the tracker, the chat and the code host. */
  mountDir: string;
  /** Where the SQLite file and the fleet's agents live. */
  stateDir: string;
  /** The git repository agents work in; created with one commit if missing. */
  repository: string;
  maxInFlight?: number;
  tickInterval?: string;
  /** Opens the dashboard at /t/local/ when it holds FACTORY_ADMIN_TOKEN; the process's by default. */
  env?: Environment;
}

const ADMIN_TOKEN = 'FACTORY_ADMIN_TOKEN';

/**
 * The built-in config of `factory demo` and of `factory start --mount <dir>` without a config file: every
 * role through the folder, SQLite state, the local fleet running the bundled demo agent. It is YAML
 * parsed by the same loader as a user's file, so it cannot drift from the schema.
 */
export function localSetupYaml(setup: LocalSetup): string {
  const q = (value: string) => JSON.stringify(value);
  return `# The built-in local setup: ${setup.mountDir} plays tracker, chat and code host.
tenant: local
tick: { interval: ${q(setup.tickInterval ?? '2s')} }
stateStore: { type: sqlite, path: ${q(path.join(setup.stateDir, 'state.sqlite'))} }
intentProvider:
  type: linear
  transport: relayfile
  readyState: todo
  readyLabels: [factory]
  stateIds: { dispatched: ${DEMO_STATE_IDS.dispatched}, done: ${DEMO_STATE_IDS.done} }
clarificationChannel: { type: slack, transport: relayfile, channel: ${DEMO_CHANNEL} }
outputTarget: { type: github, transport: relayfile, repositories: [${DEMO_REPOSITORY}] }
mount: { type: directory, path: ${q(setup.mountDir)} }
fleet:
  type: local
  command: [${DEMO_AGENT_COMMAND.map(q).join(', ')}]
  repository: ${q(setup.repository)}
  stateDir: ${q(path.join(setup.stateDir, 'fleet'))}
  env: { FACTORY_DEMO_MOUNT: ${q(setup.mountDir)}, FACTORY_DEMO_REPOSITORY: ${DEMO_REPOSITORY} }
  passEnv: [FACTORY_DEMO_AGENT_DELAY_MS]
routes:
  - { name: demo, match: { labels: [factory] }, repository: ${DEMO_REPOSITORY}, agent: demo-agent }
limits: { maxInFlight: ${setup.maxInFlight ?? 1} }${adminTokenOf(setup) ? `\nadminToken: "\${${ADMIN_TOKEN}}"` : ''}
# A killed process holds no lease worth waiting 30 s for on one machine.
effectLease: 5s
agents: { checkInterval: 10s, outputGrace: 1m }
`;
}

export async function localSetupConfig(setup: LocalSetup): Promise<FactoryConfig> {
  ensureDemoRepository(setup.repository);
  const adminToken = adminTokenOf(setup);
  return parseConfig(localSetupYaml(setup), {
    fileName: '<built-in local setup>',
    baseDir: setup.stateDir,
    env: adminToken ? { [ADMIN_TOKEN]: adminToken } : {},
  });
}

function adminTokenOf(setup: LocalSetup): string | undefined {
  return (setup.env ?? process.env)[ADMIN_TOKEN] || undefined;
}

/** A git repository with one commit for the demo agent's worktrees, made once. */
export function ensureDemoRepository(repository: string): void {
  if (existsSync(path.join(repository, '.git'))) return;
  // Agents' branches carry what they made of the work items: only this user may read them.
  mkdirSync(repository, { recursive: true, mode: 0o700 });
  const identity = ['-c', 'user.name=factory demo', '-c', 'user.email=demo@factory.invalid'];
  try {
    execFileSync('git', ['init', '--quiet', '--initial-branch=main', repository], { stdio: 'pipe' });
    execFileSync(
      'git',
      ['-C', repository, ...identity, 'commit', '--quiet', '--allow-empty', '-m', 'demo repository'],
      { stdio: 'pipe' },
    );
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'ENOENT'
        ? 'git is not installed; the local fleet runs agents in git worktrees'
        : `cannot create the demo repository at ${repository}`,
    );
  }
}
