import { Command } from 'commander';
import { stringify } from 'yaml';
import { CliError, EXIT_USAGE } from '../cli-error.ts';
import { AdminClient } from '../remote/admin-client.ts';
import { type AdminToken, operatorToken, tenantToken } from '../remote/admin-token.ts';
import { addRemoteOptions, parseTenantId } from '../remote/remote-options.ts';
import { remoteText } from '../remote/remote-url.ts';
import { readTenantFile } from '../remote/tenant-file.ts';

interface TenantsOptions {
  remote: URL;
  tokenEnv?: string;
  json?: boolean;
}

const OPERATOR_TOKEN_HELP =
  "the environment variable that holds the deployment's operator token (default: FACTORY_OPERATOR_TOKEN)";
const TENANT_TOKEN_HELP =
  'the environment variable that holds the token (default: FACTORY_ADMIN_TOKEN when set, else FACTORY_OPERATOR_TOKEN)';

/** `factory tenants add|list|show|remove --remote <url>`: the tenants of a deployed factory, over its admin API. */
export function tenantsCommand(): Command {
  const tenants = new Command('tenants').description(
    'the tenants of a deployed factory, through its admin API (tokens from the environment, never arguments)',
  );
  tenants.addCommand(
    addRemoteOptions(
      new Command('add')
        .description(
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the help shows a reference as it is written.
          "add a tenant from a YAML or JSON file (one entry of a config's tenants: list; secrets as ${REFERENCES}); prints its admin token once",
        )
        .argument('<file>', 'the tenant file, or - for standard input')
        .option('-t, --tenant <id>', 'the tenant id, when the file has none', parseTenantId)
        .option('--json', 'print { id, version, adminToken } as JSON'),
      OPERATOR_TOKEN_HELP,
      true,
    ).action(async (file: string, options: TenantsOptions & { tenant?: string }) => {
      const tenant = await readTenantFile(file, options.tenant);
      const client = adminClient(options.remote, operatorToken(process.env, options.tokenEnv));
      const added = await client.addTenant(tenant);
      if (options.json) return print(JSON.stringify(added, null, 2));
      const remote = remoteText(options.remote);
      print(
        [
          `Added tenant ${added.id} to ${options.remote.host} (version ${added.version}).`,
          '',
          `The tenant's admin token, shown only now (the deployment keeps only its hash); keep it where you keep passwords:`,
          added.adminToken,
          '',
          'Next: see what the tenant still needs, and sign in to each provider that needs it',
          '(with that token in FACTORY_ADMIN_TOKEN, or with the operator token):',
          `  factory check --remote ${remote} --tenant ${added.id}`,
          `  factory connect <provider> --remote ${remote} --tenant ${added.id}`,
        ].join('\n'),
      );
    }),
  );
  tenants.addCommand(
    addRemoteOptions(
      new Command('list')
        .description('list every tenant: where it is defined (the config, or the store) and its version')
        .option('--json', 'print the list as JSON'),
      OPERATOR_TOKEN_HELP,
      true,
    ).action(async (options: TenantsOptions) => {
      const client = adminClient(options.remote, operatorToken(process.env, options.tokenEnv));
      const list = await client.listTenants();
      if (options.json) return print(JSON.stringify({ tenants: list }, null, 2));
      if (list.length === 0)
        return print(
          `No tenants on ${options.remote.host} yet; add one with factory tenants add --remote ${remoteText(options.remote)} <file>.`,
        );
      print(
        table(
          ['TENANT', 'ORIGIN', 'VERSION'],
          list.map((tenant) => [tenant.id, tenant.origin, tenant.version?.toString() ?? '']),
        ),
      );
    }),
  );
  tenants.addCommand(
    addRemoteOptions(
      new Command('show')
        .description("print a tenant's stored config as YAML (as `tenants add` takes it)")
        .argument('<id>', 'the tenant', parseTenantId)
        .option('--json', 'print { id, origin, version, config } as JSON'),
      TENANT_TOKEN_HELP,
      true,
    ).action(async (id: string, options: TenantsOptions) => {
      const client = adminClient(options.remote, tenantToken(process.env, options.tokenEnv));
      const tenant = await client.getTenant(id);
      if (options.json) return print(JSON.stringify(tenant, null, 2));
      if (!tenant.config)
        return print(
          `# Tenant ${tenant.id} is defined in the deployment's config (origin: ${tenant.origin}); change it there and deploy again.`,
        );
      const { id: _stored, ...rest } = tenant.config;
      print(
        `# Tenant ${tenant.id}, version ${tenant.version ?? '?'} (origin: ${tenant.origin}), on ${options.remote.host}\n${stringify({ id: tenant.id, ...rest }).trimEnd()}`,
      );
    }),
  );
  tenants.addCommand(
    addRemoteOptions(
      new Command('remove')
        .description(
          'remove a tenant added through the admin API (its config and admin token); nothing is asked',
        )
        .argument('<id>', 'the tenant', parseTenantId)
        .option('-y, --yes', 'remove it (required: nothing is asked)'),
      OPERATOR_TOKEN_HELP,
      true,
    ).action(async (id: string, options: TenantsOptions & { yes?: boolean }) => {
      if (!options.yes)
        throw new CliError(
          `removing tenant ${id} from ${options.remote.host} cannot be undone (its config and admin token go); nothing is asked, so run it again with --yes`,
          EXIT_USAGE,
        );
      const client = adminClient(options.remote, operatorToken(process.env, options.tokenEnv));
      await client.removeTenant(id);
      print(`Removed tenant ${id} from ${options.remote.host}.`);
    }),
  );
  return tenants;
}

function adminClient(base: URL, token: AdminToken): AdminClient {
  return new AdminClient({ base, token });
}

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
