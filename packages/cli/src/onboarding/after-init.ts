import { redact } from '@software-factory/auth';
import { errorMessage } from '@software-factory/sdk';
import { loadConfig } from '../config/load-config.ts';
import { buildTenantPorts } from '../tenant/tenant-ports.ts';
import { connectProvider, describeStatus } from './connect-provider.ts';
import { connectionRows, formatConnectionTable } from './connection-table.ts';
import { connectCommand } from './fix-command.ts';
import { connectableProviders, type InitAnswers } from './init-answers.ts';
import { done, offerToConnect } from './init-prompts.ts';
import { browserOpener } from './open-browser.ts';
import { requirementLines, tenantNeeds } from './requirements.ts';

export interface AfterInit {
  file: string;
  configFlag: string | undefined;
  answers: InitAnswers;
  interactive: boolean;
}

const print = (text: string) => process.stdout.write(`${text}\n`);

/**
 * What to do next, from the written file: every provider's connection, what `factory start` will still
 * ask for (a fleet, webhook secrets, a channel), and connecting what is not connected (offered in a
 * terminal, printed as commands otherwise).
 */
export async function afterInit({ file, configFlag, answers, interactive }: AfterInit): Promise<void> {
  const commands = (providers: readonly string[]) =>
    providers.map((provider) => `  ${connectCommand(provider, { config: configFlag })}`);
  // The file loads whatever is set: a variable a default names and nobody set is asked for below.
  const config = await loadConfig(file, process.env);
  const [tenant] = buildTenantPorts(config, { env: process.env });
  if (!tenant) return;
  const rows = connectionRows(
    [{ tenant: tenant.id, reports: await tenant.connections() }],
    configFlag,
    config.secrets,
  );
  print(formatConnectionTable(rows, false));
  const needs = requirementLines(tenantNeeds(config, [tenant]));
  if (needs.length > 0) print(['', 'Before `factory start` takes work:', ...needs].join('\n'));
  const canConnect = new Set(connectableProviders(answers));
  const unconnected = rows
    .filter((row) => row.state !== 'connected' && canConnect.has(row.provider))
    .map((row) => row.provider);
  if (unconnected.length === 0) {
    if (interactive) done(needs.length > 0 ? 'Then run `factory start`.' : 'Ready: run `factory start`.');
    return;
  }
  if (!interactive) {
    print(['', 'To connect:', ...commands(unconnected)].join('\n'));
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
      print(`${provider}: ${redact(errorMessage(error), config.secrets)}`);
    }
  }
  done('Run `factory check` to see every connection.');
}
