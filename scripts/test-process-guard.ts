// vitest globalSetup (root vitest.config.ts): the run fails if a process it started is still running
// when it ends. Setup marks the run (FACTORY_TEST_RUN=<id>, and TMPDIR=<tmp>/factory-test-<id>/, which
// the pool's workers and the tests' children inherit); teardown, once every test file has run, kills
// what is left of the run (see process-leaks.ts), names it, and sets a failing exit code. It then
// removes the run's TMPDIR, listing what the tests left in it (that is reported, not a failure).
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  canScanProcesses,
  describeLeaks,
  killLeakedProcesses,
  RUN_VARIABLE,
  type TestRunMarker,
  testRunnerProcesses,
} from './process-leaks.ts';

const MAX_LISTED = 20;

export default function setup(): () => Promise<void> {
  const runId = randomBytes(6).toString('hex');
  const folder = join(tmpdir(), `factory-test-${runId}`);
  mkdirSync(folder, { mode: 0o700 });
  const before = {
    run: process.env[RUN_VARIABLE],
    tmpdir: process.env.TMPDIR,
    compileCache: process.env.NODE_DISABLE_COMPILE_CACHE,
  };
  process.env[RUN_VARIABLE] = runId;
  process.env.TMPDIR = folder;
  // tsc turns on Node's module compile cache, kept in TMPDIR: a run's children would leave it behind.
  process.env.NODE_DISABLE_COMPILE_CACHE = '1';
  const marker: TestRunMarker = { runId, folder };

  return async function teardown(): Promise<void> {
    restore(RUN_VARIABLE, before.run);
    restore('TMPDIR', before.tmpdir);
    restore('NODE_DISABLE_COMPILE_CACHE', before.compileCache);
    let failure: Error | undefined;
    if (!canScanProcesses()) {
      console.warn(`process leak check skipped: it reads /proc, which ${process.platform} does not have`);
    } else {
      const { leaked, survived } = await killLeakedProcesses(marker, { spare: testRunnerProcesses() });
      if (leaked.length > 0) {
        console.error(
          [
            '',
            `process leak check: ${leaked.length} process(es) started by this test run still ran after it ended; killed (SIGKILL):`,
            ...describeLeaks(leaked),
            ...(survived.length > 0 ? ['still running after SIGKILL:', ...describeLeaks(survived)] : []),
            'A test must stop what it starts (an afterEach, or onTestFinished, that kills it).',
            '',
          ].join('\n'),
        );
        // vitest only logs an error thrown by a teardown; the exit code is what fails the run.
        process.exitCode = 1;
        failure = new Error(
          `process leak check failed: ${leaked.length} process(es) outlived the test run (listed above)`,
        );
      }
    }
    removeRunFolder(folder);
    if (failure) throw failure;
  };
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

/** Removes the run's TMPDIR; what the tests left in it is listed (not a failure). */
function removeRunFolder(folder: string): void {
  let left: string[] = [];
  try {
    left = readdirSync(folder).map((name) => (isFolder(join(folder, name)) ? `${name}/` : name));
  } catch {
    return;
  }
  if (left.length > 0) {
    const more = left.length > MAX_LISTED ? [`… and ${left.length - MAX_LISTED} more`] : [];
    console.warn(
      [
        `test temporary folder ${folder}: ${left.length} entr${left.length === 1 ? 'y' : 'ies'} left by the tests, removed now:`,
        ...left.slice(0, MAX_LISTED).map((name) => `  ${name}`),
        ...more,
      ].join('\n'),
    );
  }
  try {
    rmSync(folder, { recursive: true, force: true, maxRetries: 3 });
  } catch (error) {
    console.warn(`test temporary folder ${folder} could not be removed: ${(error as Error).message}`);
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
