import { appendFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { JsonLineLogger, TERMINAL_STATUSES, type WorkItemRecord } from '@software-factory/sdk';
import { CliError, EXIT_USAGE } from '../cli-error.ts';
import { localSetupConfig } from '../local-setup.ts';
import { NodeRuntime } from '../node-runtime.ts';
import { answerQuestion, askedQuestions } from './demo-person.ts';
import { DemoTimeline } from './demo-timeline.ts';
import { DEMO_WORK_ITEMS, writeWorkItem } from './demo-work-items.ts';

const DEADLINE_MS = 60_000;
const LOOK_EVERY_MS = 50;

export interface DemoOptions {
  dir?: string;
  write?: (line: string) => void;
}

/**
 * `factory demo`: the full pipeline on one machine with no network. A folder in relayfile's layout
 * plays tracker, chat and code host; SQLite keeps the state; the local fleet runs the bundled demo
 * agent in git worktrees. Returns the exit code: 0 only when all three work items end done.
 */
export async function runDemo(options: DemoOptions = {}): Promise<number> {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const dir = await demoFolder(options.dir);
  const mountDir = path.join(dir, 'workspace');
  const stateDir = path.join(dir, 'state');
  const logFile = path.join(dir, 'factory.log');
  await mkdir(mountDir, { recursive: true });

  write('factory demo: three work items through the whole pipeline, offline.');
  write(`  folder      ${mountDir}  (plays Linear, Slack and GitHub, in relayfile's layout)`);
  write(`  state       ${path.join(stateDir, 'state.sqlite')}`);
  write(`  agents      the bundled demo agent, in git worktrees of ${path.join(dir, 'repository')}`);
  write(`  log         ${logFile}`);
  write('  limit       one agent at a time (limits.maxInFlight: 1)');
  write('');

  const config = await localSetupConfig({
    mountDir,
    stateDir,
    repository: path.join(dir, 'repository'),
    maxInFlight: 1,
    tickInterval: '1s',
  });
  const keys = new Map(DEMO_WORK_ITEMS.map((item) => [item.id, item.key]));
  const timeline = new DemoTimeline(keys, write);
  // Written before the factory starts, so it takes them in order and the third must wait its turn.
  for (const item of DEMO_WORK_ITEMS) {
    await writeWorkItem(mountDir, item);
    timeline.note(item.key, `work item written: "${item.title}" (${item.story})`);
  }

  const logger = new JsonLineLogger({
    write: (line) => appendFileSync(logFile, `${line}\n`),
    level: 'debug',
  });
  const runtime = await NodeRuntime.open(config, {
    logger,
    onResult: (_tenant, event, result) => timeline.result(event, result),
  });
  const tenant = config.tenants[0]?.id as string;
  let records: WorkItemRecord[] = [];
  try {
    await runtime.check();
    await runtime.start();
    const answered = new Set<string>();
    const deadline = Date.now() + DEADLINE_MS;
    while (Date.now() < deadline) {
      for (const question of await askedQuestions(mountDir, DEMO_WORK_ITEMS)) {
        const answer = DEMO_WORK_ITEMS.find((item) => item.key === question.key)?.answer;
        if (!answer || answered.has(question.key)) continue;
        await answerQuestion(mountDir, question, answer);
        answered.add(question.key);
        timeline.note(question.key, `a person answers in the thread: "${answer}"`);
      }
      records = await recordsOf(runtime, tenant);
      if (
        records.length === DEMO_WORK_ITEMS.length &&
        records.every((record) => TERMINAL_STATUSES.includes(record.status))
      )
        break;
      await sleep(LOOK_EVERY_MS);
    }
  } finally {
    await runtime.stop();
  }

  write('');
  for (const line of summaryTable(records, keys)) write(line);
  write('');
  const done = records.filter((record) => record.status === 'done').length;
  if (done === DEMO_WORK_ITEMS.length) {
    write(`All ${done} work items are done. Look around in ${dir}`);
    return 0;
  }
  write(`Only ${done} of ${DEMO_WORK_ITEMS.length} work items are done; see ${logFile}`);
  return 1;
}

async function recordsOf(runtime: NodeRuntime, tenant: string): Promise<WorkItemRecord[]> {
  const records: WorkItemRecord[] = [];
  for (const item of DEMO_WORK_ITEMS) {
    const record = await runtime.store.getRecord(tenant, item.id);
    if (record) records.push(record);
  }
  return records;
}

/** One row per item: where it ended, the way it went, and what it produced. */
export function summaryTable(
  records: readonly WorkItemRecord[],
  keys: ReadonlyMap<string, string>,
): string[] {
  const rows = records.map((record) => [
    keys.get(record.workItemId) ?? record.item.key,
    record.status,
    journey(record),
    String(record.attempts),
    record.output?.url ?? '-',
  ]);
  const header = ['item', 'outcome', 'path', 'agents', 'pull request'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const format = (row: string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [format(header), format(widths.map((width) => '-'.repeat(width))), ...rows.map(format)];
}

/** The statuses the item went through, in order: `new → waiting-clarification → queued → dispatched → done`. */
export function journey(record: WorkItemRecord): string {
  return record.history.map((entry) => entry.to).join(' → ');
}

async function demoFolder(dir: string | undefined): Promise<string> {
  if (!dir) return mkdtemp(path.join(tmpdir(), 'factory-demo-'));
  const absolute = path.resolve(dir);
  let entries: string[] = [];
  try {
    entries = await readdir(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new CliError(`--dir ${dir}: not a folder`, EXIT_USAGE);
    if (code !== 'ENOENT') throw new CliError(`--dir ${dir}: cannot read it (${code})`, EXIT_USAGE);
  }
  if (entries.length > 0)
    throw new CliError(`--dir ${dir}: the folder is not empty; give a new or empty one`, EXIT_USAGE);
  await mkdir(absolute, { recursive: true });
  return absolute;
}
