import { InvalidArgumentError } from 'commander';
import { watchLaunchChain } from '../launch-chain.ts';

// Read when the CLI loads, before any wait: a parent that dies while the factory starts up still counts.
const PPID_AT_START = process.ppid;

/** A `--port` value: a whole number from 0 (any free port) to 65535. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535)
    throw new InvalidArgumentError('expected a port number from 0 to 65535.');
  return port;
}

/** Resolves with the first SIGTERM or SIGINT; a second one ends the process at once. */
export function nextSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      process.once('SIGTERM', () => process.exit(1));
      process.once('SIGINT', () => process.exit(130));
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/**
 * Why a long-running command stops: a signal, or the process that started it (npm, its `sh -c`, a
 * script) exited without passing one on. Each is also the log fields of the "stopping" line.
 */
export type StopRequest =
  | { signal: NodeJS.Signals }
  | { parentExited: number }
  | { outputClosed: 'stdout' | 'stderr' };

export interface StopWatch {
  /** Resolves with the first stop request. */
  readonly requested: Promise<StopRequest>;
  /** Stops watching (signals and parent), for a command that ends without being asked to. */
  dispose(): void;
}

/** What a second signal, once stopping, exits with at once. */
const STOP_SIGNALS = { SIGTERM: 1, SIGINT: 130, SIGHUP: 129 } as const;

/**
 * Watches for the request to stop: SIGTERM, SIGINT or SIGHUP (a closed terminal), the launch chain
 * broken (see LaunchChain), polled every `parentPollMs` on a timer that never keeps the process alive, or
 * the reader of stdout or stderr gone (EPIPE: it went with the parent before the poll saw it, or the
 * output was piped to a command that ended), which would otherwise end the process with an unhandled
 * error. Once stopping, a second signal ends the process at once, and a failed write to stdout or stderr
 * no longer throws: the shutdown goes on without its log lines.
 */
export function watchForStop(options: { parentPollMs?: number } = {}): StopWatch {
  let resolve!: (request: StopRequest) => void;
  const requested = new Promise<StopRequest>((settle) => {
    resolve = settle;
  });
  let stopWatchingParent = () => {};
  let done = false;
  const onSignal = (signal: NodeJS.Signals) => request({ signal });
  let stopWatchingOutputs: (() => void)[] = [];
  const dispose = () => {
    for (const signal of Object.keys(STOP_SIGNALS) as NodeJS.Signals[]) process.off(signal, onSignal);
    stopWatchingParent();
    for (const stop of stopWatchingOutputs) stop();
  };
  const request = (stop: StopRequest) => {
    if (done) return;
    done = true;
    dispose();
    for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
    for (const [signal, code] of Object.entries(STOP_SIGNALS)) process.once(signal, () => process.exit(code));
    resolve(stop);
  };
  for (const signal of Object.keys(STOP_SIGNALS) as NodeJS.Signals[]) process.on(signal, onSignal);
  const outputs = [
    [process.stdout, 'stdout'],
    [process.stderr, 'stderr'],
  ] as const;
  stopWatchingOutputs = outputs.map(([stream, name]) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      request({ outputClosed: name });
    };
    stream.on('error', onError);
    return () => stream.off('error', onError);
  });
  stopWatchingParent = watchLaunchChain((pid) => request({ parentExited: pid }), {
    ppidAtStart: PPID_AT_START,
    everyMs: options.parentPollMs ?? 500,
  });
  return {
    requested,
    dispose: () => {
      done = true;
      dispose();
    },
  };
}
