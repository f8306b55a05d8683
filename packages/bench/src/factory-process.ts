import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import { benchTenantConfig, FACTORY_ENV } from './bench-config.ts';

export interface FactoryConfigOptions {
  dir: string;
  /** The loopback VendorServer the direct providers talk to. */
  vendorUrl: string;
  maxInFlight: number;
  /** The agent: an argv list run without a shell. */
  agent: string[];
  /** Environment the agent gets (not secrets: the config file is not secret). */
  agentEnv?: Record<string, string>;
  tick?: string;
  /** `stateStore:` of the config; default a SQLite file in `state/`. */
  stateStore?: Record<string, unknown>;
  /** Core settings merged over the defaults (effectLease, retry, agents…). */
  settings?: Record<string, unknown>;
}

/**
 * A `factory.config.yaml` for one tenant on the direct Linear, Slack and GitHub providers (pointed at
 * the loopback vendors), SQLite state (or the store given) and the local process fleet, in a git repository of its own.
 */
export function writeFactoryConfig(options: FactoryConfigOptions): string {
  const repository = join(options.dir, 'repo');
  mkdirSync(repository, { recursive: true });
  execFileSync('git', ['init', '-q', '-b', 'main', repository]);
  execFileSync('git', [
    '-C',
    repository,
    '-c',
    'user.name=bench',
    '-c',
    'user.email=bench@example.com',
    'commit',
    '-q',
    '--allow-empty',
    '-m',
    'start',
  ]);
  // Key order as before: the YAML reads tenant, runtime, vendors, fleet, routes, limits.
  const { tenant, routes, ...vendors } = benchTenantConfig(options.vendorUrl);
  const config = {
    tenant,
    server: { host: '127.0.0.1', port: 0 },
    tick: { interval: options.tick ?? '1h' },
    stateStore: options.stateStore ?? { type: 'sqlite', path: 'state/state.sqlite' },
    ...vendors,
    fleet: { type: 'local', command: options.agent, repository: 'repo', env: options.agentEnv ?? {} },
    routes,
    limits: { maxInFlight: options.maxInFlight },
    ...options.settings,
  };
  const file = join(options.dir, 'factory.config.yaml');
  writeFileSync(file, stringify(config));
  return file;
}

export interface RunningFactory {
  url: string;
  pid: number;
  /** Every JSON log line so far. */
  lines: string[];
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/** `factory start --config <file>` as a user runs it: its own process, on 127.0.0.1 and a free port. */
export async function startFactory(
  configFile: string,
  options: { env?: Record<string, string>; port?: number } = {},
): Promise<RunningFactory> {
  const port = options.port ?? (await freePort());
  const require = createRequire(import.meta.url);
  const bin = join(dirname(require.resolve('@software-factory/cli')), '..', 'bin', 'factory.js');
  const child: ChildProcess = spawn(
    process.execPath,
    [bin, 'start', '--config', configFile, '--port', String(port), '--log-level', 'warn'],
    {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...FACTORY_ENV, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => lines.push(line));
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => lines.push(line));
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    const ended = await Promise.race([exited.then(() => true), sleep(25).then(() => false)]);
    if (ended) throw new Error(`factory start exited before serving:\n${lines.join('\n')}`);
    const ok = await fetch(`${url}/healthz`).then(
      (response) => response.status > 0,
      () => false,
    );
    if (ok) break;
  }
  return {
    url,
    pid: child.pid as number,
    lines,
    exited,
    async kill(signal) {
      child.kill(signal);
      return exited;
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
