import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { CliError, EXIT_USAGE } from '../cli-error.ts';
import { afterInit } from '../onboarding/after-init.ts';
import { configYaml } from '../onboarding/config-template.ts';
import { DEFAULT_CONFIG } from '../onboarding/fix-command.ts';
import { checkLocalFleet, fleetWarnings } from '../onboarding/fleet-check.ts';
import {
  choicesFor,
  DEFAULTS,
  FIELD_RULES,
  FLEETS,
  type InitAnswers,
  missingFlags,
  problemWith,
  providerQuestions,
  type RuledField,
} from '../onboarding/init-answers.ts';
import { promptForAnswers } from '../onboarding/init-prompts.ts';

interface InitOptions extends Partial<Omit<InitAnswers, 'provider'>> {
  config?: string;
  force?: boolean;
  yes?: boolean;
  /** The providers' own flags, by their camel-cased names (`slackChannel` for --slack-channel). */
  [providerFlag: string]: unknown;
}

/** Commander's key for a flag: `slack-channel` → `slackChannel`. */
function optionKey(flag: string): string {
  return flag.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

export function initCommand(): Command {
  const ruled = (field: RuledField, value: string, description: string) =>
    new Option(`${FIELD_RULES[field].flag} <${value}>`, description).argParser((given: string) => {
      const problem = problemWith(field, given);
      if (problem) throw new InvalidArgumentError(`${problem}.`);
      return field === 'maxInFlight' ? Number(given) : given.trim();
    });
  const command = new Command('init')
    .description(`write a ${DEFAULT_CONFIG}: asks in a terminal, or takes everything from flags (--yes)`)
    .option('-c, --config <file>', `the file to write (default: ./${DEFAULT_CONFIG})`)
    .option('--force', 'overwrite the file if it exists')
    .option('-y, --yes', 'ask nothing: take the flags and the defaults (also when there is no terminal)')
    .addOption(
      new Option('--intent <type>', 'where work items come from').choices(choicesFor('intentProvider')),
    )
    .addOption(
      new Option('--channel <type>', 'where unclear items are asked about').choices(
        choicesFor('clarificationChannel'),
      ),
    )
    .addOption(new Option('--output <type>', 'where agents deliver').choices(choicesFor('outputTarget')))
    .addOption(
      new Option('--fleet <type>', 'where agents run (else added before `factory start`)').choices(FLEETS),
    )
    .addOption(ruled('tenant', 'id', `the tenant id (default: ${DEFAULTS.tenant})`))
    .addOption(
      ruled('readyLabel', 'label', `the label that makes an item ready (default: ${DEFAULTS.readyLabel})`),
    )
    .addOption(ruled('agentCommand', 'command', `the agent command (default: ${DEFAULTS.agentCommand})`))
    .addOption(
      ruled('repository', 'path', `the git repository agents work in (default: ${DEFAULTS.repository})`),
    )
    .addOption(ruled('route', 'owner/repo', 'a route: items with the ready label go to this repository'))
    .addOption(ruled('agent', 'name', `the agent of that route (default: ${DEFAULTS.agent})`))
    .addOption(ruled('maxInFlight', 'n', `the most agents at once (default: ${DEFAULTS.maxInFlight})`));
  // Each provider's own questions, as its registry entry asks them: one flag each.
  for (const { entry, question } of providerQuestions())
    command.addOption(
      new Option(`--${question.flag} <value>`, `${question.message}, with ${entry.type}`).argParser(
        (given: string) => {
          const problem = problemWith(question.schema, given);
          if (problem) throw new InvalidArgumentError(`${problem}.`);
          return given.trim();
        },
      ),
    );
  return command.action(async (options: InitOptions) => {
    await runInit(options);
  });
}

async function runInit(options: InitOptions): Promise<void> {
  const file = options.config ?? DEFAULT_CONFIG;
  if (existsSync(file) && !options.force)
    throw new CliError(`${file} already exists; pass --force to overwrite it`, EXIT_USAGE);
  const provider: Record<string, string> = {};
  for (const { question } of providerQuestions()) {
    const value = options[optionKey(question.flag)];
    if (typeof value === 'string') provider[question.flag] = value;
  }
  const given: Partial<InitAnswers> = {
    ...(options.tenant !== undefined ? { tenant: options.tenant } : {}),
    ...(options.intent !== undefined ? { intent: options.intent } : {}),
    ...(options.channel !== undefined ? { channel: options.channel } : {}),
    ...(options.output !== undefined ? { output: options.output } : {}),
    ...(options.fleet !== undefined ? { fleet: options.fleet } : {}),
    ...(options.readyLabel !== undefined ? { readyLabel: options.readyLabel } : {}),
    ...(options.agentCommand !== undefined ? { agentCommand: options.agentCommand } : {}),
    ...(options.repository !== undefined ? { repository: options.repository } : {}),
    ...(options.route !== undefined ? { route: options.route } : {}),
    ...(options.agent !== undefined ? { agent: options.agent } : {}),
    ...(options.maxInFlight !== undefined ? { maxInFlight: options.maxInFlight } : {}),
    provider,
  };
  const interactive = !options.yes && process.stdin.isTTY === true && process.stdout.isTTY === true;
  let answers: InitAnswers;
  if (interactive) {
    answers = await promptForAnswers(given);
  } else {
    const missing = missingFlags(given);
    if (missing.length > 0)
      throw new CliError(
        `missing ${missing.join(', ')} (${options.yes ? '--yes asks nothing' : 'no terminal to ask on'}: give them as flags)`,
        EXIT_USAGE,
      );
    answers = { ...DEFAULTS, ...given } as InitAnswers;
  }
  try {
    await writeFile(file, configYaml(answers), { flag: options.force ? 'w' : 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST')
      throw new CliError(`${file} already exists; pass --force to overwrite it`, EXIT_USAGE);
    throw new CliError(`cannot write ${file} (${code ?? String(error)})`, EXIT_USAGE);
  }
  process.stdout.write(`Wrote ${file}.\n`);
  // What `factory start` would refuse, said now; the file stays written (the command may be installed later).
  const findings =
    answers.fleet === 'local'
      ? await checkLocalFleet(
          { command: answers.agentCommand, repository: answers.repository },
          { baseDir: path.dirname(path.resolve(file)), env: process.env },
        )
      : [];
  for (const warning of fleetWarnings(findings, file)) process.stdout.write(`${warning}\n`);
  await afterInit({ file, configFlag: options.config, answers, interactive });
}
