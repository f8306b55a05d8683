import type { LogFields, Logger } from '@software-factory/sdk';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { type RelayWorkerOptions, resolveRelayWorkerOptions } from './relay-worker-options.ts';

export const TOKEN_ENV = 'RELAYFILE_TOKEN';
export const SECRET_ENV = 'FACTORY_RELAY_SECRET';

/**
 * The relay worker's command line. Secrets come only from the environment (`RELAYFILE_TOKEN`,
 * `FACTORY_RELAY_SECRET`): an argument would show in the process list.
 */
export function parseRelayWorkerArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): RelayWorkerOptions {
  const command = new Command('relay-worker')
    .description('Relays relayfile change events from its WebSocket to the factory, signed like webhooks.')
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {} })
    .requiredOption('--workspace <id>', 'relayfile workspace id', env.RELAYFILE_WORKSPACE)
    .requiredOption('--base-url <url>', 'relayfile API base URL', env.RELAYFILE_BASE_URL)
    .requiredOption('--handler-url <url>', "the factory's /t/<tenant>/webhooks/relayfile URL")
    .requiredOption('--cursor-file <path>', 'where the stream position is kept')
    .addOption(new Option('--path <glob...>', 'path glob to relay (repeatable)').makeOptionMandatory())
    .addOption(new Option('--port <n>', '/healthz port (0: any free port)').argParser(integer).default(8787))
    .option('--host <host>', '/healthz interface', '127.0.0.1')
    .addOption(new Option('--ws-error-threshold <n>', 'failed connections before polling').argParser(integer))
    .addOption(new Option('--retry-initial-ms <n>', 'first retry delay').argParser(integer))
    .addOption(new Option('--retry-max-ms <n>', 'longest retry delay').argParser(integer))
    .addOption(new Option('--poll-interval-ms <n>', 'fs/events poll interval').argParser(integer))
    .addOption(
      new Option('--reprobe-interval-ms <n>', 'WebSocket retry interval while polling').argParser(integer),
    )
    .allowExcessArguments(false);
  try {
    command.parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) throw new Error(error.message.replace(/^error: /, ''));
    throw error;
  }
  const flags = command.opts<Record<string, unknown>>();
  if (!env[TOKEN_ENV]) throw new Error(`${TOKEN_ENV} is not set`);
  if (!env[SECRET_ENV]) throw new Error(`${SECRET_ENV} is not set`);
  const defined = Object.fromEntries(
    Object.entries({
      wsErrorThreshold: flags.wsErrorThreshold,
      retryInitialMs: flags.retryInitialMs,
      retryMaxMs: flags.retryMaxMs,
      pollIntervalMs: flags.pollIntervalMs,
      reprobeIntervalMs: flags.reprobeIntervalMs,
    }).filter(([, value]) => value !== undefined),
  );
  return resolveRelayWorkerOptions({
    workspace: flags.workspace,
    token: env[TOKEN_ENV],
    baseUrl: flags.baseUrl,
    handlerUrl: flags.handlerUrl,
    secret: env[SECRET_ENV],
    cursorFile: flags.cursorFile,
    pathGlobs: flags.path,
    port: flags.port,
    host: flags.host,
    ...defined,
  });
}

function integer(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('not a whole number');
  return Number(value);
}

/** One JSON object per line on stdout; fields never carry tokens or secrets. */
export function jsonLineLogger(write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  const log =
    (level: string) =>
    (message: string, fields: LogFields = {}) =>
      write(`${JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields })}\n`);
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
