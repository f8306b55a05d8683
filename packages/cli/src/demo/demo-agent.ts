#!/usr/bin/env node
// The offline demo's coding agent. Run by LocalProcessFleet in a worktree, it does what a real agent
// would, minus the thinking: commits a note about the task on its branch and "opens" a pull request by
// writing the record relayfile would mount for it, `/github/repos/<owner>/<repo>/pulls/<n>__<slug>/meta.json`,
// into the directory FACTORY_DEMO_MOUNT. Re-running it for the same work item writes the same files.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DirectoryMount } from '@software-factory/relayfile/directory-mount';

const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

function fail(message: string): never {
  process.stderr.write(`demo-agent: ${message}\n`);
  process.exit(2);
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) fail(`${name} is not set`);
  return value;
}

function git(args: string[]): string {
  return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** A stable pull request number per work item key (FNV-1a), so a re-run names the same pull request. */
function pullNumberFor(key: string): number {
  let hash = 0x811c9dc5;
  for (const char of key) hash = Math.imul(hash ^ (char.codePointAt(0) ?? 0), 0x01000193) >>> 0;
  return 1 + (hash % 99_999);
}

/**
 * The work item's title as the task states it: the first line of the data block labelled `Title …`
 * (the default template's), else a "<KEY>: <title>" line, else the task's first line.
 */
function titleFrom(task: string, key: string): string {
  const lines = task.split('\n');
  const label = lines.findIndex((line) => line.startsWith('Title'));
  const fence = /^(`{3,})data$/.exec(lines[label + 1] ?? '')?.[1];
  if (label >= 0 && fence) {
    const first = lines[label + 2];
    if (first !== undefined && first !== fence && first.trim()) return first.trim().slice(0, 72);
  }
  const trimmed = lines.map((line) => line.trim());
  const marker = `${key}:`;
  const stated = trimmed.find((line) => line.includes(marker));
  const title = stated
    ? stated.slice(stated.indexOf(marker) + marker.length).trim()
    : (trimmed.find(Boolean) ?? '');
  return (title || 'demo change').slice(0, 72);
}

function slugOf(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 48)
      .replace(/-+$/, '') || 'change'
  );
}

function listFolder(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

const key = required('FACTORY_WORK_ITEM_KEY');
const branch = required('FACTORY_BRANCH');
const mount = required('FACTORY_DEMO_MOUNT');
const repository = process.env.FACTORY_DEMO_REPOSITORY ?? required('FACTORY_REPOSITORY');
if (!REPOSITORY.test(repository)) fail(`FACTORY_DEMO_REPOSITORY "${repository}" must be owner/repo`);
const delayText = process.env.FACTORY_DEMO_AGENT_DELAY_MS ?? '0';
const delayMs = Number(delayText);
if (!/^\d+$/.test(delayText) || !Number.isSafeInteger(delayMs)) {
  fail(`FACTORY_DEMO_AGENT_DELAY_MS "${delayText}" must be a whole number of milliseconds`);
}
const task = readFileSync(process.env.FACTORY_TASK_FILE ?? 0, 'utf8');
const title = titleFrom(task, key);

// The commit: a note describing the task, on the branch the worktree has checked out.
const noteDir = 'factory-demo';
const notePath = join(noteDir, `${slugOf(key)}.md`);
mkdirSync(noteDir, { recursive: true });
writeFileSync(notePath, `# ${key}: ${title}\n\nThe demo agent was given this task:\n\n${task}`);
git(['add', notePath]);
const identity = git(['config', '--default', '', '--get', 'user.email'])
  ? []
  : ['-c', 'user.name=factory demo agent', '-c', 'user.email=demo-agent@factory.invalid'];
try {
  execFileSync('git', ['diff', '--cached', '--quiet'], { stdio: 'ignore' });
} catch {
  // Exit status 1: something is staged (a re-run of the same task stages nothing and commits nothing).
  git([...identity, 'commit', '--quiet', '-m', `${key}: ${title}`]);
}
const commit = git(['rev-parse', '--short', 'HEAD']);

if (delayMs > 0) await sleep(delayMs);

// The pull request, as relayfile mounts it; DirectoryMount writes it whole (temporary file, rename).
const [owner, repo] = repository.split('/') as [string, string];
const number = pullNumberFor(key);
const pulls = `/github/repos/${owner}/${repo}/pulls`;
// A re-run keeps the folder an earlier run made for this number, even if the title changed since.
const earlier = listFolder(join(mount, pulls)).find((name) => name.startsWith(`${number}__`));
const metaPath = `${pulls}/${earlier ?? `${number}__${slugOf(title)}`}/meta.json`;
const meta = {
  number,
  title: `${key}: ${title}`,
  state: 'open',
  draft: false,
  merged: false,
  head: { ref: branch, sha: git(['rev-parse', 'HEAD']) },
  html_url: `https://github.com/${owner}/${repo}/pull/${number}`,
  body: `Demo change for ${key}, made by the bundled demo agent.`,
};
await new DirectoryMount(mount).write(metaPath, `${JSON.stringify(meta, null, 2)}\n`);
process.stdout.write(
  `demo-agent: committed ${commit} on ${branch}; pull request #${number} at ${metaPath}\n`,
);
