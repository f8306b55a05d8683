import { lstat } from 'node:fs/promises';

/**
 * Refuses a secret-bearing file that other users could read or replace: a credentials file or key
 * file with group/other bits set has possibly leaked already, and reading it would hide that.
 * POSIX only; Windows has no mode bits to check.
 */
export async function assertPrivateFile(path: string, what: string): Promise<void> {
  if (process.platform === 'win32') return;
  const stats = await lstat(path);
  if (stats.isSymbolicLink() || !stats.isFile()) {
    throw new Error(`${what} ${path} is not a regular file; refusing to read it`);
  }
  const mode = stats.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new Error(
      `${what} ${path} is readable or writable by other users (mode ${mode.toString(8).padStart(4, '0')}); refusing to read it. Run \`chmod 600 ${path}\` if you trust its content, or remove it and connect again`,
    );
  }
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) {
    throw new Error(`${what} ${path} belongs to another user (uid ${stats.uid}); refusing to read it`);
  }
}
