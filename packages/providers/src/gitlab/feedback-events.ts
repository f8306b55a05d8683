import {
  type OutputFeedbackEvent,
  type OutputSnapshot,
  type ReplyAuthor,
  WebhookError,
  type WebhookInterpretation,
} from '@software-factory/sdk';
import * as z from 'zod/mini';
import { feedbackOutput } from '../shared/feedback-output.ts';
import {
  addressedToAgent,
  boundText,
  commandPrefixSchema,
  FEEDBACK_LIMITS,
} from '../shared/feedback-text.ts';
import { parseConfig } from '../shared/provider-config.ts';
import { parsePayload } from '../shared/webhook-payload.ts';
import { gitlabTimeToIso } from './merge-request.ts';
import { GITLAB_NOTE_MARKER } from './note-marker.ts';

/** A GitLab username, or a numeric user id. */
const userSchema = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/,
      'expected a GitLab username such as factory-bot, or a numeric user id',
    ),
  );

/** `feedback` of the GitLab output target: which feedback on its merge requests goes back to the agent. */
export const gitlabFeedbackConfigSchema = z
  .strictObject({
    botUsernames: z._default(z.array(userSchema), []).check(z.describe('#gitlab-feedback.botUsernames')),
    commandPrefix: z
      ._default(commandPrefixSchema, '/factory')
      .check(z.describe('#gitlab-feedback.commandPrefix')),
    trustedAuthors: z.optional(
      z.strictObject({ users: z.array(userSchema) }).check(z.describe('#gitlab-feedback.trustedAuthors')),
    ),
  })
  .check(z.describe('#gitlab-feedback'));
export type GitlabFeedbackConfig = z.input<typeof gitlabFeedbackConfigSchema>;

type Verdict = Omit<WebhookInterpretation, 'deliveryId'>;

const nonEmpty = z.string().check(z.minLength(1));
const projectSchema = z.object({ path_with_namespace: nonEmpty, web_url: z.optional(z.string()) });
/** The merge request as pipeline and note payloads carry it (fewer fields than a Merge Request Hook). */
const payloadMergeRequestSchema = z.object({
  iid: z.int().check(z.positive()),
  title: z.string(),
  source_branch: nonEmpty,
  source_project_id: z.nullish(z.int()),
  target_project_id: z.nullish(z.int()),
  url: z.optional(z.string()),
});
type PayloadMergeRequest = z.infer<typeof payloadMergeRequestSchema>;

/** A job as the Pipeline Hook lists it in `builds`, and as the jobs API lists it. */
const buildSchema = z.object({
  name: z.string(),
  stage: z.optional(z.string()),
  status: z.string(),
  failure_reason: z.nullish(z.string()),
  allow_failure: z.optional(z.boolean()),
});
type Build = z.infer<typeof buildSchema>;

const pipelineSchema = z.object({
  object_attributes: z.object({ id: z.int(), status: nonEmpty, url: z.optional(z.string()) }),
  merge_request: z.nullish(payloadMergeRequestSchema),
  project: projectSchema,
  builds: z.optional(z.array(buildSchema)),
});

/** A pipeline as `GET …/merge_requests/{iid}/pipelines` lists it. */
const listedPipelineSchema = z.object({
  id: z.int(),
  status: nonEmpty,
  web_url: z.nullish(z.string()),
  updated_at: z.nullish(z.string()),
});

const noteSchema = z.object({
  user: z.object({ id: z.int(), username: nonEmpty, name: z.optional(z.string()) }),
  object_attributes: z.object({
    id: z.int(),
    note: z.string(),
    noteable_type: nonEmpty,
    system: z.nullish(z.boolean()),
    action: z.optional(z.string()),
    url: z.optional(z.string()),
  }),
  merge_request: z.optional(payloadMergeRequestSchema),
  project: projectSchema,
});

/** A note as `GET …/merge_requests/{iid}/notes` lists it: its author, its text, when it was written. */
const listedNoteSchema = z.object({
  id: z.int(),
  body: z.string(),
  author: z.object({ id: z.int(), username: nonEmpty, name: z.optional(z.string()) }),
  created_at: z.nullish(z.string()),
  system: z.nullish(z.boolean()),
});

const pushSchema = z.object({
  user: z.nullish(z.object({ id: z.int(), username: z.string() })),
  object_attributes: z.object({
    author_id: z.nullish(z.int()),
    oldrev: z.nullish(z.string()),
    last_commit: z.nullish(z.object({ id: z.string() })),
  }),
});

/**
 * Review feedback from GitLab webhooks, as `output.feedback`: a failed merge request pipeline, a note on
 * a merge request addressed to the agent, a push by a person.
 *
 * Trust is conservative: a Note Hook names the author but not their role on the project (GitLab sends
 * no access level), so a note counts only from a user listed in `trustedAuthors.users`; without the list
 * every note is reported untrusted and the core ignores it, saying why.
 */
export class GitlabFeedback {
  readonly #settings: z.output<typeof gitlabFeedbackConfigSchema>;
  readonly #bots: ReadonlySet<string>;
  readonly #trusted: ReadonlySet<string>;

  constructor(config: GitlabFeedbackConfig = {}) {
    this.#settings = parseConfig(gitlabFeedbackConfigSchema, config, 'GitLab feedback');
    this.#bots = new Set(this.#settings.botUsernames.map((name) => name.toLowerCase()));
    this.#trusted = new Set((this.#settings.trustedAuthors?.users ?? []).map((name) => name.toLowerCase()));
  }

  handles(event: string): boolean {
    return event === 'Pipeline Hook' || event === 'Note Hook';
  }

  interpret(event: string, body: unknown): Verdict {
    return event === 'Pipeline Hook' ? this.#pipeline(body) : this.#note(body);
  }

  /**
   * A `Merge Request Hook` `update` with new commits (`oldrev`): `pushed` when a person pushed, not the
   * agent (one of `botUsernames`, or the merge request's author: agents open it as the identity they push
   * with). GitLab names the user who caused the update; a push without one is skipped.
   */
  pushed(body: unknown, output: OutputSnapshot): { event?: OutputFeedbackEvent; ignored?: string } {
    const parsed = pushSchema.safeParse(body);
    if (!parsed.success || !parsed.data.object_attributes.oldrev) return { ignored: 'no new commits' };
    const { user, object_attributes: request } = parsed.data;
    if (!user) return { ignored: 'the update names no user' };
    if (this.#bots.has(user.username.toLowerCase()) || user.id === request.author_id)
      return { ignored: `${user.username} is the factory or its agent` };
    const head = request.last_commit?.id;
    if (!head) return { ignored: 'the update names no commit' };
    return {
      event: {
        type: 'output.feedback',
        output: {
          id: output.id,
          url: output.url,
          ...(output.branch ? { branch: output.branch } : {}),
          title: output.title ?? '',
        },
        feedback: {
          kind: 'pushed',
          id: `push:${head}`,
          author: { id: user.username, trusted: true, reason: 'pushed to the branch (write access)' },
        },
      },
    };
  }

  #pipeline(body: unknown): Verdict {
    const {
      object_attributes: pipeline,
      merge_request,
      project,
      builds,
    } = parsePayload(pipelineSchema, body, 'pipeline');
    if (pipeline.status !== 'failed')
      return { events: [], ignored: `pipeline #${pipeline.id} is ${pipeline.status}: not a failure` };
    if (!merge_request)
      return {
        events: [],
        ignored: `pipeline #${pipeline.id} names no merge request (a branch pipeline; merge request pipelines name theirs)`,
      };
    if (!fromTargetProject(merge_request))
      return {
        events: [],
        ignored: `merge request !${merge_request.iid} comes from a fork: never an agent's output`,
      };
    const url =
      pipeline.url ?? (project.web_url ? `${project.web_url}/-/pipelines/${pipeline.id}` : undefined);
    return {
      events: [
        pipelineEvent(
          { id: pipeline.id, ...(url ? { url } : {}) },
          builds ?? [],
          mergeRequestOutput(merge_request, project),
        ),
      ],
    };
  }

  /**
   * The latest pipeline as the event its Pipeline Hook brings, when it failed at or after `since` and
   * its feedback id is not in `known`. A failed pipeline before the latest is about code the agent has
   * replaced.
   */
  async #latestPipelineFailure(
    latest: unknown,
    output: OutputSnapshot,
    window: { since: number; known: ReadonlySet<string> },
    failedJobs: (pipelineId: number) => Promise<readonly unknown[]>,
  ): Promise<{ at: number; event: OutputFeedbackEvent } | undefined> {
    const parsed = listedPipelineSchema.safeParse(latest);
    if (!parsed.success || parsed.data.status !== 'failed') return undefined;
    const { id, web_url, updated_at } = parsed.data;
    const at = Date.parse(gitlabTimeToIso(updated_at ?? '') ?? '');
    if (!(at >= window.since) || window.known.has(pipelineFeedbackId(id))) return undefined;
    const builds = (await failedJobs(id)).flatMap((job) => {
      const read = buildSchema.safeParse(job);
      return read.success ? [read.data] : [];
    });
    return {
      at,
      event: pipelineEvent({ id, ...(web_url ? { url: web_url } : {}) }, builds, feedbackOutput(output)),
    };
  }

  #note(body: unknown): Verdict {
    const { user, object_attributes: note, merge_request, project } = parsePayload(noteSchema, body, 'note');
    if (note.noteable_type !== 'MergeRequest')
      return { events: [], ignored: `a note on a ${note.noteable_type}, not on a merge request` };
    if (note.action !== undefined && note.action !== 'create')
      return { events: [], ignored: `note action "${note.action}" is no new feedback` };
    if (note.system === true) return { events: [], ignored: 'a system note is no feedback' };
    if (!merge_request)
      throw new WebhookError(
        400,
        'note payload is incomplete: merge_request: a note on a merge request names it',
      );
    const unread = this.#notFeedback(note.note, user.username);
    if (unread) return { events: [], ignored: unread };
    if (!fromTargetProject(merge_request))
      return {
        events: [],
        ignored: `merge request !${merge_request.iid} comes from a fork: never an agent's output`,
      };
    const output = mergeRequestOutput(merge_request, project);
    return { events: [noteEvent({ ...note, author: this.#author(user) }, output, note.url)] };
  }

  /**
   * The feedback on `output` as GitLab's REST API lists it, as the events its hooks bring, oldest
   * first: the notes (`GET …/merge_requests/{iid}/notes`) written at or after `since` (epoch ms),
   * addressed to the agent by a user it trusts, and the merge request's latest pipeline
   * (`GET …/merge_requests/{iid}/pipelines`, newest first) when it failed since then, with its failed
   * jobs (read only then, through `failedJobs`). Feedback whose id is in `known` is left out. For the
   * check of an output waiting for review, when a delivery was lost.
   */
  async listedFeedback(
    listed: { notes: readonly unknown[]; latestPipeline: unknown },
    output: OutputSnapshot,
    window: { since: number; known: ReadonlySet<string> },
    failedJobs: (pipelineId: number) => Promise<readonly unknown[]>,
  ): Promise<OutputFeedbackEvent[]> {
    const given = this.#listedNotes(listed.notes, output, window);
    const failure = await this.#latestPipelineFailure(listed.latestPipeline, output, window, failedJobs);
    if (failure) given.push(failure);
    return given.sort((one, other) => one.at - other.at).map(({ event }) => event);
  }

  #listedNotes(
    listed: readonly unknown[],
    output: OutputSnapshot,
    window: { since: number; known: ReadonlySet<string> },
  ): { at: number; event: OutputFeedbackEvent }[] {
    const given: { at: number; event: OutputFeedbackEvent }[] = [];
    const on = feedbackOutput(output);
    for (const entry of listed) {
      const parsed = listedNoteSchema.safeParse(entry);
      if (!parsed.success || parsed.data.system === true) continue;
      const { id, body, author: user, created_at } = parsed.data;
      const at = Date.parse(gitlabTimeToIso(created_at ?? '') ?? '');
      if (!(at >= window.since) || window.known.has(noteFeedbackId(id))) continue;
      const author = this.#author(user);
      if (this.#notFeedback(body, user.username) || !author.trusted) continue;
      given.push({ at, event: noteEvent({ id, note: body, author }, on, `${output.url}#note_${id}`) });
    }
    return given;
  }

  /** Why a note is no feedback whatever the merge request: the factory's, or not for the agent. */
  #notFeedback(text: string, username: string): string | undefined {
    if (text.includes(GITLAB_NOTE_MARKER) || this.#bots.has(username.toLowerCase()))
      return 'the factory wrote this note';
    if (!addressedToAgent(text, this.#settings.commandPrefix, this.#settings.botUsernames))
      return `the note is not addressed to the agent (it starts with ${this.#settings.commandPrefix}${this.#settings.botUsernames.length > 0 ? ` or mentions @${this.#settings.botUsernames[0]}` : ''})`;
    return undefined;
  }

  #author(user: { id: number; username: string; name?: string | undefined }): ReplyAuthor {
    const listed = [user.username, String(user.id)].find((id) => this.#trusted.has(id.toLowerCase()));
    return {
      id: user.username,
      ...(user.name ? { name: user.name } : {}),
      trusted: listed !== undefined,
      reason: listed
        ? `${listed} is listed in feedback.trustedAuthors.users`
        : "GitLab's note payload does not give the author's role; the user is not in feedback.trustedAuthors.users",
    };
  }
}

/** A failed pipeline as the `check-failed` it is, naming its failed jobs that were not allowed to fail. */
function pipelineEvent(
  pipeline: { id: number; url?: string },
  builds: readonly Build[],
  output: OutputFeedbackEvent['output'],
): OutputFeedbackEvent {
  const failed = builds.filter((build) => build.status === 'failed' && build.allow_failure !== true);
  const jobs = failed.map((build) => build.name).join(', ');
  const summary = failed
    .map(
      (build) =>
        `${build.name}${build.stage ? ` (${build.stage})` : ''}${build.failure_reason ? `: ${build.failure_reason}` : ''}`,
    )
    .join('\n');
  return {
    type: 'output.feedback',
    output,
    feedback: {
      kind: 'check-failed',
      id: pipelineFeedbackId(pipeline.id),
      name: boundText(`pipeline #${pipeline.id}${jobs ? `: ${jobs}` : ''}`, FEEDBACK_LIMITS.name),
      conclusion: 'failed',
      ...(summary ? { summary: boundText(summary) } : {}),
      ...(pipeline.url ? { url: pipeline.url } : {}),
    },
  };
}

function pipelineFeedbackId(id: number): string {
  return `pipeline:${id}`;
}

/** A note addressed to the agent as the `output.feedback` it is. */
function noteEvent(
  note: { id: number; note: string; author: ReplyAuthor },
  output: OutputFeedbackEvent['output'],
  url: string | undefined,
): OutputFeedbackEvent {
  return {
    type: 'output.feedback',
    output,
    feedback: {
      kind: 'comment',
      id: noteFeedbackId(note.id),
      author: note.author,
      body: boundText(note.note),
      ...(url ? { url } : {}),
    },
  };
}

function noteFeedbackId(id: number): string {
  return `note:${id}`;
}

function fromTargetProject(request: PayloadMergeRequest): boolean {
  return (
    typeof request.source_project_id === 'number' && request.source_project_id === request.target_project_id
  );
}

function mergeRequestOutput(
  request: PayloadMergeRequest,
  project: z.infer<typeof projectSchema>,
): OutputFeedbackEvent['output'] {
  const url = request.url ?? `${project.web_url ?? ''}/-/merge_requests/${request.iid}`;
  return {
    id: `${project.path_with_namespace}!${request.iid}`,
    url,
    branch: request.source_branch,
    title: request.title,
  };
}
