import { readFileSync, renameSync, writeFileSync } from 'node:fs';
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

/** Writes through a temporary file and a rename, so a reader never sees half a file. */
export function writeJsonFile(path: string, value: unknown): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`);
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
