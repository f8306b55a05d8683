import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { importOptionalPeer, MissingPeerError } from '@software-factory/sdk';
import { CliError, EXIT_USAGE } from '../cli-error.ts';

/** `name` on PATH, or undefined. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

/** A tool installed in the project (`node_modules/.bin/<name>` here or in a parent), else on PATH. */
export function findTool(name: string, projectDir: string, env: NodeJS.ProcessEnv = process.env) {
  for (let dir = path.resolve(projectDir); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', '.bin', name);
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  return findOnPath(name, env);
}

/** Whether the package resolves from `dir` (as a bundler starting from a file there would find it). */
export function resolvesFrom(dir: string, name: string): boolean {
  try {
    createRequire(path.join(dir, 'noop.js')).resolve(name);
    return true;
  } catch (error) {
    // Packages that only export `import` conditions are found but not requirable: still there.
    return (error as NodeJS.ErrnoException).code === 'ERR_PACKAGE_PATH_NOT_EXPORTED';
  }
}

/**
 * The packages an entry imports must be installed where it is written (the bundler starts there), and
 * the build tools the command loads must be in the project (or beside the CLI); all missing ones are
 * named at once, with the command that installs them.
 */
export function requirePackages(
  dir: string,
  names: readonly string[],
  command: string,
  tools: readonly string[] = [],
): void {
  const missing = names.filter((name) => !resolvesFrom(dir, name));
  const cliDir = path.dirname(fileURLToPath(import.meta.url));
  const missingTools = tools.filter((name) => !resolvesFrom(dir, name) && !resolvesFrom(cliDir, name));
  if (missing.length === 0 && missingTools.length === 0) return;
  const install = [
    ...(missing.length > 0 ? [`npm install ${missing.join(' ')}`] : []),
    ...(missingTools.length > 0 ? [`npm install --save-dev ${missingTools.join(' ')}`] : []),
  ].join(' && ');
  throw new CliError(
    `${command} needs ${[...missing, ...missingTools].join(', ')} installed in your project (where ${path.relative(process.cwd(), dir) || '.'} is): run \`${install}\`${missing.length > 0 ? ', and keep --out inside the project' : ''}`,
    EXIT_USAGE,
  );
}

type Esbuild = typeof import('esbuild');

/**
 * esbuild from the user's project (it is not a dependency of the CLI, so `npm i @software-factory/cli`
 * stays small), else from wherever the CLI itself resolves it; a clear error naming the package when
 * neither has it.
 */
export async function loadEsbuild(projectDir: string, purpose: string): Promise<Esbuild> {
  try {
    const resolved = createRequire(path.join(projectDir, 'noop.js')).resolve('esbuild');
    return (await import(pathToFileURL(resolved).href)) as Esbuild;
  } catch {}
  try {
    return await importOptionalPeer('esbuild', purpose, () => import('esbuild'));
  } catch (error) {
    if (error instanceof MissingPeerError)
      throw new CliError(`${purpose} needs the package esbuild: npm install --save-dev esbuild`, EXIT_USAGE);
    throw error;
  }
}

/** Runs a deploy tool with its output passed through (and kept, to find the URL it prints). */
export function runTool(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['inherit', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      process.stderr.write(chunk);
    });
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), output }));
  });
}

/** A word for a shell command line: quoted only when it must be. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
