import { closeSync, fchmodSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the wrapper needs to start the agent. Holds no environment: secrets never touch the disk. */
export interface AgentRunSpec {
  command: string | readonly string[];
  cwd: string;
}

/** How an agent ended, as the wrapper recorded it. */
export interface RecordedExit {
  exitCode: number;
  exitedAt: number;
  signal?: string;
  /** Set when the command could not be started at all. */
  error?: string;
}

/** One agent's entry in the fleet's registry (`agent.json` in its folder). */
export interface AgentEntry {
  agentId: string;
  idempotencyKey: string;
  tenant: string;
  workItemId: string;
  workItemKey: string;
  branch: string;
  attempt: number;
  worktree: string;
  logFile: string;
  startedAt: number;
  /** The wrapper's pid, which leads the agent's process group; absent until the process started. */
  pid?: number;
  exitedAt?: number;
  exitCode?: number;
  /** When the exit was handed to `onExit`, so it is reported once. */
  reportedAt?: number;
  releasedAt?: number;
}

export function agentFiles(agentDir: string) {
  return {
    entry: join(agentDir, 'agent.json'),
    run: join(agentDir, 'run.json'),
    task: join(agentDir, 'TASK.md'),
    log: join(agentDir, 'agent.log'),
    exit: join(agentDir, 'exit.json'),
    pid: join(agentDir, 'wrapper.pid'),
    claim: join(agentDir, 'claim.json'),
  };
}

/**
 * Every file of an agent's folder (its task, log, registry entry, run spec, exit and pid) holds work-item
 * text or what an agent did with it: 0600, whatever the umask, in a 0700 folder the fleet makes.
 */
export const AGENT_FILE_MODE = 0o600;
const POSIX = process.platform !== 'win32';

/** Writes `text` to a new or truncated file with mode 0600. */
export function writePrivateFile(path: string, text: string): void {
  const fd = openSync(path, 'w', AGENT_FILE_MODE);
  try {
    // open()'s mode passes through the umask, and an existing file keeps its mode: set it exactly.
    if (POSIX) fchmodSync(fd, AGENT_FILE_MODE);
    writeFileSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/** Opens `path` for appending (the agent's log), creating it with mode 0600. The caller closes it. */
export function openPrivateLog(path: string): number {
  const fd = openSync(path, 'a', AGENT_FILE_MODE);
  if (POSIX) fchmodSync(fd, AGENT_FILE_MODE);
  return fd;
}

/** Writes through a temporary file and a rename, so a reader never sees half a file. */
export function writeJsonFile(path: string, value: unknown): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writePrivateFile(temporary, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(temporary, path);
}

/** The parsed file, or undefined if it does not exist. */
export function readJsonFile<T>(path: string): T | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return JSON.parse(text) as T;
}
