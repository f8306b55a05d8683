import * as prompts from '@clack/prompts';
import { providerRegistry } from '@software-factory/providers/registry';
import type * as z from 'zod/mini';
import { CliError, EXIT_FAILURE } from '../cli-error.ts';
import {
  choicesFor,
  chosenEntries,
  DEFAULTS,
  FLEETS,
  type InitAnswers,
  problemWith,
  type RuledField,
} from './init-answers.ts';

/** What a choice means, for the menu: a provider's summary from the registry. */
function hintOf(value: string): string {
  if (value === 'local') return 'agents run on this machine';
  return providerRegistry.get(value)?.summary ?? value;
}

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
        hint: hintOf(value),
      })) as unknown as Parameters<typeof prompts.select<T>>[0]['options'],
    }),
  );
}

async function ask(
  field: RuledField | z.core.$ZodType<string>,
  message: string,
  given: string | undefined,
  initial?: string,
  optional = false,
): Promise<string> {
  if (given !== undefined) return given;
  return answer(
    await prompts.text({
      message,
      ...(initial !== undefined ? { initialValue: initial } : {}),
      validate: (value) => (optional && !value ? undefined : problemWith(field, value ?? '')),
    }),
  ).trim();
}

/** Asks, with @clack/prompts, for every answer the flags did not give. */
export async function promptForAnswers(given: Partial<InitAnswers>): Promise<InitAnswers> {
  prompts.intro('factory init');
  const intent = await choose('Where do work items come from?', choicesFor('intentProvider'), given.intent);
  const channel = await choose(
    'Where should unclear items be asked about?',
    choicesFor('clarificationChannel'),
    given.channel,
  );
  const output = await choose(
    'Where do agents deliver their work?',
    choicesFor('outputTarget'),
    given.output,
  );
  const fleet = await choose('Where do agents run?', FLEETS, given.fleet);
  const tenant = await ask('tenant', 'Tenant id (it appears in webhook URLs)', given.tenant, DEFAULTS.tenant);
  const readyLabel = await ask(
    'readyLabel',
    'The label that makes an item ready for an agent',
    given.readyLabel,
    DEFAULTS.readyLabel,
  );
  // The chosen providers' own questions, as their registry entries ask them.
  const provider: Record<string, string> = { ...given.provider };
  for (const entry of chosenEntries({ intent, channel, output }))
    for (const question of entry.setup?.questions ?? []) {
      if (!question.prompt || provider[question.flag] !== undefined) continue;
      const value = await ask(
        question.schema,
        question.required ? question.message : `${question.message}; leave it empty to add it later`,
        undefined,
        undefined,
        !question.required,
      );
      if (value) provider[question.flag] = value;
    }
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
    provider,
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
