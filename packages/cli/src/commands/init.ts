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
  CHANNELS,
  DEFAULTS,
  FIELD_RULES,
  FLEETS,
  INTAKES,
  type InitAnswers,
  missingFlags,
  OUTPUTS,
  problemWith,
  type RuledField,
} from '../onboarding/init-answers.ts';
import { promptForAnswers } from '../onboarding/init-prompts.ts';

interface InitOptions extends Partial<InitAnswers> {
  config?: string;
  force?: boolean;
  yes?: boolean;
}

export function initCommand(): Command {
  const ruled = (field: RuledField, value: string, description: string) =>
    new Option(`${FIELD_RULES[field].flag} <${value}>`, description).argParser((given: string) => {
      const problem = problemWith(field, given);
      if (problem) throw new InvalidArgumentError(`${problem}.`);
      return field === 'maxInFlight' ? Number(given) : given.trim();
    });
  return new Command('init')
    .description(`write a ${DEFAULT_CONFIG}: asks in a terminal, or takes everything from flags (--yes)`)
    .option('-c, --config <file>', `the file to write (default: ./${DEFAULT_CONFIG})`)
    .option('--force', 'overwrite the file if it exists')
    .option('-y, --yes', 'ask nothing: take the flags and the defaults (also when there is no terminal)')
    .addOption(new Option('--intent <type>', 'where work items come from').choices(INTAKES))
    .addOption(new Option('--channel <type>', 'where unclear items are asked about').choices(CHANNELS))
    .addOption(new Option('--output <type>', 'where agents deliver').choices(OUTPUTS))
    .addOption(new Option('--fleet <type>', 'where agents run').choices(FLEETS))
    .addOption(ruled('tenant', 'id', `the tenant id (default: ${DEFAULTS.tenant})`))
    .addOption(
      ruled('readyLabel', 'label', `the label that makes an item ready (default: ${DEFAULTS.readyLabel})`),
    )
    .addOption(ruled('slackChannel', 'id', 'the Slack channel id, with --channel slack'))
    .addOption(ruled('jiraSite', 'url', 'the Jira site, with --intent jira'))
    .addOption(ruled('jiraEmail', 'email', "the Jira account's email, for an API token"))
    .addOption(
      ruled(
        'issuesRepo',
        'owner/repo',
        'the repository whose issues are work items, with --intent github-issues',
      ),
    )
    .addOption(
      ruled('gitlabUrl', 'url', 'the GitLab instance, with --output gitlab (default: https://gitlab.com)'),
    )
    .addOption(ruled('agentCommand', 'command', `the agent command (default: ${DEFAULTS.agentCommand})`))
    .addOption(
      ruled('repository', 'path', `the git repository agents work in (default: ${DEFAULTS.repository})`),
    )
    .addOption(ruled('route', 'owner/repo', 'a route: items with the ready label go to this repository'))
    .addOption(ruled('agent', 'name', `the agent of that route (default: ${DEFAULTS.agent})`))
    .addOption(ruled('maxInFlight', 'n', `the most agents at once (default: ${DEFAULTS.maxInFlight})`))
    .action(async (options: InitOptions) => {
      await runInit(options);
    });
}

async function runInit(options: InitOptions): Promise<void> {
  const file = options.config ?? DEFAULT_CONFIG;
  if (existsSync(file) && !options.force)
    throw new CliError(`${file} already exists; pass --force to overwrite it`, EXIT_USAGE);
  const { config: _c, force: _f, yes, ...given } = options;
  const interactive = !yes && process.stdin.isTTY === true && process.stdout.isTTY === true;
  let answers: InitAnswers;
  if (interactive) {
    answers = await promptForAnswers(given);
  } else {
    const missing = missingFlags(given);
    if (missing.length > 0)
      throw new CliError(
        `missing ${missing.join(', ')} (${yes ? '--yes asks nothing' : 'no terminal to ask on'}: give them as flags)`,
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
