import { readFileSync } from 'node:fs';

/** What the kernel says about a process: its parent and its process group. */
export interface ProcessEntry {
  ppid: number;
  pgrp: number;
}

/** Reads a process's entry, or undefined when it is gone or cannot be read. */
export type ReadProcess = (pid: number | 'self') => ProcessEntry | undefined;

/** Linux's `/proc/<pid>/stat`; elsewhere every read is undefined and only the parent itself is watched. */
export const readProcStat: ReadProcess = (pid) => {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // `pid (comm) state ppid pgrp …`: comm may hold spaces and parentheses, so count from the last ')'.
  const [, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const entry = { ppid: Number(ppid), pgrp: Number(pgrp) };
  return Number.isInteger(entry.ppid) && Number.isInteger(entry.pgrp) ? entry : undefined;
};

const MAX_LINKS = 32;

/** A process between this one and whoever started it, with the parent it had at the start. */
interface Link {
  pid: number;
  ppid: number;
}

export interface LaunchChainOptions {
  /** This process's parent when it started (read as early as possible, before any wait). */
  ppidAtStart: number;
  ppid?: () => number;
  read?: ReadProcess;
}

/**
 * The processes that started this one, watched for going away. `npm exec -- factory start` runs
 * npm → `sh -c` → node: npm passes SIGTERM to the shell only, the shell dies of it and node is left
 * running with no parent; a wrapper that is killed outright (SIGKILL) leaves the shell alive, still the
 * parent of node. So the chain is broken when this process's parent changes (it was re-parented), or
 * when a process between it and the leader of its process group (the job a shell or npm started) has a
 * new parent. A process whose parent was already PID 1 (or none: PID 1 in a container), or that leads
 * its own process group, has nothing but its own parent to watch; only a change counts, never the state
 * at the start. The group's leader may re-parent freely (a daemon that forked the group and whose own
 * starter then exited), so it is never watched.
 */
export class LaunchChain {
  readonly #ppidAtStart: number;
  readonly #ppid: () => number;
  readonly #read: ReadProcess;
  readonly #links: Link[] = [];

  constructor(options: LaunchChainOptions) {
    this.#ppidAtStart = options.ppidAtStart;
    this.#ppid = options.ppid ?? (() => process.ppid);
    this.#read = options.read ?? readProcStat;
    const group = this.#read('self')?.pgrp;
    if (group === undefined) return;
    let pid = options.ppidAtStart;
    while (pid > 1 && pid !== group && this.#links.length < MAX_LINKS) {
      const entry = this.#read(pid);
      if (!entry || entry.pgrp !== group) break;
      this.#links.push({ pid, ppid: entry.ppid });
      pid = entry.ppid;
    }
  }

  /** Whether anything can change: false for a process started by PID 1 (or as PID 1) on purpose. */
  get watchable(): boolean {
    return this.#ppidAtStart > 1 || this.#links.length > 0;
  }

  /** The pid of a process in the chain that has exited since the start, or undefined while it holds. */
  exited(): number | undefined {
    if (this.#ppidAtStart > 1 && this.#ppid() !== this.#ppidAtStart) return this.#ppidAtStart;
    for (const link of this.#links) {
      const entry = this.#read(link.pid);
      if (!entry) return link.pid;
      if (entry.ppid !== link.ppid) return link.ppid;
    }
    return undefined;
  }
}

/**
 * Calls `onExited` once, with the pid of the launcher that went away, when the chain breaks. Polls on an
 * unref'd timer, so it never keeps the process alive; the returned function stops it.
 */
export function watchLaunchChain(
  onExited: (pid: number) => void,
  options: LaunchChainOptions & { everyMs?: number },
): () => void {
  const chain = new LaunchChain(options);
  if (!chain.watchable) return () => {};
  const timer = setInterval(() => {
    const pid = chain.exited();
    if (pid === undefined) return;
    clearInterval(timer);
    onExited(pid);
  }, options.everyMs ?? 500);
  timer.unref();
  return () => clearInterval(timer);
}
