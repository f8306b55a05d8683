import type { Logger, LogLevel } from '@software-factory/sdk';
import { errorMessage } from '@software-factory/sdk';
import { Command, Option } from 'commander';
import { CliError, EXIT_USAGE } from '../cli-error.ts';
import type { FactoryConfig } from '../config/config-schema.ts';
import { listen } from '../http-listener.ts';
import { NodeRuntime } from '../node-runtime.ts';
import { requirementLines, tenantNeeds } from '../onboarding/requirements.ts';
import { EXIT_UNCONNECTED, unconnectedProviderLines } from '../operator/unconnected-providers.ts';
import { type OtlpTracing, startOtlpTracing } from '../otlp-tracing.ts';
import { processLogger } from '../process-logger.ts';
import { buildTenantPorts } from '../tenant/tenant-ports.ts';
import { VERSION } from '../version.ts';
import { parsePort, watchForStop } from './process-lifecycle.ts';
import { configOption, mountOption, runConfig } from './run-config.ts';

interface StartOptions {
  config?: string;
  mount?: string;
  port?: number;
  logLevel: LogLevel;
  allowUnconnected?: boolean;
  dryRun?: boolean;
}

export function startCommand(): Command {
  return new Command('start')
    .description('serve webhooks and run the factory in this process until SIGTERM or Ctrl-C')
    .addOption(configOption())
    .addOption(mountOption())
    .option('-p, --port <number>', 'the port to listen on, overriding server.port', parsePort)
    .option(
      '--allow-unconnected',
      'serve even while a provider needs `factory connect` (its webhooks are answered 503 until then)',
    )
    .option('--dry-run', 'triage and plan every event, log each plan, and write nothing anywhere')
    .addOption(
      new Option('--log-level <level>', 'the lowest level logged')
        .choices(['debug', 'info', 'warn', 'error'])
        .default('info'),
    )
    .action(async (options: StartOptions) => {
      await runStart(options);
    });
}

async function runStart(options: StartOptions): Promise<void> {
  const config = await runConfig(options);
  refuseIncomplete(config);
  if (options.dryRun) for (const tenant of config.tenants) tenant.dryRun = true;
  const logger = processLogger({ level: options.logLevel, secrets: config.secrets });
  const tracing = await startTracing(config, logger);
  const runtime = await NodeRuntime.open(config, {
    logger,
    onResult: (tenant, event, result) => {
      // The core logs a plan's outline; the operator of a dry run wants every write in full.
      if (result.plan && result.plan.length > 0)
        logger.info('dry run plan', { tenant, event: event.type, plan: result.plan });
    },
  });
  let listening: Awaited<ReturnType<typeof listen>> | undefined;
  try {
    await runtime.check();
    await refuseUnconnected(runtime, options, logger);
    listening = await listen(
      runtime.app.fetch,
      config.server.host,
      options.port ?? config.server.port,
      (request) =>
        // The path only: a query string may carry what must not be logged.
        logger.debug('request', { method: request.method, path: new URL(request.url).pathname }),
    );
  } catch (error) {
    await runtime.stop();
    await tracing?.shutdown();
    throw error;
  }
  const stop = watchForStop();
  logger.info('factory started', {
    version: VERSION,
    pid: process.pid,
    config: config.source,
    url: `http://${listening.host}:${listening.port}`,
    tenants: config.tenants.map((tenant) => tenant.id),
    ...(options.dryRun ? { dryRun: true } : {}),
  });
  try {
    await Promise.race([runtime.start(), stop.requested]);
  } catch (error) {
    stop.dispose();
    await listening.close();
    await runtime.stop();
    await tracing?.shutdown();
    throw error;
  }
  // A signal, or the wrapper that started this process (npm, its shell) gone without passing one on.
  const request = await stop.requested;
  logger.info('stopping', request);
  // New requests are refused from here; the ones in flight finish before the store closes.
  await listening.close();
  await runtime.stop();
  // The spans of the last events are sent before the process ends.
  await tracing?.shutdown();
  logger.info('stopped', request);
}

/** Exports traces when `observability.otlp` is configured; loads no OpenTelemetry SDK otherwise. */
async function startTracing(config: FactoryConfig, logger: Logger): Promise<OtlpTracing | undefined> {
  const otlp = config.observability?.otlp;
  if (!otlp) return undefined;
  try {
    return await startOtlpTracing(otlp, { serviceName: 'factory', version: VERSION, logger });
  } catch (error) {
    throw new CliError(`cannot export traces: ${errorMessage(error)}`, EXIT_USAGE);
  }
}

/**
 * A config may leave out what only running work needs (`intentProvider: linear` is enough for `factory
 * check` and `connect`); `factory start` needs all of it: a fleet, the webhook secrets, a channel. Each
 * missing piece is one line naming what to add, with an example; exit 2.
 */
function refuseIncomplete(config: FactoryConfig): void {
  const lines = requirementLines(tenantNeeds(config, buildTenantPorts(config, { env: process.env })), '');
  if (lines.length === 0) return;
  for (const line of lines) process.stderr.write(`factory: ${line}\n`);
  throw new CliError(
    `not starting: ${config.source} needs ${lines.length === 1 ? 'one more setting' : `${lines.length} more settings`} to take work (above)`,
    EXIT_USAGE,
  );
}

/**
 * Checks every declared provider before serving: one not connected would only collect 503s, so the
 * process stops with the command that fixes each one, unless the operator asked to serve anyway.
 */
async function refuseUnconnected(runtime: NodeRuntime, options: StartOptions, logger: Logger) {
  const tenants = await Promise.all(
    runtime.tenants.map(async (tenant) => ({
      tenant: tenant.runtime.id,
      reports: await tenant.runtime.connections(),
    })),
  );
  for (const { tenant, reports } of tenants)
    for (const report of reports)
      if (report.status.state === 'error')
        logger.warn('provider check failed', {
          tenant,
          provider: report.provider,
          error: report.status.message,
        });
  const lines = unconnectedProviderLines(tenants, { configFile: options.config });
  if (lines.length === 0) return;
  if (options.allowUnconnected) {
    for (const line of lines) logger.warn('provider not connected; its webhooks get 503', { detail: line });
    return;
  }
  for (const line of lines) process.stderr.write(`factory: ${line}\n`);
  throw new CliError(
    `not starting: ${lines.length === 1 ? 'a provider is' : `${lines.length} providers are`} not connected (connect, or pass --allow-unconnected to serve anyway)`,
    EXIT_UNCONNECTED,
  );
}
