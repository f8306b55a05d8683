import { redact } from '@software-factory/auth';
import { ConfigError } from '../config/config-error.ts';
import { loadConfig } from '../config/load-config.ts';
import { buildTenantPorts } from '../tenant/tenant-ports.ts';
import { connectProvider, describeStatus } from './connect-provider.ts';
import { connectionRows, formatConnectionTable } from './connection-table.ts';
import { connectCommand } from './fix-command.ts';
import { connectableProviders, type InitAnswers } from './init-answers.ts';
import { done, offerToConnect } from './init-prompts.ts';
import { browserOpener } from './open-browser.ts';

export interface AfterInit {
  file: string;
  configFlag: string | undefined;
  answers: InitAnswers;
  interactive: boolean;
}

const print = (text: string) => process.stdout.write(`${text}\n`);

/**
 * What to do next, from the written file: the variables still to set, every provider's connection, and
 * connecting what is not connected (offered in a terminal, printed as commands otherwise).
 */
export async function afterInit({ file, configFlag, answers, interactive }: AfterInit): Promise<void> {
  const commands = (providers: readonly string[]) =>
    providers.map((provider) => `  ${connectCommand(provider, { config: configFlag })}`);
  let config: Awaited<ReturnType<typeof loadConfig>>;
  try {
    config = await loadConfig(file, process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const unset = error.problems.flatMap(
      (problem) => /environment variable (\w+) is (?:not set|empty)/.exec(problem)?.[1] ?? [],
    );
    if (unset.length === error.problems.length) {
      print(`Before the providers can be checked, set: ${[...new Set(unset)].join(', ')}.`);
      const connectable = connectableProviders(answers);
      if (connectable.length > 0) print(['Then connect:', ...commands(connectable)].join('\n'));
      if (interactive) done('Set those variables, then run `factory check`.');
      return;
    }
    throw error;
  }

  const [tenant] = buildTenantPorts(config, { env: process.env });
  if (!tenant) return;
  const rows = connectionRows(
    [{ tenant: tenant.id, reports: await tenant.connections() }],
    configFlag,
    config.secrets,
  );
  print(formatConnectionTable(rows, false));
  const canConnect = new Set(connectableProviders(answers));
  const unconnected = rows
    .filter((row) => row.state !== 'connected' && canConnect.has(row.provider))
    .map((row) => row.provider);
  if (unconnected.length === 0) {
    if (interactive) done('Ready: run `factory start`.');
    return;
  }
  if (!interactive) {
    print(['To connect:', ...commands(unconnected)].join('\n'));
    return;
  }
  const tenantConfig = config.tenants[0];
  for (const provider of unconnected) {
    if (!tenantConfig || !(await offerToConnect(provider))) continue;
    try {
      const status = await connectProvider({
        tenant,
        tenantConfig,
        provider,
        env: process.env,
        secrets: config.secrets,
        openUrl: browserOpener(process.env),
        print,
      });
      print(redact(describeStatus(provider, status), config.secrets));
    } catch (error) {
      print(`${provider}: ${redact(error instanceof Error ? error.message : String(error), config.secrets)}`);
    }
  }
  done('Run `factory check` to see every connection.');
}
