import { errorMessage } from '@software-factory/sdk';
// The relay worker as a process: options from the arguments, secrets from the environment, SIGTERM stops it.
import { runRelayWorker } from './relay-worker.ts';
import { jsonLineLogger, parseRelayWorkerArgs } from './relay-worker-cli.ts';

const logger = jsonLineLogger();
let options: ReturnType<typeof parseRelayWorkerArgs>;
try {
  options = parseRelayWorkerArgs(process.argv.slice(2), process.env);
} catch (error) {
  process.stderr.write(`relay-worker: ${errorMessage(error)}\n`);
  process.exit(2);
}

const worker = await runRelayWorker(options, { logger });
let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void worker.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
worker.done.catch(() => process.exit(1));
