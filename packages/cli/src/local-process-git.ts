import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { errorMessage } from '@software-factory/sdk';

const run = promisify(execFile);

async function git(repository: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run('git', ['-C', repository, ...args], {
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
      maxBuffer: 1024 * 1024,
    });
    return stdout.trim();
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    const reason = stderr || errorMessage(error);
    throw new Error(`git ${args[0]} in ${repository} failed: ${reason.replace(/\s+/g, ' ')}`);
  }
}

export async function assertGitRepository(repository: string): Promise<void> {
  if (!existsSync(repository)) throw new Error(`LocalProcessFleet: repository ${repository} does not exist`);
  try {
    await git(repository, ['rev-parse', '--git-dir']);
  } catch {
    throw new Error(`LocalProcessFleet: ${repository} is not a git repository`);
  }
}

export async function assertBranchName(repository: string, branch: string): Promise<void> {
  const valid =
    !branch.startsWith('-') &&
    (await git(repository, ['check-ref-format', '--branch', branch]).then(
      () => true,
      () => false,
    ));
  if (!valid) throw new Error(`LocalProcessFleet: "${branch}" is not a valid branch name`);
}

/**
 * Checks `branch` out in a new worktree at `dir`: a new branch from `baseRef`, or the existing branch
 * when an earlier attempt left one (so a retry continues from its commits).
 */
export async function addWorktree(repository: string, dir: string, branch: string, baseRef: string) {
  const exists = await git(repository, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]).then(
    () => true,
    () => false,
  );
  await git(
    repository,
    exists ? ['worktree', 'add', dir, branch] : ['worktree', 'add', '-b', branch, dir, baseRef],
  );
}

/** Removes the worktree and git's record of it; the branch and its commits stay. */
export async function removeWorktree(repository: string, dir: string): Promise<void> {
  try {
    await git(repository, ['worktree', 'remove', '--force', dir]);
  } catch {
    // Already gone, or the repository moved: remove the folder and let git forget what is missing.
    rmSync(dir, { recursive: true, force: true });
    await git(repository, ['worktree', 'prune']).catch(() => undefined);
  }
}
