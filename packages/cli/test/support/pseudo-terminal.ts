import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { withLoopbackGuard } from '../../../../scripts/loopback-guard.mjs';

const FACTORY_BIN = fileURLToPath(new URL('../../bin/factory.js', import.meta.url));
const ROOT_BIN = fileURLToPath(new URL('../../../../node_modules/.bin', import.meta.url));

/** Keys as a terminal sends them. */
export const KEY = {
  enter: '\r',
  down: '\u001b[B',
  up: '\u001b[A',
  backspace: '\u007f',
  ctrlC: '\u0003',
} as const;

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences are control characters.
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]|\u001b[()][A-Za-z0-9]|\u001b[=>78]|\r/g;

/**
 * `factory …` under a pseudo-terminal made by util-linux `script` (in every Debian/Ubuntu base image),
 * so stdin and stdout are TTYs as in a person's terminal. Keys are written to the terminal; the screen is
 * read back with escape sequences removed.
 */
export class PseudoTerminal {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  #raw = '';
  #read = 0;
  readonly #waiters = new Set<() => void>();

  constructor(args: readonly string[], options: { cwd: string; env: Record<string, string> }) {
    const command = ['stty cols 160 rows 50;', 'exec', process.execPath, FACTORY_BIN, ...args]
      .map((part, index) => (index < 2 ? part : `'${part.replace(/'/g, "'\\''")}'`))
      .join(' ');
    this.child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], {
      cwd: options.cwd,
      env: withLoopbackGuard({
        PATH: `${ROOT_BIN}:${process.env.PATH ?? ''}`,
        HOME: process.env.HOME ?? options.cwd,
        TERM: 'xterm-256color',
        ...options.env,
      }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) => {
      this.#raw += chunk.toString('utf8');
      for (const waiter of this.#waiters) waiter();
      this.#waiters.clear();
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    void this.exited.then(() => {
      for (const waiter of this.#waiters) waiter();
    });
  }

  /** Everything shown so far, without escape sequences. */
  get screen(): string {
    return this.#raw.replace(ANSI, '');
  }

  /** Waits until `text` appears after what earlier waits consumed; fails with the screen if it exits first. */
  async waitFor(text: string): Promise<void> {
    for (;;) {
      const index = this.screen.indexOf(text, this.#read);
      if (index >= 0) {
        this.#read = index + text.length;
        return;
      }
      if (this.child.exitCode !== null)
        throw new Error(`factory exited before showing ${JSON.stringify(text)}:\n${this.screen}`);
      await new Promise<void>((resolve) => this.#waiters.add(resolve));
    }
  }

  /** Waits for a prompt, then types the keys. */
  async answer(prompt: string, ...keys: string[]): Promise<void> {
    await this.waitFor(prompt);
    this.type(...keys);
  }

  type(...keys: string[]): void {
    this.child.stdin?.write(keys.join(''));
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}
