import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  mkdirSync,
  openSync,
  type Stats,
  statSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, resolve } from 'node:path';

/**
 * Files that hold the factory's state, work-item text, answers or credentials are readable by their
 * owner only (0600), in folders only their owner can list and enter (0700), whatever the umask.
 * POSIX only: Windows has no mode bits, and these functions only create what is missing there.
 */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIRECTORY_MODE = 0o700;

export interface PrivatePathOptions {
  /** Where the one warning about a path the factory cannot make private goes; `process.emitWarning` by default. */
  warn?: (message: string) => void;
}

const POSIX = process.platform !== 'win32';
const warned = new Set<string>();

/**
 * Makes `dir` (and any missing parent) with mode 0700. A folder that already exists with group or
 * other bits is tightened when this user owns it; one owned by someone else is left alone with one
 * warning per process. The working directory, the home directory, the temporary directory and `/`
 * hold much besides the factory's files and are never changed (the files in them are still 0600).
 */
export function ensurePrivateDirectory(dir: string, options: PrivatePathOptions = {}): void {
  const absolute = resolve(dir);
  const created = mkdirSync(absolute, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  if (!POSIX) return;
  if (created !== undefined) {
    // mkdir's mode passes through the umask; set it exactly on every folder this call made.
    for (let folder = absolute; ; folder = dirname(folder)) {
      chmodSync(folder, PRIVATE_DIRECTORY_MODE);
      if (folder === resolve(created) || dirname(folder) === folder) break;
    }
    return;
  }
  if (isSharedFolder(absolute)) return;
  tighten(absolute, 'folder', options);
}

/**
 * Creates `path` as an empty file with mode 0600 if it does not exist (before a library such as SQLite
 * creates it with its own default), or tightens an existing one as `ensurePrivateDirectory` does.
 */
export function ensurePrivateFile(path: string, options: PrivatePathOptions = {}): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, PRIVATE_FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  if (fd === undefined) {
    keepPrivate(path, options);
    return;
  }
  try {
    // open()'s mode passes through the umask too.
    if (POSIX) fchmodSync(fd, PRIVATE_FILE_MODE);
  } finally {
    closeSync(fd);
  }
}

/** Tightens `path` if it exists (a file or a folder someone else created); does nothing if it does not. */
export function keepPrivate(path: string, options: PrivatePathOptions = {}): void {
  if (!POSIX) return;
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  tighten(path, stats.isDirectory() ? 'folder' : 'file', options, stats);
}

function tighten(path: string, kind: 'file' | 'folder', options: PrivatePathOptions, known?: Stats): void {
  const stats = known ?? statSync(path);
  const mode = stats.mode & 0o777;
  if ((mode & 0o077) === 0) return;
  const uid = process.getuid?.();
  const octal = mode.toString(8).padStart(4, '0');
  const fix = `chmod ${kind === 'folder' ? '700' : '600'} ${path}`;
  if (uid !== undefined && stats.uid !== uid) {
    warnOnce(
      path,
      `the ${kind} ${path} holds the factory's private state but other users can read it (mode ${octal}), and it belongs to another user (uid ${stats.uid}), so it is left as it is; run \`${fix}\` as its owner`,
      options,
    );
    return;
  }
  try {
    chmodSync(path, mode & 0o700);
  } catch (error) {
    warnOnce(
      path,
      `the ${kind} ${path} holds the factory's private state but other users can read it (mode ${octal}), and it cannot be changed (${(error as Error).message}); run \`${fix}\``,
      options,
    );
  }
}

function isSharedFolder(dir: string): boolean {
  return [process.cwd(), homedir(), tmpdir(), '/'].some((shared) => resolve(shared) === dir);
}

function warnOnce(path: string, message: string, options: PrivatePathOptions): void {
  if (warned.has(path)) return;
  warned.add(path);
  if (options.warn) options.warn(message);
  else process.emitWarning(message, { code: 'FACTORY_PRIVATE_FILES' });
}
