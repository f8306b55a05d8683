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
    botLogins: z
      ._default(z.array(loginSchema), [])
      .check(
        z.describe(
          'The logins the factory and its agents act as: a comment that @mentions one is addressed to the agent; their own comments, reviews and pushes are never feedback.',
        ),
      ),
    commandPrefix: z
      ._default(commandPrefixSchema, '/factory')
      .check(z.describe('A pull request comment that starts with it is addressed to the agent.')),
    checks: z
      ._default(
        z.enum(GITHUB_CHECK_EVENTS, { error: `expected one of ${GITHUB_CHECK_EVENTS.join(', ')}` }),
        'workflow_run',
      )
      .check(
        z.describe(
          'Which check events report CI failures: workflow_run (GitHub Actions, one per workflow), check_suite (one per app and commit) or check_run (one per job, any CI). The others are ignored.',
        ),
      ),
    trustedAuthors: z.optional(githubIssuesTrustedAuthorsSchema),
  })
  .check(
    z.describe(
      'Review feedback on the pull requests: reviews, comments addressed to the agent, failed checks and pushes by people. Whose words count: trustedAuthors (author_association, default OWNER, MEMBER, COLLABORATOR).',
    ),
  );
export type GithubFeedbackConfig = z.input<typeof githubFeedbackConfigSchema>;
export type GithubFeedbackSettings = z.output<typeof githubFeedbackConfigSchema>;
