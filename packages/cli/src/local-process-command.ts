import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/** The agent command from config: an argv array, or one string the shell (`/bin/sh -c`) interprets. */
export type AgentCommand = string | readonly string[];

// A leading word the shell runs as a program (not `FOO=1 cmd`, `(cmd)`, `$CMD`, a keyword...).
const PLAIN_WORD = /^[A-Za-z0-9_./+-]+$/;
const SHELL_WORDS = new Set(['if', 'for', 'while', 'until', 'case', 'exec', 'command', 'env', 'cd', 'set']);

/**
 * Checks the command's shape and makes a program path with a slash absolute (against `baseDir`), since
 * the agent runs in its worktree, not where the factory was started.
 */
export function normalizeAgentCommand(command: AgentCommand, baseDir: string): AgentCommand {
  if (typeof command === 'string') {
    if (command.trim() === '') throw new Error('LocalProcessFleet: the agent command is empty');
    return command;
  }
  const [program, ...args] = command;
  if (program === undefined || program.trim() === '') {
    throw new Error('LocalProcessFleet: the agent command is empty');
  }
  return [program.includes('/') && !isAbsolute(program) ? resolve(baseDir, program) : program, ...args];
}

/**
 * Why the command's program cannot be run, or undefined if it can (or if the shell decides: a shell
 * string that starts with anything but a plain program name is left to the shell).
 */
export function missingProgram(command: AgentCommand, searchPath: string | undefined): string | undefined {
  const program = typeof command === 'string' ? command.trim().split(/\s+/)[0] : command[0];
  if (!program || !PLAIN_WORD.test(program) || SHELL_WORDS.has(program)) return undefined;
  if (program.includes('/')) {
    // A relative path in a shell string is relative to the worktree, which does not exist yet.
    if (!isAbsolute(program)) return undefined;
    return isExecutableFile(program) ? undefined : `agent command "${program}" is not an executable file`;
  }
  const found = (searchPath ?? '')
    .split(delimiter)
    .filter(Boolean)
    .some((dir) => isExecutableFile(join(dir, program)));
  return found ? undefined : `agent command "${program}" was not found on PATH`;
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
