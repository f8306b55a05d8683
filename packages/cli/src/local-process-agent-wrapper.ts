// Runs one agent command and writes how it ended to `exit.json`, so a factory that was restarted (or
// killed) while the agent ran can still learn its exit code. Started detached by LocalProcessFleet as
// `node local-process-agent-wrapper.ts <agent dir>`; the agent dir path on the command line is also how
// the fleet recognises this process again by its pid.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import {
  type AgentRunSpec,
  agentFiles,
  openPrivateLog,
  type RecordedExit,
  writeJsonFile,
  writePrivateFile,
} from './local-process-files.ts';

const agentDir = process.argv[2];
if (!agentDir) {
  process.stderr.write('usage: local-process-agent-wrapper.ts <agent dir>\n');
  process.exit(2);
}

const files = agentFiles(agentDir);
// First, so a factory that dies before it records this pid can still find the agent.
writePrivateFile(files.pid, `${process.pid}\n`);
const spec = JSON.parse(readFileSync(files.run, 'utf8')) as AgentRunSpec;
const log = openPrivateLog(files.log);
const task = openSync(files.task, 'r');

const [program, ...args] = typeof spec.command === 'string' ? [spec.command] : spec.command;
const child = spawn(program as string, args, {
  cwd: spec.cwd,
  shell: typeof spec.command === 'string',
  stdio: [task, log, log],
});
closeSync(task);

let recorded = false;
function record(exit: RecordedExit): void {
  if (recorded) return;
  recorded = true;
  writeJsonFile(files.exit, exit);
}

// A stop request reaches the wrapper and the agent together (one process group); the wrapper stays to
// record the agent's end, and passes on a signal sent to it alone.
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.on(signal, () => child.kill(signal));
}

child.on('error', (error) => {
  writeFileSync(log, `factory: could not start the agent command: ${error.message}\n`);
  record({ exitCode: 127, exitedAt: Date.now(), error: error.message });
  process.exit(0);
});

child.on('exit', (code, signal) => {
  const signalNumber = signal ? (constants.signals[signal] ?? 0) : 0;
  record({
    exitCode: code ?? 128 + signalNumber,
    exitedAt: Date.now(),
    ...(signal ? { signal } : {}),
  });
  closeSync(log);
  process.exit(0);
});
