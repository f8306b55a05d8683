// What the bench's three commands (`npm run bench`, `soak`, `fuzz`) share: their numeric flags, and
// running `main` only when node runs the file itself, not when a test imports it.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorMessage } from '@software-factory/sdk';

/** `--name`'s value as a whole number of at least `min`; throws naming the flag and what was given. */
export function wholeNumber(name: string, text: string, min: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min)
    throw new Error(`--${name} must be a whole number of at least ${min}, got "${text}"`);
  return Number(text);
}

/**
 * Runs `main` with the command's arguments when `moduleUrl` is the file node was asked to run, and
 * exits with its code; a failure exits with the code `failed` returns once it has said why.
 */
export function runWhenMain(
  moduleUrl: string,
  main: (argv: string[]) => Promise<number>,
  failed: (error: unknown) => number,
): void {
  if (!process.argv[1] || resolve(process.argv[1]) !== fileURLToPath(moduleUrl)) return;
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => process.exit(failed(error)),
  );
}

/** For a command whose failures are worth its usage line: `<command> failed: <why>`, the usage, exit 2. */
export function failedWithUsage(command: string, usage: string): (error: unknown) => number {
  return (error) => {
    console.error(`${command} failed: ${errorMessage(error)}\n${usage}`);
    return 2;
  };
}
