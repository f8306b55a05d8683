import {
  type AnyProviderEntry,
  providerRegistry,
  type Role,
  type SetupQuestion,
} from '@software-factory/providers/registry';
import { TENANT_ID_PATTERN } from '@software-factory/sdk';
import * as z from 'zod/mini';

export const FLEETS = ['local'] as const;

/** The types `factory init` offers for a role: the registry's providers that can play it. */
export function choicesFor(role: Role): string[] {
  return providerRegistry.forRole(role).map((entry) => entry.type);
}

/** Everything `factory init` needs to write a config; flags and prompts both fill it. */
export interface InitAnswers {
  tenant: string;
  intent: string;
  channel: string;
  output: string;
  /** Where agents run; left out, the config says nothing and `factory start` asks for one. */
  fleet?: (typeof FLEETS)[number] | undefined;
  readyLabel: string;
  /** The answers to the chosen providers' own questions, by flag (`slack-channel`, `jira-site`, …). */
  provider: Record<string, string>;
  agentCommand: string;
  repository: string;
  route?: string | undefined;
  agent: string;
  maxInFlight: number;
}

export const DEFAULTS = {
  tenant: 'default',
  readyLabel: 'factory',
  agentCommand: 'claude -p',
  repository: '.',
  agent: 'claude',
  maxInFlight: 3,
} as const;

/** Per field: its flag, and the rule a value must follow (the same for a flag and a typed answer). */
export const FIELD_RULES = {
  tenant: {
    flag: '--tenant',
    schema: z
      .string()
      .check(z.regex(TENANT_ID_PATTERN, 'expected letters, digits, "-" and "_" (at most 64)')),
  },
  readyLabel: {
    flag: '--ready-label',
    schema: z.string().check(z.trim(), z.minLength(1, 'expected a label name')),
  },
  agentCommand: {
    flag: '--agent-command',
    schema: z.string().check(z.trim(), z.minLength(1, 'expected a command')),
  },
  repository: {
    flag: '--repository',
    schema: z.string().check(z.trim(), z.minLength(1, 'expected a path to a git repository')),
  },
  route: {
    flag: '--route',
    schema: z.string().check(z.regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'expected owner/repo')),
  },
  agent: {
    flag: '--agent',
    schema: z.string().check(z.regex(/^[A-Za-z0-9_.-]+$/, 'expected an agent name such as claude')),
  },
  maxInFlight: {
    flag: '--max-in-flight',
    schema: z.coerce
      .number()
      .check(z.int(), z.minimum(1, 'expected at least 1'), z.maximum(1000, 'expected at most 1000')),
  },
} as const;

export type RuledField = keyof typeof FIELD_RULES;

/** Why `value` is not acceptable for `schema`, or undefined when it is. */
export function problemWith(field: RuledField | z.core.$ZodType, value: string): string | undefined {
  const schema = typeof field === 'string' ? FIELD_RULES[field].schema : field;
  const result = z.safeParse(schema, value);
  return result.success ? undefined : (result.error.issues[0]?.message ?? 'invalid');
}

/** Every provider's `factory init` question, with the provider it belongs to (one flag each). */
export function providerQuestions(): { entry: AnyProviderEntry; question: SetupQuestion }[] {
  return providerRegistry
    .entries()
    .flatMap((entry) => (entry.setup?.questions ?? []).map((question) => ({ entry, question })));
}

/** The registry entries of the chosen providers, in role order. */
export function chosenEntries(
  answers: Pick<InitAnswers, 'intent' | 'channel' | 'output'>,
): AnyProviderEntry[] {
  return [answers.intent, answers.channel, answers.output].flatMap((type) => {
    const entry = providerRegistry.get(type);
    return entry ? [entry] : [];
  });
}

/** The flags still missing for a non-interactive run, by their names. */
export function missingFlags(answers: Partial<InitAnswers>): string[] {
  const missing: string[] = [];
  if (!answers.intent) missing.push('--intent');
  if (!answers.channel) missing.push('--channel');
  if (!answers.output) missing.push('--output');
  if (missing.length > 0) return missing;
  for (const entry of chosenEntries(answers as InitAnswers))
    for (const question of entry.setup?.questions ?? [])
      if (question.required && !answers.provider?.[question.flag]) missing.push(`--${question.flag}`);
  return missing;
}

/** The providers `factory connect` can sign in to (their entry has `oauth`), in the order a person meets them. */
export function connectableProviders(answers: InitAnswers): string[] {
  return chosenEntries(answers)
    .filter((entry) => entry.oauth)
    .map((entry) => entry.type);
}
