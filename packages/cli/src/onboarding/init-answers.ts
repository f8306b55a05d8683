import { TENANT_ID_PATTERN } from '@software-factory/sdk';
import { z } from 'zod';

export const INTAKES = ['linear', 'jira', 'github-issues'] as const;
export const CHANNELS = ['slack', 'comments'] as const;
export const OUTPUTS = ['github', 'gitlab'] as const;
export const FLEETS = ['local'] as const;

/** Everything `factory init` needs to write a config; flags and prompts both fill it. */
export interface InitAnswers {
  tenant: string;
  intent: (typeof INTAKES)[number];
  channel: (typeof CHANNELS)[number];
  output: (typeof OUTPUTS)[number];
  fleet: (typeof FLEETS)[number];
  readyLabel: string;
  slackChannel?: string | undefined;
  jiraSite?: string | undefined;
  jiraEmail?: string | undefined;
  issuesRepo?: string | undefined;
  gitlabUrl?: string | undefined;
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
    schema: z.string().regex(TENANT_ID_PATTERN, 'expected letters, digits, "-" and "_" (at most 64)'),
  },
  readyLabel: { flag: '--ready-label', schema: z.string().trim().min(1, 'expected a label name') },
  slackChannel: {
    flag: '--slack-channel',
    schema: z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'expected a Slack channel id such as C0123456789'),
  },
  jiraSite: {
    flag: '--jira-site',
    schema: z.url({ protocol: /^https?$/, error: 'expected a URL such as https://acme.atlassian.net' }),
  },
  jiraEmail: { flag: '--jira-email', schema: z.email({ error: 'expected an email address' }) },
  issuesRepo: {
    flag: '--issues-repo',
    schema: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'expected owner/repo'),
  },
  gitlabUrl: {
    flag: '--gitlab-url',
    schema: z.url({ protocol: /^https?$/, error: 'expected a URL such as https://gitlab.com' }),
  },
  agentCommand: { flag: '--agent-command', schema: z.string().trim().min(1, 'expected a command') },
  repository: {
    flag: '--repository',
    schema: z.string().trim().min(1, 'expected a path to a git repository'),
  },
  route: {
    flag: '--route',
    schema: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'expected owner/repo'),
  },
  agent: {
    flag: '--agent',
    schema: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'expected an agent name such as claude'),
  },
  maxInFlight: {
    flag: '--max-in-flight',
    schema: z.coerce
      .number()
      .int('expected a whole number')
      .min(1, 'expected at least 1')
      .max(1000, 'expected at most 1000'),
  },
} as const;

export type RuledField = keyof typeof FIELD_RULES;

/** Why `value` is not acceptable for `field`, or undefined when it is. */
export function problemWith(field: RuledField, value: string): string | undefined {
  const result = FIELD_RULES[field].schema.safeParse(value);
  return result.success ? undefined : (result.error.issues[0]?.message ?? 'invalid');
}

/** The flags still missing for a non-interactive run, by their names. */
export function missingFlags(answers: Partial<InitAnswers>): string[] {
  const missing: string[] = [];
  if (!answers.intent) missing.push('--intent');
  if (!answers.channel) missing.push('--channel');
  if (!answers.output) missing.push('--output');
  if (!answers.fleet) missing.push('--fleet');
  if (answers.channel === 'slack' && !answers.slackChannel) missing.push('--slack-channel');
  if (answers.intent === 'jira' && !answers.jiraSite) missing.push('--jira-site');
  if (answers.intent === 'github-issues' && !answers.issuesRepo) missing.push('--issues-repo');
  return missing;
}

/** The providers `factory connect` can sign in to, in the order a person meets them. */
export function connectableProviders(answers: InitAnswers): string[] {
  const connectable = new Set(['linear', 'slack', 'github', 'github-issues']);
  return [answers.intent, answers.channel, answers.output].filter((name) => connectable.has(name));
}
