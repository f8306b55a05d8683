import { isTenantId } from '@software-factory/sdk';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { parseTokenEnv } from './admin-token.ts';
import { parseRemoteUrl, remoteText } from './remote-url.ts';

/** What every command that talks to a deployed factory takes. */
export interface RemoteOptions {
  remote?: URL;
  tokenEnv?: string;
}

export const REMOTE_URL_HELP = "the deployed factory's URL (https://…; plain http only to this machine)";

/** `--remote <url>` and `--token-env <NAME>`, parsed and checked. */
export function addRemoteOptions(command: Command, tokenHelp: string, remoteRequired = false): Command {
  const remote = new Option('--remote <url>', REMOTE_URL_HELP).argParser(parseRemoteUrl);
  if (remoteRequired) remote.makeOptionMandatory();
  return command
    .addOption(remote)
    .addOption(new Option('--token-env <NAME>', tokenHelp).argParser(parseTokenEnv));
}

/** A tenant id as the deployment accepts it (letters, digits, `-` and `_`, at most 64). */
export function parseTenantId(value: string): string {
  if (!isTenantId(value))
    throw new InvalidArgumentError(
      'expected a tenant id: letters, digits, - and _, starting with a letter or digit, at most 64.',
    );
  return value;
}

/** `factory connect <provider> --remote <url> --tenant <id>`: the fix a remote check prints. */
export function remoteConnectCommand(provider: string, base: URL, tenant: string): string {
  return `factory connect ${provider} --remote ${remoteText(base)} --tenant ${tenant}`;
}
