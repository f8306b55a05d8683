import type {
  AuthorPolicy,
  OutputFeedbackEvent,
  OutputSnapshot,
  WebhookInterpretation,
} from '@software-factory/sdk';
import { errorMessage } from '@software-factory/sdk';
import * as z from 'zod/mini';
import {
  type GithubAuthorAssociation,
  githubAuthorPolicy,
  githubReplyAuthor,
} from '../shared/answer-trust.ts';
import { feedbackOutput } from '../shared/feedback-output.ts';
import { addressedToAgent, boundText } from '../shared/feedback-text.ts';
import { parseConfig } from '../shared/provider-config.ts';
import { parsePayload } from '../shared/webhook-payload.ts';
import { checkFeedback } from './feedback-checks.ts';
import {
  type GithubCheckEvent,
  type GithubFeedbackConfig,
  type GithubFeedbackSettings,
  githubFeedbackConfigSchema,
} from './feedback-config.ts';
import type { GithubFeedbackReads } from './feedback-reader.ts';
import { GITHUB_COMMENT_MARKER } from './issue-comments.ts';
import { headInRepository, parseOutputId, pullRequestSchema, toOutputSnapshot } from './pull-request.ts';

export interface GithubFeedbackOptions extends GithubFeedbackConfig {
  /** Reads beyond the payload (a review's remarks, a commented pull request), with the target's token. */
  reads: GithubFeedbackReads;
}

type Verdict = Omit<WebhookInterpretation, 'deliveryId'>;
/** One piece of feedback as its event, or why it is none. */
type Taken = { event: OutputFeedbackEvent } | { ignored: string };

const nonEmpty = z.string().check(z.minLength(1));
const userSchema = z.object({ login: z.string(), id: z.optional(z.number()), type: z.optional(z.string()) });
const repositorySchema = z.object({ full_name: nonEmpty });

/** A review as its webhook and the REST API both carry it (the API's state is upper case), with when it was submitted. */
const reviewFieldsSchema = z.object({
  id: z.number(),
  state: nonEmpty,
  body: z.nullish(z.string()),
  html_url: z.optional(z.string()),
  user: z.nullish(userSchema),
  author_association: z.optional(z.string()),
  submitted_at: z.nullish(z.string()),
});
type Review = z.output<typeof reviewFieldsSchema>;

const reviewSchema = z.object({
  action: nonEmpty,
  review: reviewFieldsSchema,
  pull_request: pullRequestSchema,
  repository: repositorySchema,
});

/** A comment as its webhook and the REST API both carry it, with when it was written. */
const commentFieldsSchema = z.object({
  id: z.number(),
  body: z.nullish(z.string()),
  html_url: z.optional(z.string()),
  user: z.nullish(userSchema),
  author_association: z.optional(z.string()),
  created_at: z.nullish(z.string()),
});
type Comment = z.output<typeof commentFieldsSchema>;

const commentSchema = z.object({
  action: nonEmpty,
  issue: z.object({ number: z.int().check(z.positive()), pull_request: z.optional(z.unknown()) }),
  comment: commentFieldsSchema,
  repository: repositorySchema,
});

/** A check run, check suite or workflow run as the REST API lists it: when it finished. */
const listedCheckSchema = z.object({
  completed_at: z.nullish(z.string()),
  updated_at: z.nullish(z.string()),
});

/** What of a `pull_request` delivery tells who pushed: the sender, the pull request's author, the new head. */
const pushSchema = z.object({
  after: z.optional(z.string()),
  sender: z.nullish(userSchema),
  pull_request: z.object({ user: z.nullish(userSchema), head: z.object({ sha: z.optional(z.string()) }) }),
});

/**
 * Review feedback from GitHub webhooks, as `output.feedback`: a submitted review that requests changes
 * or remarks, a pull request comment addressed to the agent, a failed check, a person's push.
 *
 * A review's line remarks are read through the REST API when the review is submitted
 * (`GET …/reviews/{id}/comments`), not folded from their `pull_request_review_comment` deliveries:
 * those arrive separately and in any order, and folding them would need state the source does not keep;
 * when the review arrives its remarks exist already, so one read gives the whole review, once.
 */
export class GithubFeedback {
  readonly settings: GithubFeedbackSettings;
  readonly #reads: GithubFeedbackReads;
  readonly #trust: AuthorPolicy<GithubAuthorAssociation>;
  readonly #bots: ReadonlySet<string>;

  constructor(options: GithubFeedbackOptions) {
    const { reads, ...config } = options;
    this.settings = parseConfig(githubFeedbackConfigSchema, config, 'GitHub feedback');
    this.#trust = githubAuthorPolicy(this.settings.trustedAuthors, 'GitHub feedback');
    this.#bots = new Set(this.settings.botLogins.map((login) => login.toLowerCase()));
    this.#reads = reads;
  }

  /** The GitHub events this reads; the source answers any other as before. */
  handles(event: string): boolean {
    return FEEDBACK_EVENTS.has(event);
  }

  async interpret(event: string, body: unknown): Promise<Verdict> {
    switch (event) {
      case 'pull_request_review':
        return this.#review(body);
      case 'pull_request_review_comment':
        return {
          events: [],
          ignored:
            'review remarks are read with their review when it is submitted (pull_request_review), not one by one',
        };
      case 'issue_comment':
        return this.#comment(body);
      default: {
        const check = event as GithubCheckEvent;
        if (check !== this.settings.checks)
          return {
            events: [],
            ignored: `${event} is not the check event the factory reads (feedback.checks: ${this.settings.checks})`,
          };
        return checkFeedback(check, body, this.#reads);
      }
    }
  }

  /**
   * A `pull_request` `synchronize`: `pushed` when a person, not the agent, pushed. The agent is a bot
   * (sender type Bot: an App or Actions), one of `botLogins`, or the pull request's author (agents open
   * their pull request with the identity they push with).
   */
  pushed(body: unknown, output: OutputSnapshot): { event?: OutputFeedbackEvent; ignored?: string } {
    const parsed = pushSchema.safeParse(body);
    const sender = parsed.success ? parsed.data.sender : undefined;
    if (!parsed.success || !sender) return { ignored: 'the push names no sender' };
    const pusher = sender.login;
    if (sender.type === 'Bot' || this.#isBot(pusher))
      return { ignored: `${pusher} is the factory or its agent` };
    if (pusher.toLowerCase() === parsed.data.pull_request.user?.login.toLowerCase())
      return { ignored: `${pusher} opened the pull request: the agent's own push` };
    const head = parsed.data.after ?? parsed.data.pull_request.head.sha;
    if (!head) return { ignored: 'the push names no commit' };
    return {
      event: {
        type: 'output.feedback',
        output: feedbackOutput(output),
        feedback: {
          kind: 'pushed',
          id: `push:${head}`,
          // Pushing to a branch of the repository takes write access to it.
          author: { id: pusher, trusted: true, reason: 'pushed to the branch (write access)' },
        },
      },
    };
  }

  async #review(body: unknown): Promise<Verdict> {
    const {
      action,
      review,
      pull_request: pull,
      repository,
    } = parsePayload(reviewSchema, body, 'pull_request_review');
    if (action !== 'submitted')
      return { events: [], ignored: `pull_request_review action "${action}" is no new feedback` };
    if (!headInRepository(pull, repository.full_name))
      return {
        events: [],
        ignored: `pull request #${pull.number} comes from a fork: never an agent's output`,
      };
    const on = { output: toOutputSnapshot(pull, repository.full_name), repository: repository.full_name };
    const taken = await this.#reviewFeedback(review, on, { trustedOnly: false });
    return 'event' in taken ? { events: [taken.event] } : { events: [], ignored: taken.ignored };
  }

  /**
   * The feedback on `output` (a pull request of `repository`) as the REST API lists it, as the events
   * its deliveries bring, oldest first: its reviews (`GET …/pulls/{n}/reviews`), its conversation's
   * comments (`GET …/issues/{n}/comments`) and the checks of its head commit of the kind `checks` names
   * (check runs, check suites or workflow runs), given or finished at or after `since` (epoch ms), whose
   * feedback id is not in `known`: reviews and comments by people it trusts (untrusted feedback starts
   * nothing, so a review's remarks are not read), checks that failed. For the check of an output waiting
   * for review, when a delivery was lost.
   */
  async listedFeedback(
    listed: { reviews: readonly unknown[]; comments: readonly unknown[]; checks: readonly unknown[] },
    on: { output: OutputSnapshot; repository: string },
    window: { since: number; known: ReadonlySet<string> },
  ): Promise<OutputFeedbackEvent[]> {
    const given: { at: number; event: OutputFeedbackEvent }[] = [];
    // Each as its delivery would bring it, when it was given in the window and is not taken yet.
    const give = async (givenAt: string | null | undefined, id: string, feedback: () => Promise<Taken>) => {
      const at = Date.parse(givenAt ?? '');
      if (!(at >= window.since) || window.known.has(id)) return;
      const taken = await feedback();
      if ('event' in taken) given.push({ at, event: taken.event });
    };
    for (const entry of listed.reviews) {
      const parsed = reviewFieldsSchema.safeParse(entry);
      if (parsed.success)
        await give(parsed.data.submitted_at, reviewFeedbackId(parsed.data.id), () =>
          this.#reviewFeedback(parsed.data, on, { trustedOnly: true }),
        );
    }
    for (const entry of listed.comments) {
      const parsed = commentFieldsSchema.safeParse(entry);
      if (parsed.success)
        await give(parsed.data.created_at, commentFeedbackId(parsed.data.id), async () => {
          const unread = this.#notFeedback(parsed.data);
          if (unread) return { ignored: unread };
          return this.#commentFeedback(parsed.data, feedbackOutput(on.output), { trustedOnly: true });
        });
    }
    for (const entry of listed.checks) {
      const parsed = listedCheckSchema.safeParse(entry);
      if (!parsed.success) continue;
      const at = Date.parse(parsed.data.completed_at ?? parsed.data.updated_at ?? '');
      if (!(at >= window.since)) continue;
      // Wrapped as its delivery carries it, so the webhook's own rules decide (failed, this pull request).
      const delivered = {
        action: 'completed',
        [this.settings.checks]: entry,
        repository: { full_name: on.repository },
      };
      const verdict = await checkFeedback(this.settings.checks, delivered, this.#reads).catch(
        () => undefined,
      );
      for (const event of verdict?.events ?? [])
        if (event.output.id === on.output.id && !window.known.has(event.feedback.id))
          given.push({ at, event });
    }
    return given.sort((one, other) => one.at - other.at).map(({ event }) => event);
  }

  /** A submitted review of a pull request from the repository itself as feedback, with its remarks; or why it is none. */
  async #reviewFeedback(
    review: Review,
    on: { output: OutputSnapshot; repository: string },
    options: { trustedOnly: boolean },
  ): Promise<Taken> {
    const login = review.user?.login;
    if (!login || review.user?.type === 'Bot' || this.#isBot(login))
      return { ignored: 'reviews by bots or the factory are no feedback' };
    const state = review.state.toLowerCase();
    if (state === 'approved') return { ignored: `an approval by ${login} is no feedback` };
    if (state !== 'changes_requested' && state !== 'commented')
      return { ignored: `a review in state "${review.state}" is no feedback` };
    const author = githubReplyAuthor(this.#trust, login, review.user?.id, review.author_association);
    if (options.trustedOnly && !author.trusted)
      return { ignored: `${login} is not a trusted author (${author.reason})` };
    const remarks = await this.#remarks(on.repository, parseOutputId(on.output.id).number, review.id);
    const text = [review.body ?? '', remarks.note].filter(Boolean).join('\n\n');
    if (state === 'commented' && text.trim() === '' && remarks.comments.length === 0)
      return { ignored: 'a review without a body or remarks' };
    return {
      event: {
        type: 'output.feedback',
        output: feedbackOutput(on.output),
        feedback: {
          kind: 'review',
          id: reviewFeedbackId(review.id),
          author,
          verdict: state === 'changes_requested' ? 'changes-requested' : 'commented',
          body: boundText(text),
          comments: remarks.comments,
          ...(review.html_url ? { url: review.html_url } : {}),
        },
      },
    };
  }

  /** The review's remarks; a failed read keeps the review, saying where to read them instead. */
  async #remarks(repository: string, pull: number, reviewId: number) {
    try {
      const { comments, more } = await this.#reads.reviewComments(repository, pull, reviewId);
      return { comments, note: more ? `[… more remarks on the pull request, not shown here]` : '' };
    } catch (error) {
      const reason = errorMessage(error);
      return { comments: [], note: `[the review's line remarks could not be read from GitHub: ${reason}]` };
    }
  }

  async #comment(body: unknown): Promise<Verdict> {
    const { action, issue, comment, repository } = parsePayload(commentSchema, body, 'issue_comment');
    if (action !== 'created')
      return { events: [], ignored: `issue_comment action "${action}" is no new feedback` };
    if (issue.pull_request === undefined)
      return { events: [], ignored: 'a comment on an issue, not on a pull request' };
    const unread = this.#notFeedback(comment);
    if (unread) return { events: [], ignored: unread };
    // The payload names the issue side of the pull request only: its branch is read.
    const pull = await this.#reads.pullRequest(repository.full_name, issue.number);
    if (!pull) return { events: [], ignored: `pull request #${issue.number} was not found` };
    if (!pull.inRepository)
      return {
        events: [],
        ignored: `pull request #${issue.number} comes from a fork: never an agent's output`,
      };
    const output = {
      id: `${repository.full_name}#${pull.number}`,
      url: pull.url,
      branch: pull.branch,
      title: pull.title,
    };
    const taken = this.#commentFeedback(comment, output, { trustedOnly: false });
    return 'event' in taken ? { events: [taken.event] } : { events: [], ignored: taken.ignored };
  }

  /** Why a comment is no feedback whatever the pull request: the factory's, a bot's, not for the agent. */
  #notFeedback(comment: Comment): string | undefined {
    const text = comment.body ?? '';
    const login = comment.user?.login;
    if (text.includes(GITHUB_COMMENT_MARKER) || (login && this.#isBot(login)))
      return 'the factory wrote this comment';
    if (!login || comment.user?.type === 'Bot') return 'comments from bots are no feedback';
    if (!addressedToAgent(text, this.settings.commandPrefix, this.settings.botLogins))
      return `the comment is not addressed to the agent (it starts with ${this.settings.commandPrefix}${this.settings.botLogins.length > 0 ? ` or mentions @${this.settings.botLogins[0]}` : ''})`;
    return undefined;
  }

  /**
   * A comment addressed to the agent (`#notFeedback` found nothing against it) on a pull request from the
   * repository itself as feedback; or why it is none.
   */
  #commentFeedback(
    comment: Comment,
    output: OutputFeedbackEvent['output'],
    options: { trustedOnly: boolean },
  ): Taken {
    const login = comment.user?.login ?? '';
    const author = githubReplyAuthor(this.#trust, login, comment.user?.id, comment.author_association);
    if (options.trustedOnly && !author.trusted)
      return { ignored: `${login} is not a trusted author (${author.reason})` };
    return {
      event: {
        type: 'output.feedback',
        output,
        feedback: {
          kind: 'comment',
          id: commentFeedbackId(comment.id),
          author,
          body: boundText(comment.body ?? ''),
          ...(comment.html_url ? { url: comment.html_url } : {}),
        },
      },
    };
  }

  #isBot(login: string): boolean {
    return this.#bots.has(login.toLowerCase());
  }
}

const FEEDBACK_EVENTS: ReadonlySet<string> = new Set([
  'pull_request_review',
  'pull_request_review_comment',
  'issue_comment',
  'check_run',
  'check_suite',
  'workflow_run',
]);

/** The feedback id of review `id`: what the record remembers it by, from its event or a listing. */
function reviewFeedbackId(id: number): string {
  return `review:${id}`;
}

function commentFeedbackId(id: number): string {
  return `comment:${id}`;
}
