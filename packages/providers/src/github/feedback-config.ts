import * as z from 'zod/mini';
import { githubIssuesTrustedAuthorsSchema } from '../shared/answer-trust.ts';
import { commandPrefixSchema } from '../shared/feedback-text.ts';

/** The check events that count as CI results; one family, so one failure is not counted three times. */
export const GITHUB_CHECK_EVENTS = ['workflow_run', 'check_suite', 'check_run'] as const;
export type GithubCheckEvent = (typeof GITHUB_CHECK_EVENTS)[number];

/** A login, or an App's bot login (`my-app[bot]`). */
const loginSchema = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/,
      'expected a GitHub login such as factory-bot, or an App bot such as my-app[bot]',
    ),
  );

/** `feedback` of the GitHub output target: which review feedback on its pull requests goes back to the agent. */
export const githubFeedbackConfigSchema = z
  .strictObject({
    botLogins: z._default(z.array(loginSchema), []).check(z.describe('#github-feedback.botLogins')),
    commandPrefix: z
      ._default(commandPrefixSchema, '/factory')
      .check(z.describe('#github-feedback.commandPrefix')),
    checks: z
      ._default(
        z.enum(GITHUB_CHECK_EVENTS, { error: `expected one of ${GITHUB_CHECK_EVENTS.join(', ')}` }),
        'workflow_run',
      )
      .check(z.describe('#github-feedback.checks')),
    trustedAuthors: z.optional(githubIssuesTrustedAuthorsSchema),
  })
  .check(z.describe('#github-feedback'));
export type GithubFeedbackConfig = z.input<typeof githubFeedbackConfigSchema>;
export type GithubFeedbackSettings = z.output<typeof githubFeedbackConfigSchema>;
