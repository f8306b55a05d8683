import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { withLoopbackGuard } from '../../../../scripts/loopback-guard.mjs';

const FACTORY_BIN = fileURLToPath(new URL('../../bin/factory.js', import.meta.url));
const ROOT_BIN = fileURLToPath(new URL('../../../../node_modules/.bin', import.meta.url));

export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

export interface FactoryProcessOptions {
  cwd: string;
  env?: Record<string, string>;
  /** Node's own options before the bin, e.g. `--import` of a module that registers a provider. */
  nodeArgs?: readonly string[];
}

/** `factory …` as a child process, the way a user runs it, with its output collected as it comes. */
export class FactoryProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout = '';
  stderr = '';
  readonly #waiters = new Set<() => void>();

  constructor(args: readonly string[], options: FactoryProcessOptions) {
    this.child = spawn(process.execPath, [...(options.nodeArgs ?? []), FACTORY_BIN, ...args], {
      cwd: options.cwd,
      // An environment of its own, as a user's shell gives: held to this machine all the same.
      env: withLoopbackGuard({
        PATH: `${ROOT_BIN}:${process.env.PATH ?? ''}`,
        HOME: process.env.HOME ?? options.cwd,
        ...options.env,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      this.#notify();
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
      this.#notify();
    });
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    void this.exited.then(() => this.#notify());
  }

  /** The JSON log lines printed so far. */
  get logs(): LogLine[] {
    return this.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
  }

  /** Waits for a log line that matches; fails with what was printed if the process ends first. */
  async waitForLog(match: (line: LogLine) => boolean): Promise<LogLine> {
    for (;;) {
      const found = this.logs.find(match);
      if (found) return found;
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(`factory ended before the expected log line:\n${this.stdout}\n${this.stderr}`);
      await new Promise<void>((resolve) => this.#waiters.add(resolve));
    }
  }

  /** The URL `factory start` says it listens on. */
  async url(): Promise<string> {
    return String((await this.waitForLog((line) => line.msg === 'factory started')).url);
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  #notify(): void {
    for (const waiter of this.#waiters) waiter();
    this.#waiters.clear();
  }
}

/** Runs `factory …` to the end. */
export async function runFactory(
  args: readonly string[],
  options: FactoryProcessOptions,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const process = new FactoryProcess(args, options);
  const { code } = await process.exited;
  return { code, stdout: process.stdout, stderr: process.stderr };
}

/** Polls `check` until it returns a value; the test's own timeout bounds the wait. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  everyMs = 50,
): Promise<T> {
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
