import * as prompts from '@clack/prompts';
import { CliError, EXIT_FAILURE } from '../cli-error.ts';
import {
  CHANNELS,
  DEFAULTS,
  FLEETS,
  INTAKES,
  type InitAnswers,
  OUTPUTS,
  problemWith,
  type RuledField,
} from './init-answers.ts';

const LABELS: Record<string, string> = {
  linear: 'Linear issues',
  jira: 'Jira issues',
  'github-issues': 'GitHub Issues',
  slack: 'a Slack channel',
  comments: 'comments on the work item itself',
  github: 'GitHub pull requests',
  gitlab: 'GitLab merge requests',
  local: 'agents run on this machine',
};

function cancelled(): never {
  prompts.cancel('Cancelled; nothing was written.');
  throw new CliError('init cancelled; nothing was written', EXIT_FAILURE);
}

function answer<T>(value: T | symbol): Exclude<T, symbol> {
  if (prompts.isCancel(value) || typeof value === 'symbol') cancelled();
  return value as Exclude<T, symbol>;
}

async function choose<T extends string>(
  message: string,
  options: readonly T[],
  given: T | undefined,
): Promise<T> {
  if (given) return given;
  return answer(
    await prompts.select<T>({
      message,
      options: options.map((value) => ({
        value,
        label: value,
        hint: LABELS[value] ?? value,
      })) as unknown as Parameters<typeof prompts.select<T>>[0]['options'],
    }),
  );
}

async function ask(
  field: RuledField,
  message: string,
  given: string | undefined,
  initial?: string,
): Promise<string> {
  if (given !== undefined) return given;
  return answer(
    await prompts.text({
      message,
      ...(initial !== undefined ? { initialValue: initial } : {}),
      validate: (value) => problemWith(field, value ?? ''),
    }),
  ).trim();
}

/** Asks, with @clack/prompts, for every answer the flags did not give. */
export async function promptForAnswers(given: Partial<InitAnswers>): Promise<InitAnswers> {
  prompts.intro('factory init');
  const intent = await choose('Where do work items come from?', INTAKES, given.intent);
  const channel = await choose('Where should unclear items be asked about?', CHANNELS, given.channel);
  const output = await choose('Where do agents deliver their work?', OUTPUTS, given.output);
  const fleet = await choose('Where do agents run?', FLEETS, given.fleet);
  const tenant = await ask('tenant', 'Tenant id (it appears in webhook URLs)', given.tenant, DEFAULTS.tenant);
  const readyLabel = await ask(
    'readyLabel',
    'The label that makes an item ready for an agent',
    given.readyLabel,
    DEFAULTS.readyLabel,
  );
  const slackChannel =
    channel === 'slack'
      ? await ask('slackChannel', 'Slack channel id (e.g. C0123456789)', given.slackChannel)
      : undefined;
  const jiraSite =
    intent === 'jira'
      ? await ask('jiraSite', 'Jira site URL (e.g. https://acme.atlassian.net)', given.jiraSite)
      : undefined;
  const issuesRepo =
    intent === 'github-issues'
      ? await ask('issuesRepo', 'Repository whose issues are work items (owner/repo)', given.issuesRepo)
      : undefined;
  const agentCommand = await ask(
    'agentCommand',
    'The agent command',
    given.agentCommand,
    DEFAULTS.agentCommand,
  );
  const repository = await ask(
    'repository',
    'The git repository agents work in (a path)',
    given.repository,
    DEFAULTS.repository,
  );
  const route =
    given.route ??
    (answer(
      await prompts.confirm({
        message: 'Add a route (a repository agents are sent to)?',
        initialValue: false,
      }),
    )
      ? await ask('route', 'Route repository (owner/repo)', undefined)
      : undefined);
  const agent = route
    ? await ask('agent', 'Agent name for that route', given.agent, DEFAULTS.agent)
    : (given.agent ?? DEFAULTS.agent);
  const maxInFlight = Number(
    await ask(
      'maxInFlight',
      'Most agents at once',
      given.maxInFlight?.toString(),
      String(DEFAULTS.maxInFlight),
    ),
  );
  return {
    tenant,
    intent,
    channel,
    output,
    fleet,
    readyLabel,
    slackChannel,
    jiraSite,
    jiraEmail: given.jiraEmail,
    issuesRepo,
    gitlabUrl: given.gitlabUrl,
    agentCommand,
    repository,
    route,
    agent,
    maxInFlight,
  };
}

/** Asks whether to connect one provider now. */
export async function offerToConnect(provider: string): Promise<boolean> {
  return answer(await prompts.confirm({ message: `Connect ${provider} now?`, initialValue: true }));
}

export function done(message: string): void {
  prompts.outro(message);
}
