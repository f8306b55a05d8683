import { open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ensurePrivateFolder } from './private-folder.ts';

/** The relay worker's position in relayfile's event stream, kept in a small JSON file. */
export interface CursorState {
  /** The id of the last event the handler accepted. */
  cursor: string;
  updatedAt: string;
}

/** The saved cursor; undefined when there is none yet. A file that is not a cursor is an error, not a reset. */
export async function readCursorFile(path: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch {
    throw new Error(`cursor file ${path} is not JSON; fix or delete it`);
  }
  const cursor = (state as Partial<CursorState> | null)?.cursor;
  if (typeof cursor !== 'string' || cursor.length === 0)
    throw new Error(`cursor file ${path} has no "cursor"; fix or delete it`);
  return cursor;
}

/**
 * Replaces the cursor file atomically (write, flush, rename), so a crash leaves the old or the new one.
 * The file is 0600 and its folder 0700, whatever the umask (`ensurePrivateFolder`).
 */
export async function writeCursorFile(path: string, cursor: string): Promise<void> {
  await ensurePrivateFolder(dirname(path));
  const temporary = `${path}.${process.pid}.tmp`;
  const state: CursorState = { cursor, updatedAt: new Date().toISOString() };
  const handle = await open(temporary, 'w', 0o600);
  try {
    // open()'s mode passes through the umask, and a leftover temporary file keeps its own.
    if (process.platform !== 'win32') await handle.chmod(0o600);
    await handle.writeFile(`${JSON.stringify(state)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
}
