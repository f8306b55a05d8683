// Finds, reports and kills the processes a test run left running. Linux only: it reads /proc.
//
// A run is marked twice, because a test's children do not always keep its environment: every process
// of the run inherits FACTORY_TEST_RUN=<run id> unless it was given an environment of its own, and the
// run's TMPDIR is a folder of its own, so the temporary folders tests create (and run their children
// in) lie inside it. A process belongs to the run if it has the variable (or a TMPDIR inside that
// folder), or its working directory or an argument of its command line lies inside that folder.
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** What marks the processes of one test run. */
export interface TestRunMarker {
  /** The value of FACTORY_TEST_RUN in the run's environment. */
  runId: string;
  /** The run's TMPDIR. */
  folder: string;
}

export interface RunProcess {
  pid: number;
  ppid: number;
  pgid: number;
  /** The state letter of /proc/<pid>/stat (R, S, D, T, Z, …). */
  state: string;
  /** The arguments joined by spaces (the kernel's name in brackets when there are none). */
  commandLine: string;
  /** Why it counts as the run's: the variable, its working directory or its command line. */
  reason: string;
}

export const RUN_VARIABLE = 'FACTORY_TEST_RUN';

/** True where /proc can be read (Linux); elsewhere the check is skipped. */
export function canScanProcesses(): boolean {
  return process.platform === 'linux' && existsSync('/proc/self/stat');
}

interface Stat {
  state: string;
  ppid: number;
  pgid: number;
  name: string;
}

function readStat(pid: number): Stat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (name) state ppid pgrp …": the name may hold spaces and parentheses, so split after the last ')'.
    const close = stat.lastIndexOf(')');
    const [state = '', ppid = '0', pgid = '0'] = stat.slice(close + 2).split(' ');
    return { state, ppid: Number(ppid), pgid: Number(pgid), name: stat.slice(stat.indexOf('(') + 1, close) };
  } catch {
    return undefined;
  }
}

function readArgs(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number);
}

/** Is `pid` running: it exists and is not a zombie (a zombie has ended, its parent has only not reaped it)? */
export function isRunning(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

/** This process and its ancestors, up to pid 1: never the run's leaks, whatever their environment. */
export function selfAndAncestors(): Set<number> {
  const pids = new Set<number>();
  for (let pid = process.pid; pid > 0 && !pids.has(pid); pid = readStat(pid)?.ppid ?? 0) pids.add(pid);
  return pids;
}

/**
 * The processes vitest itself runs beside the tests: this process, its ancestors and its direct
 * children (the pool's workers, esbuild, workerd), which vitest stops itself once the teardown is done.
 * A process a test started is a child of a worker, or an orphan, never a direct child of this process.
 */
export function testRunnerProcesses(): Set<number> {
  const spared = selfAndAncestors();
  for (const pid of allPids()) if (readStat(pid)?.ppid === process.pid) spared.add(pid);
  return spared;
}

function inside(path: string, folders: string[]): boolean {
  return folders.some((folder) => path === folder || path.startsWith(`${folder}/`));
}

function whyPartOfRun(
  pid: number,
  args: string[],
  marker: TestRunMarker,
  folders: string[],
): string | undefined {
  try {
    const environment = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    const entry = `${RUN_VARIABLE}=${marker.runId}`;
    if (environment.includes(entry)) return `has ${entry}`;
    // A minimal environment often keeps TMPDIR (LocalProcessFleet passes it on to its agents).
    const tmp = environment.find((variable) => variable.startsWith('TMPDIR='));
    if (tmp && inside(tmp.slice('TMPDIR='.length).replace(/\/$/, ''), folders)) return `has ${tmp}`;
  } catch {
    // Not ours to read, or ended.
  }
  try {
    // An ended or deleted folder reads as "<path> (deleted)", still inside the folder.
    const cwd = readlinkSync(`/proc/${pid}/cwd`);
    if (inside(cwd.replace(/ \(deleted\)$/, ''), folders)) return `runs in ${cwd}`;
  } catch {
    // As above.
  }
  for (const folder of folders) {
    if (args.some((arg) => arg.includes(`${folder}/`) || arg.endsWith(folder)))
      return `its command line names ${folder}`;
  }
  return undefined;
}

/**
 * The running processes (zombies are not) that belong to the run `marker` names, except those in
 * `spare`. Returns undefined where processes cannot be listed (not Linux).
 */
export function findRunProcesses(
  marker: TestRunMarker,
  spare: ReadonlySet<number> = selfAndAncestors(),
): RunProcess[] | undefined {
  if (!canScanProcesses()) return undefined;
  const folders = [marker.folder];
  try {
    const real = realpathSync(marker.folder);
    if (real !== marker.folder) folders.push(real);
  } catch {
    // Already removed: its path still marks the processes that ran in it.
  }
  const found: RunProcess[] = [];
  for (const pid of allPids()) {
    if (spare.has(pid)) continue;
    const stat = readStat(pid);
    if (!stat || stat.state === 'Z' || stat.state === 'X') continue;
    const args = readArgs(pid);
    const reason = whyPartOfRun(pid, args, marker, folders);
    if (reason === undefined) continue;
    const commandLine = args.length > 0 ? args.join(' ') : `[${stat.name}]`;
    found.push({ pid, ppid: stat.ppid, pgid: stat.pgid, state: stat.state, commandLine, reason });
  }
  return found;
}

export interface LeakCheckOptions {
  /** How long leaks may take to end by themselves (they may be exiting as the run ends). */
  graceMs?: number;
  pollMs?: number;
  /** Processes that are never leaks; by default this process and its ancestors. */
  spare?: ReadonlySet<number>;
}

export interface LeakCheckResult {
  /** False where processes cannot be listed: nothing was checked. */
  checked: boolean;
  /** The processes still running after the grace period, as they were found; each was sent SIGKILL. */
  leaked: RunProcess[];
  /** Those of `leaked` still running after SIGKILL (one that cannot be killed). */
  survived: RunProcess[];
}

/**
 * Waits up to `graceMs` for the run's processes to end, then kills those still running: the whole
 * process group where the group is the leak's own (its leader is itself a leak, or gone, and no spared
 * process shares it), else the process alone.
 */
export async function killLeakedProcesses(
  marker: TestRunMarker,
  { graceMs = 2_000, pollMs = 100, spare = selfAndAncestors() }: LeakCheckOptions = {},
): Promise<LeakCheckResult> {
  let leaked = findRunProcesses(marker, spare);
  if (leaked === undefined) return { checked: false, leaked: [], survived: [] };
  for (const deadline = Date.now() + graceMs; leaked.length > 0 && Date.now() < deadline; ) {
    await sleep(pollMs);
    leaked = findRunProcesses(marker, spare) ?? [];
  }
  if (leaked.length === 0) return { checked: true, leaked, survived: [] };

  const leakPids = new Set(leaked.map((leak) => leak.pid));
  const protectedGroups = new Set<number>();
  for (const pid of spare) {
    const group = readStat(pid)?.pgid;
    if (group !== undefined) protectedGroups.add(group);
  }
  for (const leak of leaked) {
    const ownGroup =
      leak.pgid > 1 && !protectedGroups.has(leak.pgid) && (leakPids.has(leak.pgid) || !isRunning(leak.pgid));
    signal(ownGroup ? -leak.pgid : leak.pid);
    if (ownGroup) signal(leak.pid);
  }
  for (let round = 0; round < 20 && leaked.some((leak) => isRunning(leak.pid)); round++) await sleep(50);
  return { checked: true, leaked, survived: leaked.filter((leak) => isRunning(leak.pid)) };
}

function signal(target: number): void {
  try {
    process.kill(target, 'SIGKILL');
  } catch {
    // Ended meanwhile.
  }
}

/** The lines that name each leak, for the run's output. */
export function describeLeaks(leaked: readonly RunProcess[]): string[] {
  return leaked.map(
    (leak) =>
      `  pid ${leak.pid} (process group ${leak.pgid}, parent ${leak.ppid}): ${leak.commandLine}  [${leak.reason}]`,
  );
}
