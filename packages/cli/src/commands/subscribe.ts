import {
  deleteWebhook,
  ensureWebhook,
  listDeadLetters,
  listWebhooks,
  OutboundWebhooksUnavailableError,
  replayDeadLetters,
  webhookUrlProblem,
} from '@software-factory/relayfile';
import { Command, InvalidArgumentError, Option } from 'commander';
import { CliError, EXIT_USAGE } from '../cli-error.ts';
import { commandConfig, DEFAULT_CONFIG } from '../relay/command-config.ts';
import { factoryBaseUrl, relayfileWebhookUrl } from '../relay/handler-url.ts';
import { relayfileFailure } from '../relay/relayfile-failure.ts';
import {
  oneRelayfileTenant,
  type RelayfileTenant,
  selectRelayfileTenants,
  subscribedGlobs,
} from '../relay/relayfile-tenants.ts';

interface SubscribeOptions {
  config?: string;
  tenant?: string;
  url?: string;
  list?: boolean;
  delete?: string;
  deadLetters?: boolean;
  replay?: string;
  allowInsecureUrl?: boolean;
}

const ACTIONS = ['list', 'delete', 'deadLetters', 'replay', 'url'] as const;
const FLAGS: Record<(typeof ACTIONS)[number], string> = {
  list: 'list',
  delete: 'delete',
  deadLetters: 'dead-letters',
  replay: 'replay',
  url: 'url',
};

export function subscribeCommand(): Command {
  // Each action excludes the others (registering is what --url asks for).
  const action = (name: (typeof ACTIONS)[number], option: Option) =>
    option.conflicts(ACTIONS.filter((other) => other !== name).map((other) => FLAGS[other]));
  return new Command('subscribe')
    .description(
      "register the factory's relayfile webhook for every tenant with a relayfile mount (idempotent), or list, delete, show dead letters and replay them",
    )
    .option('-c, --config <file>', `the config file (default: ./${DEFAULT_CONFIG})`)
    .option(
      '-t, --tenant <id>',
      'only this tenant (required with --delete and --replay when several use relayfile)',
    )
    .addOption(
      action(
        'url',
        new Option(
          '--url <base>',
          "the factory's public base URL, e.g. https://factory.example.com (default: the config's server.publicUrl); each tenant gets <base>/t/<tenant>/webhooks/relayfile",
        ),
      ),
    )
    .option(
      '--allow-insecure-url',
      "register an http, loopback or private-network --url anyway (relayfile's cloud refuses them; only for a relayfile you run yourself that accepts them)",
    )
    .addOption(action('list', new Option('--list', 'list the webhooks registered in each workspace')))
    .addOption(
      action('delete', new Option('--delete <id>', 'delete the webhook with this id').argParser(relayfileId)),
    )
    .addOption(
      action('deadLetters', new Option('--dead-letters', 'list the deliveries relayfile gave up on')),
    )
    .addOption(
      action(
        'replay',
        new Option('--replay <id>', 'deliver a dead-lettered delivery again; "all" for every one').argParser(
          relayfileId,
        ),
      ),
    )
    .allowExcessArguments(false)
    .action(async (options: SubscribeOptions) => {
      await runSubscribe(options, (line) => process.stdout.write(`${line}\n`));
    });
}

async function runSubscribe(options: SubscribeOptions, print: (line: string) => void): Promise<void> {
  const config = await commandConfig(options.config);
  if (options.delete !== undefined) {
    const tenant = oneRelayfileTenant(config, options.tenant);
    await call(
      tenant,
      () => deleteWebhook(target(tenant), options.delete as string),
      `no webhook ${options.delete}`,
    );
    print(`${tenant.id}: deleted webhook ${options.delete} in workspace ${tenant.workspace}`);
    return;
  }
  if (options.replay !== undefined) {
    const tenant = oneRelayfileTenant(config, options.tenant);
    const ids = options.replay === 'all' ? undefined : [options.replay];
    const queued = await call(
      tenant,
      () => replayDeadLetters(target(tenant), ids),
      `no dead-lettered delivery ${options.replay}`,
    );
    print(
      queued.length === 0
        ? `${tenant.id}: no dead-lettered deliveries to replay`
        : `${tenant.id}: queued ${queued.length} ${queued.length === 1 ? 'delivery' : 'deliveries'} again: ${queued.map((entry) => entry.id).join(', ')}`,
    );
    return;
  }
  const tenants = selectRelayfileTenants(config, options.tenant);
  if (options.list) {
    for (const tenant of tenants)
      printWebhooks(tenant, await call(tenant, () => listWebhooks(target(tenant))), print);
    return;
  }
  if (options.deadLetters) {
    for (const tenant of tenants)
      printDeadLetters(tenant, await call(tenant, () => listDeadLetters(target(tenant))), print);
    return;
  }
  // Where relayfile posts: --url, else where the config says people reach the factory.
  const given = options.url ?? config.server.publicUrl;
  const option = options.url !== undefined ? '--url' : 'server.publicUrl';
  if (given === undefined)
    throw new CliError(
      "--url <base> is required to register, or server.publicUrl in the config: the factory's public base URL that relayfile can reach",
      EXIT_USAGE,
    );
  const base = factoryBaseUrl(given, option);
  const unreachable = options.allowInsecureUrl ? undefined : webhookUrlProblem(base);
  if (unreachable)
    throw new CliError(
      `${option} "${given}": relayfile's cloud would refuse to post there (${unreachable}). Give the factory's public https URL, or run \`factory relay\`, which takes relayfile's events over its WebSocket and posts them to the factory where it listens`,
      EXIT_USAGE,
    );
  for (const tenant of tenants) subscribedGlobs(tenant);
  for (const tenant of tenants) {
    const url = relayfileWebhookUrl(base, tenant.id);
    const ensured = await call(tenant, () =>
      ensureWebhook({
        ...target(tenant),
        url,
        secret: tenant.secret,
        pathGlobs: subscribedGlobs(tenant),
        allowInsecureUrl: options.allowInsecureUrl ?? false,
      }),
    );
    const verb = !ensured.created
      ? 'already registered, unchanged:'
      : ensured.replaced.length > 0
        ? `registered (replacing ${ensured.replaced.join(', ')}):`
        : 'registered';
    print(`${tenant.id}: ${verb} ${ensured.subscriptionId} → ${url}`);
    for (const glob of ensured.pathGlobs) print(`  ${glob}`);
  }
}

function printWebhooks(
  tenant: RelayfileTenant,
  webhooks: Awaited<ReturnType<typeof listWebhooks>>,
  print: (line: string) => void,
): void {
  if (webhooks.length === 0) {
    print(`${tenant.id}: no webhooks in workspace ${tenant.workspace}`);
    return;
  }
  print(
    `${tenant.id}: ${webhooks.length} ${webhooks.length === 1 ? 'webhook' : 'webhooks'} in workspace ${tenant.workspace}`,
  );
  for (const webhook of webhooks) {
    const health = webhook.health;
    const state = health?.consecutiveFailures
      ? `failing (${health.consecutiveFailures} in a row: ${health.lastError ?? 'unknown error'})`
      : health?.lastSuccessAt
        ? `ok, last delivery ${health.lastSuccessAt}`
        : 'no delivery yet';
    print(`  ${webhook.id}  ${webhook.url}  ${state}`);
    print(`    ${webhook.pathGlobs.join('  ')}`);
  }
}

function printDeadLetters(
  tenant: RelayfileTenant,
  letters: Awaited<ReturnType<typeof listDeadLetters>>,
  print: (line: string) => void,
): void {
  const dead = letters.filter((letter) => letter.status === 'dead_lettered');
  print(
    `${tenant.id}: ${dead.length} dead-lettered ${dead.length === 1 ? 'delivery' : 'deliveries'} in workspace ${tenant.workspace}${letters.length > dead.length ? ` (${letters.length - dead.length} replayed)` : ''}`,
  );
  for (const letter of letters)
    print(
      `  ${letter.deliveryId}  ${letter.status}  event ${letter.eventId}  ${letter.attemptCount} attempts, ${letter.replayCount} replays  failed ${letter.failedAt}: ${letter.lastError}`,
    );
}

function target(tenant: RelayfileTenant) {
  return { client: tenant.mount.client, workspaceId: tenant.workspace };
}

async function call<T>(tenant: RelayfileTenant, request: () => Promise<T>, notFound?: string): Promise<T> {
  try {
    return await request();
  } catch (error) {
    // The self-hosted relayfile has no webhook routes (404 "route not found"): only its WebSocket.
    if (error instanceof OutboundWebhooksUnavailableError)
      throw new CliError(
        `tenant ${tenant.id}: relayfile at ${tenant.baseUrl} has no outbound webhooks (it answered ${error.answer} on its webhooks route; the self-hosted relayfile pushes changes only over its WebSocket): run \`factory relay --tenant ${tenant.id}\` next to the factory instead`,
        EXIT_USAGE,
      );
    throw relayfileFailure(tenant, error, notFound);
  }
}

/** relayfile's ids go into URL paths: letters, digits and a few separators only. */
function relayfileId(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/.test(value))
    throw new InvalidArgumentError('expected an id of letters, digits, "_", ".", ":" and "-".');
  return value;
}
