import { chmod, mkdir, stat } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { resolve } from 'node:path';

const POSIX = process.platform !== 'win32';
const warned = new Set<string>();

/**
 * Makes `dir` with mode 0700, or takes group and other bits off an existing one this user owns; a folder
 * owned by someone else gets one warning per process and is left alone. The working, home and temporary
 * directories are never changed. (The same rule as `ensurePrivateDirectory` in @software-factory/auth,
 * which this package does not depend on.)
 */
export async function ensurePrivateFolder(dir: string): Promise<void> {
  const absolute = resolve(dir);
  const created = await mkdir(absolute, { recursive: true, mode: 0o700 });
  if (!POSIX) return;
  if (created !== undefined) {
    // mkdir's mode passes through the umask.
    await chmod(absolute, 0o700);
    return;
  }
  if ([process.cwd(), homedir(), tmpdir(), '/'].some((shared) => resolve(shared) === absolute)) return;
  const stats = await stat(absolute);
  const mode = stats.mode & 0o777;
  if ((mode & 0o077) === 0) return;
  const uid = process.getuid?.();
  if (uid === undefined || stats.uid === uid) {
    try {
      await chmod(absolute, mode & 0o700);
      return;
    } catch {}
  }
  if (warned.has(absolute)) return;
  warned.add(absolute);
  process.emitWarning(
    `the folder ${absolute} holds the relay's cursor but other users can read it (mode ${mode.toString(8).padStart(4, '0')}) and it cannot be changed by this user; run \`chmod 700 ${absolute}\` as its owner`,
    { code: 'FACTORY_PRIVATE_FILES' },
  );
}
