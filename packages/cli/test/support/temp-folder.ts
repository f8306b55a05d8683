import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';

/**
 * Removes `folder` when the current test finishes, after its afterEach hooks (which stop what used it).
 * Call it in a test or a beforeEach; a beforeAll's folder needs an afterAll instead.
 */
export function removeAfterTest(folder: string): void {
  onTestFinished(() => rm(folder, { recursive: true, force: true, maxRetries: 3 }));
}

/** A new folder in the run's temp folder, removed when the current test finishes (see removeAfterTest). */
export async function testFolder(prefix: string): Promise<string> {
  // Registered before the first await, while the current test is still this one (concurrent tests).
  let folder: string | undefined;
  onTestFinished(async () => {
    if (folder) await rm(folder, { recursive: true, force: true, maxRetries: 3 });
  });
  folder = await mkdtemp(path.join(tmpdir(), prefix));
  return folder;
}
