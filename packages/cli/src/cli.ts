import { errorMessage } from '@software-factory/sdk';
import { Command, CommanderError } from 'commander';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './cli-error.ts';
import { checkCommand } from './commands/check.ts';
import { connectCommand } from './commands/connect.ts';
import { demoCommand } from './commands/demo.ts';
import { deployCommand } from './commands/deploy.ts';
import { dispatchCommand } from './commands/dispatch.ts';
import { initCommand } from './commands/init.ts';
import { relayCommand } from './commands/relay.ts';
import { sessionsCommand } from './commands/sessions.ts';
import { startCommand } from './commands/start.ts';
import { statusCommand } from './commands/status.ts';
import { subscribeCommand } from './commands/subscribe.ts';
import { tenantsCommand } from './commands/tenants.ts';
import { triageCommand } from './commands/triage.ts';
import { ConfigError } from './config/config-error.ts';
import { RemoteError } from './remote/remote-error.ts';
import { VERSION } from './version.ts';

/** The `factory` program. Each command lives in its own file under `commands/`. */
export function createProgram(): Command {
  const program = new Command('factory')
    .description('Software factories: work items in, pull requests written by coding agents out.')
    .version(VERSION, '-v, --version', 'print the version');
  program.addCommand(startCommand());
  program.addCommand(demoCommand());
  program.addCommand(statusCommand());
  program.addCommand(triageCommand());
  program.addCommand(dispatchCommand());
  program.addCommand(subscribeCommand());
  program.addCommand(relayCommand());
  program.addCommand(initCommand());
  program.addCommand(checkCommand());
  program.addCommand(connectCommand());
  program.addCommand(sessionsCommand());
  program.addCommand(deployCommand());
  program.addCommand(tenantsCommand());
  const all = (command: Command): Command[] => [command, ...command.commands.flatMap(all)];
  for (const command of all(program)) {
    command
      .showSuggestionAfterError(true)
      .exitOverride()
      .configureOutput({
        // Commander's errors come as "error: …" plus a suggestion line; print them as one line.
        outputError: (message, write) => write(`factory: ${oneLine(message.replace(/^error: /, ''))}\n`),
      });
  }
  return program;
}

/** Runs the CLI and returns the exit code; never throws. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = createProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version exit through here too, with code 0.
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`factory: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof CliError) {
      process.stderr.write(`factory: ${oneLine(error.message)}\n`);
      // The problems a deployment listed (a refused tenant config): one line each, `path: message`.
      if (error instanceof RemoteError)
        for (const detail of error.details) process.stderr.write(`  ${oneLine(detail)}\n`);
      return error.exitCode;
    }
    process.stderr.write(`factory: ${oneLine(errorMessage(error))}\n`);
    return EXIT_FAILURE;
  }
}

function oneLine(text: string): string {
  return text
    .trim()
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ');
}
