import path from 'node:path';
import { RelayWorkerOptionsError, runRelayWorker } from '@software-factory/relayfile/relay-worker';
import type { LogLevel } from '@software-factory/sdk';
import { errorMessage } from '@software-factory/sdk';
import { Command, Option } from 'commander';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from '../cli-error.ts';
import { processLogger } from '../process-logger.ts';
import { commandConfig, DEFAULT_CONFIG } from '../relay/command-config.ts';
import { factoryBaseUrl, localFactoryUrl, relayfileWebhookUrl } from '../relay/handler-url.ts';
import { oneRelayfileTenant, subscribedGlobs } from '../relay/relayfile-tenants.ts';
import { parsePort, watchForStop } from './process-lifecycle.ts';

const DEFAULT_HEALTH_PORT = 8788;

interface RelayOptions {
  config?: string;
  tenant?: string;
  url?: string;
  port: number;
  host: string;
  logLevel: LogLevel;
}

export function relayCommand(): Command {
  return new Command('relay')
    .description(
      "relay a tenant's relayfile change events from relayfile's WebSocket to the factory, signed like relayfile's webhooks, until SIGTERM or Ctrl-C",
    )
    .option('-c, --config <file>', `the config file (default: ./${DEFAULT_CONFIG})`)
    .option('-t, --tenant <id>', 'the tenant to relay for (required when several use relayfile)')
    .option(
      '--url <base>',
      "the factory's base URL to post to (default: where `factory start` listens with this config)",
    )
    .addOption(
      new Option('-p, --port <number>', 'the port of GET /healthz')
        .argParser(parsePort)
        .default(DEFAULT_HEALTH_PORT),
    )
    .option('--host <host>', 'the interface of GET /healthz', '127.0.0.1')
    .addOption(
      new Option('--log-level <level>', 'the lowest level logged')
        .choices(['debug', 'info', 'warn', 'error'])
        .default('info'),
    )
    .allowExcessArguments(false)
    .action(async (options: RelayOptions) => {
      await runRelay(options);
    });
}

async function runRelay(options: RelayOptions): Promise<void> {
  const config = await commandConfig(options.config);
  const tenant = oneRelayfileTenant(config, options.tenant);
  const pathGlobs = subscribedGlobs(tenant);
  const base = options.url === undefined ? localFactoryUrl(config.server) : factoryBaseUrl(options.url);
  const handlerUrl = relayfileWebhookUrl(base, tenant.id);
  // Next to the SQLite file by default: the factory's own state folder, not the working directory.
  const cursorFile = path.join(config.baseDir, '.factory', 'relay', `${tenant.id}.cursor.json`);
  const logger = processLogger({ level: options.logLevel, secrets: config.secrets });
  let worker: Awaited<ReturnType<typeof runRelayWorker>>;
  try {
    worker = await runRelayWorker(
      {
        workspace: tenant.workspace,
        token: tenant.token,
        baseUrl: tenant.baseUrl,
        handlerUrl,
        secret: tenant.secret,
        cursorFile,
        pathGlobs,
        port: options.port,
        host: options.host,
      },
      { logger },
    );
  } catch (error) {
    throw startFailure(error, options);
  }
  const stop = watchForStop();
  logger.info('relay started', {
    tenant: tenant.id,
    workspace: tenant.workspace,
    handlerUrl,
    health: `http://${options.host}:${worker.port}/healthz`,
    cursorFile,
    pathGlobs,
  });
  const ended = await Promise.race([
    stop.requested,
    worker.done.then(
      () => ({ failed: 'the relay worker stopped by itself' }),
      (error: unknown) => ({ failed: errorMessage(error) }),
    ),
  ]);
  if ('failed' in ended) {
    stop.dispose();
    throw new CliError(`relay for tenant ${tenant.id} failed: ${ended.failed}`, EXIT_FAILURE);
  }
  // The delivery in flight finishes and the cursor is saved before the worker resolves.
  await worker.stop();
  logger.info('relay stopped', {
    tenant: tenant.id,
    ...ended,
    cursor: worker.status().cursor ?? null,
  });
}

function startFailure(error: unknown, options: RelayOptions): CliError {
  if (error instanceof RelayWorkerOptionsError)
    return new CliError(
      `the relay's settings from the config are not usable: ${error.problems.join('; ')}`,
      EXIT_USAGE,
    );
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE')
    return new CliError(
      `--port ${options.port}: ${options.host}:${options.port} is already in use`,
      EXIT_FAILURE,
    );
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
    return new CliError(`--host ${options.host}: cannot listen there (${code})`, EXIT_USAGE);
  return new CliError(errorMessage(error), EXIT_FAILURE);
}
