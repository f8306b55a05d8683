import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { ensurePrivateDirectory, PRIVATE_DIRECTORY_MODE } from '@software-factory/auth';
import type {
  AgentStatus,
  FleetClient,
  SpawnedAgent,
  SpawnOptions,
  SpawnRequest,
} from '@software-factory/sdk';
import { type AgentCommand, missingProgram, normalizeAgentCommand } from './local-process-command.ts';
import {
  type AgentEntry,
  type AgentRunSpec,
  agentFiles,
  openPrivateLog,
  type RecordedExit,
  readJsonFile,
  writeJsonFile,
  writePrivateFile,
} from './local-process-files.ts';
import { addWorktree, assertBranchName, assertGitRepository, removeWorktree } from './local-process-git.ts';
import { isWrapperAlive, pollUntil, signalGroup } from './local-process-liveness.ts';
import { nodeScriptCommand } from './node-script.ts';

/** How an agent ended; the runtime turns it into the core's `agent.exited` event. */
export interface LocalAgentExit {
  agentId: string;
  workItemId: string;
  outcome: 'succeeded' | 'failed' | 'lost';
  exitCode?: number;
  reason?: string;
}

export interface LocalProcessFleetOptions {
  /** What to run in the worktree: argv (`['codex', 'exec']`) or a shell string (`'claude -p'`). */
  command: AgentCommand;
  /** The git repository the worktrees are added to. */
  repository: string;
  /** Where the registry, task files and logs live (`agents/<agent id>/`), and by default the worktrees. */
  stateDir: string;
  /** Where worktrees are created; defaults to `<stateDir>/worktrees`. */
  worktreesDir?: string;
  /** What a new branch starts from; defaults to `HEAD` of the repository. */
  baseRef?: string;
  /** Variables set for every agent. */
  env?: Readonly<Record<string, string>>;
  /**
   * Names of the factory's own environment variables the agent also gets (say `ANTHROPIC_API_KEY`).
   * Nothing else is passed on beyond a few basics (PATH, HOME, locale...), so the factory's tracker and
   * chat tokens never reach an agent by accident.
   */
  passEnv?: readonly string[];
  /** Called once per agent that ends (not for agents stopped by `release`). */
  onExit?: (exit: LocalAgentExit) => void | Promise<void>;
  /** How long a released agent has between SIGTERM and SIGKILL; default 10 s. */
  stopGraceMs?: number;
  /** How often agents found again by `recover()` are checked for their end; default 2 s. */
  watchIntervalMs?: number;
  /** Directory a relative program path in an argv command is resolved against; default the cwd. */
  baseDir?: string;
  name?: string;
}

const BASIC_ENV = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'TERM',
  'TMPDIR',
  'TZ',
];
const [WRAPPER_NODE, ...WRAPPER_ARGS] = nodeScriptCommand(
  './local-process-agent-wrapper',
  import.meta.url,
) as [string, ...string[]];
const AGENT_ID = /^local-[0-9a-f]{24}$/;
/** A claimed agent without a pid yet is being started (maybe by another process) for this long. */
const START_WINDOW_MS = 60_000;
/** How long a fresh claim may exist before its claim file does. */
const CLAIM_GRACE_MS = 10_000;

/**
 * Runs each agent as a local process in its own git worktree. The agent runs under a small wrapper in
 * its own process group, so it outlives a crash of the factory, and the wrapper writes its exit code
 * to a file a restarted factory reads. Everything the fleet knows is in `stateDir`; it keeps nothing in
 * memory that a restart would need.
 */
export class LocalProcessFleet implements FleetClient {
  readonly name: string;
  readonly #command: AgentCommand;
  readonly #repository: string;
  /** Tells this fleet's claims from an earlier process's that had the same pid (a container's pid 1). */
  readonly #processId = randomUUID();
  readonly #stateDir: string;
  readonly #agentsDir: string;
  readonly #worktreesDir: string;
  readonly #baseRef: string;
  readonly #env: Readonly<Record<string, string>>;
  readonly #passEnv: readonly string[];
  readonly #onExit: ((exit: LocalAgentExit) => void | Promise<void>) | undefined;
  readonly #stopGraceMs: number;
  readonly #watchIntervalMs: number;
  readonly #starting = new Map<string, Promise<void>>();
  readonly #children = new Map<string, ChildProcess>();
  readonly #reporting = new Set<string>();
  readonly #watched = new Set<string>();
  #watchTimer: NodeJS.Timeout | undefined;
  #gitLock: Promise<unknown> = Promise.resolve();

  constructor(options: LocalProcessFleetOptions) {
    const baseDir = options.baseDir ?? process.cwd();
    this.name = options.name ?? 'local';
    this.#command = normalizeAgentCommand(options.command, baseDir);
    if (!options.repository) throw new Error('LocalProcessFleet: a repository path is required');
    if (!options.stateDir) throw new Error('LocalProcessFleet: a state directory is required');
    this.#repository = resolve(baseDir, options.repository);
    const stateDir = resolve(baseDir, options.stateDir);
    this.#stateDir = stateDir;
    this.#agentsDir = join(stateDir, 'agents');
    this.#worktreesDir = resolve(baseDir, options.worktreesDir ?? join(stateDir, 'worktrees'));
    this.#baseRef = options.baseRef ?? 'HEAD';
    this.#env = options.env ?? {};
    this.#passEnv = options.passEnv ?? [];
    this.#onExit = options.onExit;
    this.#stopGraceMs = options.stopGraceMs ?? 10_000;
    this.#watchIntervalMs = options.watchIntervalMs ?? 2_000;
  }

  /** Rejects with a one-line reason if the agent command or the repository cannot be used. */
  async check(): Promise<void> {
    this.#assertProgram();
    await assertGitRepository(this.#repository);
  }

  async spawn(request: SpawnRequest, options?: SpawnOptions): Promise<SpawnedAgent> {
    // The folder claim below is atomic, so two performers cannot both start the agent; past its
    // deadline a spawn still starts nothing, as the port asks.
    options?.signal?.throwIfAborted();
    const agentId = agentIdFor(request.idempotencyKey);
    const dir = this.#agentDir(agentId);
    const inFlight = this.#starting.get(agentId);
    if (inFlight) {
      await inFlight;
      return { agentId };
    }
    if (existsSync(dir)) {
      if (!(await this.#abandoned(dir))) return { agentId };
      // The process that claimed this key died before the agent started: start it now, once.
      await this.#clearAbandoned(dir);
    }
    this.#assertProgram();
    // Tasks, logs and worktrees hold work-item text: the folders are 0700 (tightened if they were wider).
    ensurePrivateDirectory(this.#stateDir);
    ensurePrivateDirectory(this.#agentsDir);
    try {
      // The claim: only one caller, in any process, creates the folder for this key.
      mkdirSync(dir, { mode: PRIVATE_DIRECTORY_MODE });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { agentId };
      throw error;
    }
    // mkdir's mode passes through the umask.
    if (process.platform !== 'win32') chmodSync(dir, PRIVATE_DIRECTORY_MODE);
    writeJsonFile(agentFiles(dir).claim, { pid: process.pid, process: this.#processId, at: Date.now() });
    const starting = this.#start(agentId, dir, request);
    this.#starting.set(agentId, starting);
    try {
      await starting;
    } catch (error) {
      // Nothing runs: free the key so a retry of this spawn starts afresh.
      rmSync(dir, { recursive: true, force: true });
      throw error;
    } finally {
      this.#starting.delete(agentId);
    }
    return { agentId };
  }

  async status(agentId: string): Promise<AgentStatus> {
    if (!AGENT_ID.test(agentId)) return { state: 'unknown' };
    const dir = this.#agentDir(agentId);
    const files = agentFiles(dir);
    const entry = readJsonFile<AgentEntry>(files.entry);
    if (!entry) return { state: 'unknown' };
    const recorded = readJsonFile<RecordedExit>(files.exit);
    if (recorded) return { state: 'exited', exitCode: recorded.exitCode };
    if (this.#starting.has(agentId)) return { state: 'running' };
    const pid = entry.pid ?? readPidFile(files.pid);
    if (pid === undefined) {
      return Date.now() - entry.startedAt < START_WINDOW_MS ? { state: 'running' } : { state: 'unknown' };
    }
    if (isWrapperAlive(pid, dir)) return { state: 'running' };
    // The wrapper may have written its exit between the two reads.
    const late = readJsonFile<RecordedExit>(files.exit);
    return late ? { state: 'exited', exitCode: late.exitCode } : { state: 'unknown' };
  }

  async release(agentId: string): Promise<void> {
    if (!AGENT_ID.test(agentId)) return;
    await this.#starting.get(agentId)?.catch(() => undefined);
    const dir = this.#agentDir(agentId);
    const files = agentFiles(dir);
    const entry = readJsonFile<AgentEntry>(files.entry);
    if (!entry) return;
    if (entry.releasedAt === undefined) writeJsonFile(files.entry, { ...entry, releasedAt: Date.now() });
    // A released agent's end is the factory's doing, not news: stop listening before stopping it.
    this.#children.get(agentId)?.removeAllListeners('exit');
    this.#watched.delete(agentId);
    const pid = entry.pid ?? readPidFile(files.pid);
    if (pid !== undefined && isWrapperAlive(pid, dir)) await this.#stop(pid, dir);
    this.#children.delete(agentId);
    if (existsSync(entry.worktree))
      await this.#gitExclusive(() => removeWorktree(this.#repository, entry.worktree));
  }

  /**
   * After a restart: reports (through `onExit`) every agent that ended while the factory was down or
   * that vanished without a recorded exit (`lost`), and watches the ones still running. Returns what it
   * reported.
   */
  async recover(): Promise<LocalAgentExit[]> {
    const reported: LocalAgentExit[] = [];
    for (const agentId of this.#agentIds()) {
      const entry = readJsonFile<AgentEntry>(agentFiles(this.#agentDir(agentId)).entry);
      if (!entry || entry.releasedAt !== undefined || entry.reportedAt !== undefined) continue;
      const status = await this.status(agentId);
      if (status.state === 'running') {
        if (!this.#children.has(agentId)) this.#watch(agentId);
        continue;
      }
      const exit = this.#exitFor(entry, status);
      if (await this.#report(exit)) reported.push(exit);
    }
    return reported;
  }

  /** Stops watching and listening; running agents are left alone (a new fleet finds them again). */
  close(): void {
    if (this.#watchTimer) clearInterval(this.#watchTimer);
    this.#watchTimer = undefined;
    this.#watched.clear();
    for (const child of this.#children.values()) child.removeAllListeners('exit');
    this.#children.clear();
  }

  /** The agent's log file (stdout and stderr), for `factory` commands that show it. */
  logFile(agentId: string): string | undefined {
    return AGENT_ID.test(agentId) ? agentFiles(this.#agentDir(agentId)).log : undefined;
  }

  /**
   * A claim whose start never finished: no wrapper was started (no pid, no exit) and the process that
   * claimed it is gone (or is this process in an earlier life, under the same pid). A claim without its
   * claim file is abandoned once it is older than a start could take to write it.
   */
  async #abandoned(dir: string): Promise<boolean> {
    const files = agentFiles(dir);
    const entry = readJsonFile<AgentEntry>(files.entry);
    if (entry?.pid !== undefined || readPidFile(files.pid) !== undefined || existsSync(files.exit))
      return false;
    const claim = readJsonFile<{ pid: number; process: string; at: number }>(files.claim);
    if (!claim) {
      try {
        return Date.now() - statSync(dir).mtimeMs > CLAIM_GRACE_MS;
      } catch {
        return false;
      }
    }
    if (claim.process === this.#processId) return false;
    if (claim.pid === process.pid) return true;
    try {
      process.kill(claim.pid, 0);
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }

  async #clearAbandoned(dir: string): Promise<void> {
    const entry = readJsonFile<AgentEntry>(agentFiles(dir).entry);
    if (entry && existsSync(entry.worktree)) {
      await this.#gitExclusive(() => removeWorktree(this.#repository, entry.worktree));
    }
    rmSync(dir, { recursive: true, force: true });
  }

  async #start(agentId: string, dir: string, request: SpawnRequest): Promise<void> {
    const files = agentFiles(dir);
    const worktree = join(this.#worktreesDir, agentId);
    const entry: AgentEntry = {
      agentId,
      idempotencyKey: request.idempotencyKey,
      tenant: request.tenant,
      workItemId: request.workItemId,
      workItemKey: request.workItemKey,
      branch: request.branch,
      attempt: request.attempt,
      worktree,
      logFile: files.log,
      startedAt: Date.now(),
    };
    writeJsonFile(files.entry, entry);
    writePrivateFile(files.task, request.task);
    const run: AgentRunSpec = { command: this.#command, cwd: worktree };
    writeJsonFile(files.run, run);
    await assertGitRepository(this.#repository);
    await assertBranchName(this.#repository, request.branch);
    ensurePrivateDirectory(this.#worktreesDir);
    await this.#gitExclusive(() => addWorktree(this.#repository, worktree, request.branch, this.#baseRef));

    // The wrapper's own output (a crash before the agent starts) lands in the agent's log too.
    const log = openPrivateLog(files.log);
    const child = spawn(WRAPPER_NODE, [...WRAPPER_ARGS, dir], {
      cwd: worktree,
      detached: true,
      stdio: ['ignore', log, log],
      env: this.#agentEnv(agentId, request, files.task),
    });
    closeSync(log);
    if (child.pid === undefined) {
      await removeWorktree(this.#repository, worktree);
      throw new Error(`LocalProcessFleet: could not start the agent wrapper with ${process.execPath}`);
    }
    child.unref();
    this.#children.set(agentId, child);
    child.once('exit', () => {
      this.#children.delete(agentId);
      void this.#reportEnd(agentId);
    });
    writeJsonFile(files.entry, { ...entry, pid: child.pid });
  }

  #agentEnv(agentId: string, request: SpawnRequest, taskFile: string): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const name of [...BASIC_ENV, ...this.#passEnv]) {
      const value = process.env[name];
      if (value !== undefined) env[name] = value;
    }
    return {
      ...env,
      ...this.#env,
      FACTORY_AGENT_ID: agentId,
      FACTORY_TASK_FILE: taskFile,
      FACTORY_WORK_ITEM_ID: request.workItemId,
      FACTORY_WORK_ITEM_KEY: request.workItemKey,
      FACTORY_BRANCH: request.branch,
      FACTORY_ATTEMPT: String(request.attempt),
      FACTORY_REPOSITORY: request.route.repository,
      ...(request.traceId ? { FACTORY_TRACE_ID: request.traceId } : {}),
      // The W3C name OpenTelemetry SDKs read, so the agent's own spans continue the run's trace.
      ...(request.traceparent ? { TRACEPARENT: request.traceparent } : {}),
    };
  }

  async #stop(pid: number, dir: string): Promise<void> {
    signalGroup(pid, 'SIGTERM');
    if (await pollUntil(() => !isWrapperAlive(pid, dir), this.#stopGraceMs)) return;
    signalGroup(pid, 'SIGKILL');
    if (!(await pollUntil(() => !isWrapperAlive(pid, dir), 5_000))) {
      throw new Error(`LocalProcessFleet: agent process ${pid} did not stop after SIGKILL`);
    }
  }

  /** Reports an agent whose wrapper ended, unless it was released or already reported. */
  async #reportEnd(agentId: string): Promise<void> {
    const entry = readJsonFile<AgentEntry>(agentFiles(this.#agentDir(agentId)).entry);
    if (!entry || entry.releasedAt !== undefined || entry.reportedAt !== undefined) return;
    const status = await this.status(agentId);
    if (status.state !== 'running') await this.#report(this.#exitFor(entry, status));
  }

  /** Hands the exit to `onExit` once; a callback that fails leaves it for the next `recover()`. */
  async #report(exit: LocalAgentExit): Promise<boolean> {
    if (this.#reporting.has(exit.agentId)) return false;
    this.#reporting.add(exit.agentId);
    try {
      await this.#onExit?.(exit);
      const files = agentFiles(this.#agentDir(exit.agentId));
      const entry = readJsonFile<AgentEntry>(files.entry);
      const recorded = readJsonFile<RecordedExit>(files.exit);
      if (entry) {
        writeJsonFile(files.entry, {
          ...entry,
          reportedAt: Date.now(),
          ...(recorded ? { exitedAt: recorded.exitedAt, exitCode: recorded.exitCode } : {}),
        });
      }
      return true;
    } catch {
      return false;
    } finally {
      this.#reporting.delete(exit.agentId);
    }
  }

  #exitFor(entry: AgentEntry, status: AgentStatus): LocalAgentExit {
    const base = { agentId: entry.agentId, workItemId: entry.workItemId };
    if (status.state !== 'exited') {
      return { ...base, outcome: 'lost', reason: 'the agent process ended without recording an exit code' };
    }
    return { ...base, outcome: status.exitCode === 0 ? 'succeeded' : 'failed', exitCode: status.exitCode };
  }

  #watch(agentId: string): void {
    this.#watched.add(agentId);
    this.#watchTimer ??= setInterval(() => void this.#checkWatched(), this.#watchIntervalMs);
    this.#watchTimer.unref();
  }

  async #checkWatched(): Promise<void> {
    for (const agentId of [...this.#watched]) {
      if ((await this.status(agentId)).state === 'running') continue;
      this.#watched.delete(agentId);
      await this.#reportEnd(agentId);
    }
    if (this.#watched.size === 0 && this.#watchTimer) {
      clearInterval(this.#watchTimer);
      this.#watchTimer = undefined;
    }
  }

  #assertProgram(): void {
    const missing = missingProgram(this.#command, this.#env.PATH ?? process.env.PATH);
    if (missing) throw new Error(`LocalProcessFleet: ${missing}`);
  }

  /** git takes repository-wide locks when adding worktrees, so this fleet runs one git change at a time. */
  #gitExclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#gitLock.then(work, work);
    this.#gitLock = next.catch(() => undefined);
    return next;
  }

  #agentDir(agentId: string): string {
    return join(this.#agentsDir, agentId);
  }

  #agentIds(): string[] {
    try {
      return readdirSync(this.#agentsDir).filter((name) => AGENT_ID.test(name));
    } catch {
      return [];
    }
  }
}

/** The same key always names the same agent, so idempotency needs no lookup table. */
function agentIdFor(idempotencyKey: string): string {
  return `local-${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 24)}`;
}

function readPidFile(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
