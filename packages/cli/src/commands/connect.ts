import { AuthFlowError, KEY_ENV, KEY_FILE_ENV, redact, unreachableHost } from '@software-factory/auth';
import { providerRegistry } from '@software-factory/providers/registry';
import { errorMessage } from '@software-factory/sdk';
import { Command, InvalidArgumentError, Option } from 'commander';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from '../cli-error.ts';
import { connectGithubApp } from '../onboarding/connect-github-app.ts';
import { connectProvider, describeStatus } from '../onboarding/connect-provider.ts';
import { DEFAULT_CONFIG } from '../onboarding/fix-command.ts';
import { chooseTenant, loadOnboardingConfig } from '../onboarding/load-onboarding-config.ts';
import { browserOpener } from '../onboarding/open-browser.ts';
import { runRemoteConnect } from '../remote/remote-connect.ts';
import { addRemoteOptions, parseTenantId } from '../remote/remote-options.ts';

interface ConnectOptions {
  config?: string;
  tenant?: string;
  scopes?: string[];
  redirectPort?: number;
  remote?: URL;
  tokenEnv?: string;
  app?: boolean;
  org?: string;
  appName?: string;
  webhookUrl?: URL;
}

export function connectCommand(): Command {
  // Who can be signed in to, and how, as the provider registry says.
  const signIns = providerRegistry.entries().filter((entry) => entry.oauth);
  const vendors = (flow: 'authorization-code' | 'device') => [
    ...new Set(signIns.filter((entry) => entry.oauth?.flow === flow).map((entry) => entry.oauth?.vendor)),
  ];
  const ways = [
    ...(vendors('authorization-code').length > 0
      ? [`${listOf(vendors('authorization-code'))} in the browser`]
      : []),
    ...(vendors('device').length > 0 ? [`${listOf(vendors('device'))} with a device code`] : []),
  ];
  const command = new Command('connect')
    .description(
      `sign in to a provider (${ways.join(', ')}), store its token encrypted, and check the connection; with --remote, the deployed factory runs the sign-in and keeps the token`,
    )
    .argument(
      '<provider>',
      `the provider as \`factory check\` names it: ${signIns.map((entry) => entry.type).join(', ')}`,
      parseProvider,
    )
    .addOption(
      new Option('-c, --config <file>', `the config file (default: ./${DEFAULT_CONFIG})`).conflicts('remote'),
    )
    .option(
      '-t, --tenant <id>',
      'the tenant to connect (needed when the config has several, and with --remote)',
    )
    .option(
      '--scopes <list>',
      'the scopes to request, comma-separated (default: what the provider needs, plus what it holds)',
      parseScopes,
    )
    .addOption(
      new Option(
        '--redirect-port <number>',
        'the loopback port the browser comes back to (when the OAuth app registered a fixed redirect URI)',
      )
        .argParser(parsePort)
        .conflicts('remote'),
    )
    .addOption(
      new Option(
        '--app',
        'GitHub only: create a GitHub App from a manifest in the browser (GitHub’s manifest flow) and store its id, private key and webhook secret, instead of signing in as a person',
      ).conflicts(['remote', 'scopes']),
    )
    .addOption(
      new Option('--org <login>', 'with --app: create the App in this GitHub organisation').argParser(
        parseOrg,
      ),
    )
    .addOption(
      new Option('--app-name <name>', 'with --app: the App’s name (default factory-<tenant>)').argParser(
        parseAppName,
      ),
    )
    .addOption(
      new Option(
        '--webhook-url <url>',
        'with --app: where GitHub sends the App’s webhooks (default <server.publicUrl>/t/<tenant>/webhooks/<provider>)',
      ).argParser(parseWebhookUrl),
    );
  return addRemoteOptions(
    command,
    'with --remote: the environment variable that holds the token (default: FACTORY_ADMIN_TOKEN when set, else FACTORY_OPERATOR_TOKEN)',
  ).action(async (provider: string, options: ConnectOptions) => {
    if (options.remote) {
      if (!options.tenant)
        throw new CliError('--remote needs --tenant <id>: the tenant whose provider to connect', EXIT_USAGE);
      return runRemoteConnect(provider, {
        remote: options.remote,
        tenant: parseTenant(options.tenant),
        scopes: options.scopes,
        tokenEnv: options.tokenEnv,
      });
    }
    if (options.tokenEnv)
      throw new CliError('--token-env goes with --remote <url>; a local connect needs no token', EXIT_USAGE);
    const appOnly = (['org', 'appName', 'webhookUrl'] as const).filter((name) => options[name] !== undefined);
    if (!options.app && appOnly.length > 0)
      throw new CliError(
        `${appOnly.map((name) => `--${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`).join(', ')} go with --app`,
        EXIT_USAGE,
      );
    if (options.app) return runConnectApp(provider, options);
    await runConnect(provider, options);
  });
}

function parseTenant(value: string): string {
  try {
    return parseTenantId(value);
  } catch (error) {
    throw new CliError(`--tenant ${value}: ${errorMessage(error)}`, EXIT_USAGE);
  }
}

async function runConnect(provider: string, options: ConnectOptions): Promise<void> {
  const { file, config, tenants } = await loadOnboardingConfig(options.config, process.env);
  const tenant = chooseTenant(tenants, options.tenant, file);
  const tenantConfig = config.tenants.find((candidate) => candidate.id === tenant.id);
  if (!tenantConfig) throw new Error(`tenant ${tenant.id} vanished from the config`);
  // Ctrl-C stops the wait for the browser or the device code cleanly: nothing half-stored.
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  const print = (message: string) => process.stdout.write(`${message}\n`);
  try {
    const status = await connectProvider({
      tenant,
      tenantConfig,
      provider,
      scopes: options.scopes,
      redirectPort: options.redirectPort,
      env: process.env,
      secrets: config.secrets,
      openUrl: browserOpener(process.env),
      print,
      signal: controller.signal,
    });
    print(redact(describeStatus(provider, status), config.secrets));
    if (status.state !== 'connected') process.exitCode = EXIT_FAILURE;
  } catch (error) {
    if (error instanceof AuthFlowError) throw new CliError(error.message, EXIT_FAILURE);
    if (error instanceof CliError) throw error;
    // fetch says only "fetch failed"; the host it could not reach is what the person can act on.
    const unreachable = unreachableHost(error);
    if (unreachable)
      throw new CliError(
        `connecting ${provider} failed: ${unreachable.message}; check the network (or a proxy) and that address`,
        EXIT_FAILURE,
      );
    throw new CliError(redact(errorMessage(error), config.secrets));
  } finally {
    process.off('SIGINT', onSignal);
  }
}

/** `factory connect <github provider> --app`: the App manifest flow, its credentials stored for the tenant. */
async function runConnectApp(provider: string, options: ConnectOptions): Promise<void> {
  const { file, config, tenants } = await loadOnboardingConfig(options.config, process.env);
  const tenant = chooseTenant(tenants, options.tenant, file);
  const tenantConfig = config.tenants.find((candidate) => candidate.id === tenant.id);
  if (!tenantConfig) throw new Error(`tenant ${tenant.id} vanished from the config`);
  const role = [tenantConfig.outputTarget, tenantConfig.intentProvider].find(
    (candidate) =>
      (candidate.provider ?? candidate.type) === provider &&
      (candidate.type === 'github' || candidate.type === 'github-issues'),
  );
  if (!role)
    throw new CliError(
      `--app creates a GitHub App: name a GitHub provider of tenant ${tenant.id} (type github or github-issues), not "${provider}"`,
      EXIT_USAGE,
    );
  const store = tenant.credentials.store;
  if (!store)
    throw new CliError(
      `set ${KEY_ENV} (a passphrase of at least 12 characters) or ${KEY_FILE_ENV} (a key file): the App's private key is stored encrypted in ${tenant.credentials.path}`,
      EXIT_USAGE,
    );
  const publicUrl = (config.server as { publicUrl?: string } | undefined)?.publicUrl;
  const webhookUrl =
    options.webhookUrl?.href ??
    (publicUrl ? `${publicUrl.replace(/\/+$/, '')}/t/${tenant.id}/webhooks/${provider}` : undefined);
  if (!webhookUrl)
    throw new CliError(
      '--app needs where GitHub sends the App’s webhooks: pass --webhook-url <url>, or set server.publicUrl in the config',
      EXIT_USAGE,
    );
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  try {
    await connectGithubApp({
      tenant: tenant.id,
      tenantConfig,
      store,
      storePath: tenant.credentials.path,
      org: options.org,
      name: options.appName ?? `factory-${tenant.id}`,
      webhookUrl,
      webBaseUrl: process.env.GITHUB_WEB_URL || 'https://github.com',
      apiBaseUrl: typeof role.baseUrl === 'string' ? role.baseUrl : 'https://api.github.com',
      redirectPort: options.redirectPort,
      openUrl: browserOpener(process.env),
      print: (message) => process.stdout.write(`${redact(message, config.secrets)}\n`),
      signal: controller.signal,
    });
  } catch (error) {
    if (error instanceof AuthFlowError) throw new CliError(error.message, EXIT_FAILURE);
    const unreachable = unreachableHost(error);
    if (unreachable)
      throw new CliError(`creating the GitHub App failed: ${unreachable.message}`, EXIT_FAILURE);
    throw new CliError(redact(errorMessage(error), config.secrets));
  } finally {
    process.off('SIGINT', onSignal);
  }
}

function parseOrg(value: string): string {
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/.test(value))
    throw new InvalidArgumentError('expected a GitHub organisation login such as acme.');
  return value;
}

function parseAppName(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,33}$/.test(value))
    throw new InvalidArgumentError('expected up to 34 letters, digits, spaces, dots, dashes or underscores.');
  return value;
}

function parseWebhookUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(
      'expected an http(s) URL such as https://factory.example.com/t/acme/webhooks/github.',
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new InvalidArgumentError(
      'expected an http(s) URL such as https://factory.example.com/t/acme/webhooks/github.',
    );
  if (url.username || url.password) throw new InvalidArgumentError('a webhook URL carries no credentials.');
  return url;
}

function parseProvider(value: string): string {
  if (!/^[a-z][a-z0-9-]{0,63}$/.test(value))
    throw new InvalidArgumentError('expected a provider name such as linear, slack or github.');
  return value;
}

function parseScopes(value: string): string[] {
  const scopes = value
    .split(',')
    .map((scope) => scope.trim())
    .filter(Boolean);
  if (scopes.length === 0 || scopes.some((scope) => !/^[A-Za-z0-9:._/-]+$/.test(scope)))
    throw new InvalidArgumentError('expected scopes separated by commas, such as read,write.');
  return [...new Set(scopes)];
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65_535)
    throw new InvalidArgumentError('expected a port number from 1 to 65535.');
  return port;
}

/** "A", "A and B", "A, B and C". */
function listOf(names: readonly (string | undefined)[]): string {
  return new Intl.ListFormat('en', { style: 'long', type: 'conjunction' }).format(
    names.filter((name): name is string => name !== undefined),
  );
}
