import {
  type ConnectionStatus,
  errorMessage,
  type Fetch,
  type RetryOptions,
  WORK_ITEM_STATES,
  type WorkItem,
  type WorkItemProvider,
  type WritebackState,
  type WriteOptions,
} from '@software-factory/sdk';
import * as z from 'zod/mini';
import { uuidFromKey } from '../shared/deterministic-uuid.ts';
import { markerChanges, missingMarkers } from '../shared/lifecycle-markers.ts';
import { parseConfig, scopeStatus } from '../shared/provider-config.ts';
import type { TokenSource } from '../shared/provider-credentials.ts';
import { NotAuthorisedError, ProviderApiError } from '../shared/provider-errors.ts';
import { withHiddenTrace } from '../shared/trace-metadata.ts';
import { inReadyStateWithLabels } from '../shared/tracker-text.ts';
import { writebackSchema } from '../shared/writeback-schema.ts';
import { LinearClient } from './client.ts';
import {
  issueToWorkItem,
  keyFromUrl,
  LINEAR_STATE_TYPES,
  type LinearIssue,
  linearIssueSchema,
  sameText,
} from './issue.ts';

/** OAuth scopes: `read` for issues and workflow states, `write` to move issues and comment on them. */
export const LINEAR_REQUIRED_SCOPES = ['read', 'write'] as const;

const stateRef = z
  .strictObject({
    name: z.optional(z.string().check(z.minLength(1))),
    type: z.optional(z.enum(LINEAR_STATE_TYPES)),
  })
  .check(
    z.refine((ref) => ref.name !== undefined || ref.type !== undefined, 'give a state name or a state type'),
  );

export const linearConfigSchema = z.strictObject({
  /** The provider's config name, as `intentProvider` names it. */
  provider: z._default(z.string().check(z.minLength(1)), 'linear'),
  apiUrl: z._default(z.url(), 'https://api.linear.app/graphql'),
  /** Workflow state names or types (e.g. "Todo", "unstarted") that mean "ready for an agent". */
  readyStates: z._default(z.array(z.string().check(z.minLength(1))).check(z.minLength(1)), ['Todo']),
  /** Labels an issue must carry to be dispatched; an empty list means every ready issue. */
  requiredLabels: z._default(z.array(z.string().check(z.minLength(1))), ['factory']),
  /**
   * Where the factory moves an issue; a name must exist in the team, else the first state of the type.
   * `needsReview` (e.g. `{ name: 'In Review' }`) is used with `completion.on: merged` when the output is
   * ready; without it the issue stays where it is and only the marker says so.
   */
  writeback: writebackSchema(stateRef, { dispatched: { type: 'started' }, done: { type: 'completed' } }),
  /**
   * Labels the factory puts on an issue while it works on it (created in the team when missing), and
   * takes off when the issue is done or the factory stops: e.g. `factory:in-progress`,
   * `factory:needs-review`. None by default.
   */
  markers: z._default(
    z.strictObject({
      inProgress: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(80))),
      needsReview: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(80))),
    }),
    {},
  ),
  /** Workflow state names mapped to the core's abstract states, where the category says too little. */
  stateNames: z._default(z.record(z.string().check(z.minLength(1)), z.enum(WORK_ITEM_STATES)), {}),
});
export type LinearConfig = z.input<typeof linearConfigSchema>;

export interface LinearProviderOptions extends LinearConfig {
  token?: TokenSource;
  fetch?: Fetch;
  retry?: RetryOptions;
}

interface WorkflowState {
  id: string;
  name: string;
  type: string;
  position: number;
}

const ISSUE_FIELDS = `id identifier number title description url updatedAt priority
  state { id name type } team { id key name } project { id name } labels(first: 100) { nodes { id name } }`;

const ISSUE_QUERY = `query FactoryIssue($id: String!) { issue(id: $id) { ${ISSUE_FIELDS} } }`;
const TEAM_STATES_QUERY = `query FactoryTeamStates($teamId: String!) {
  team(id: $teamId) { id key states(first: 250) { nodes { id name type position } } } }`;
const SET_STATE_MUTATION = `mutation FactoryIssueSetState($id: String!, $input: IssueUpdateInput!) {
  issueUpdate(id: $id, input: $input) { success issue { id state { id name type } } } }`;
const LABELS_QUERY = `query FactoryLabels($name: String!) {
  issueLabels(filter: { name: { eqIgnoreCase: $name } }, first: 50) { nodes { id name team { id } } } }`;
const LABEL_CREATE_MUTATION = `mutation FactoryLabelCreate($input: IssueLabelCreateInput!) {
  issueLabelCreate(input: $input) { success issueLabel { id name } } }`;
const COMMENT_MUTATION = `mutation FactoryCommentCreate($input: CommentCreateInput!) {
  commentCreate(input: $input) { success comment { id } } }`;
const COMMENT_QUERY = `query FactoryComment($id: String!) { comment(id: $id) { id } }`;
const VIEWER_QUERY = `query FactoryViewer { viewer { id name email } organization { id name urlKey } }`;

/** Linear as the factory's intake: reads issues, moves them through the team's workflow, comments. */
export class LinearWorkItemProvider implements WorkItemProvider {
  readonly provider: string;
  readonly requiredScopes: readonly string[] = LINEAR_REQUIRED_SCOPES;
  readonly client: LinearClient;
  readonly #config: z.output<typeof linearConfigSchema>;
  /** Workflow states per team id, resolved through the API once: ids never live in config. */
  readonly #states = new Map<string, Promise<WorkflowState[]>>();
  /** Marker label ids per `team id/label name`, looked up (or created) once. */
  readonly #labelIds = new Map<string, Promise<string>>();

  constructor(options: LinearProviderOptions = {}) {
    const { token, fetch, retry, ...config } = options;
    this.#config = parseConfig(linearConfigSchema, config, 'Linear provider');
    this.provider = this.#config.provider;
    this.client = new LinearClient({
      apiUrl: this.#config.apiUrl,
      ...(token !== undefined ? { token } : {}),
      ...(fetch ? { fetch } : {}),
      ...(retry ? { retry } : {}),
    });
  }

  /** Normalises an issue as a webhook or the API carries it. */
  toWorkItem(issue: LinearIssue, url?: string): WorkItem {
    return issueToWorkItem(issue, {
      provider: this.provider,
      stateNames: this.#config.stateNames,
      ...(url ? { url } : {}),
    });
  }

  isReadyForDispatch(item: WorkItem): boolean {
    if (item.metadata.linearRemoved === true) return false;
    return inReadyStateWithLabels(
      [item.metadata.linearStateName, item.metadata.linearStateType, item.state],
      this.#config.readyStates,
      item.labels,
      this.#config.requiredLabels,
    );
  }

  /**
   * Moves the issue and sets the marker labels in one `issueUpdate`, then reads the issue back: a write
   * Linear acknowledged but did not keep throws, so the core retries it. An issue already where it should
   * be is not written again.
   */
  async setState(item: WorkItem, state: WritebackState, options: WriteOptions): Promise<void> {
    options.signal?.throwIfAborted();
    const teamId = await this.#teamIdOf(item);
    const target = await this.#targetState(teamId, state);
    const markers = markerChanges(state, this.#config.markers);
    const before = await this.#freshIssue(item);
    if (this.#unkept(before, target, markers).length === 0) return;
    const input: Record<string, unknown> = {};
    if (target && before.state.id !== target.id) input.stateId = target.id;
    const removed = this.#labelIdsOn(before, markers.remove);
    if (removed.length > 0) input.removedLabelIds = removed;
    const added: string[] = [];
    for (const name of markers.add)
      if (!(before.labels ?? []).some((label) => sameText(label.name, name)))
        added.push(await this.#markerLabelId(teamId, name));
    if (added.length > 0) input.addedLabelIds = added;
    try {
      const result = await this.client.request<{ issueUpdate: { success: boolean } }>(
        'FactoryIssueSetState',
        SET_STATE_MUTATION,
        { id: item.id, input },
        { signal: options.signal },
      );
      if (!result.issueUpdate.success)
        throw new ProviderApiError('linear', `Linear did not move ${item.key}`);
    } catch (error) {
      // The team's workflow or labels may have changed since we cached them.
      this.#forgetTeam(teamId);
      throw error;
    }
    const after = await this.#freshIssue(item);
    const unkept = this.#unkept(after, target, markers);
    if (unkept.length > 0) {
      this.#forgetTeam(teamId);
      throw new ProviderApiError(
        'linear',
        `Linear did not keep ${state} on ${item.key}: ${unkept.join('; ')}`,
      );
    }
  }

  async postComment(item: WorkItem, body: string, options: WriteOptions): Promise<void> {
    options.signal?.throwIfAborted();
    const id = await uuidFromKey('factory-linear-comment', options.idempotencyKey);
    try {
      const result = await this.client.request<{ commentCreate: { success: boolean } }>(
        'FactoryCommentCreate',
        COMMENT_MUTATION,
        { input: { id, issueId: item.id, body: withHiddenTrace(body, options.traceId) } },
        { signal: options.signal },
      );
      if (!result.commentCreate.success)
        throw new ProviderApiError('linear', `Linear did not create the comment on ${item.key}`);
    } catch (error) {
      if (error instanceof NotAuthorisedError) throw error;
      // A retry of a comment that did land is refused as a duplicate id: the comment is there, done.
      if (await this.#commentExists(id)) return;
      throw error;
    }
  }

  async getWorkItem(ref: string): Promise<WorkItem | undefined> {
    const id = keyFromUrl(ref) ?? ref.trim();
    if (!id) return undefined;
    const issue = await this.#readIssue(id);
    return issue ? this.toWorkItem(issue) : undefined;
  }

  async #readIssue(id: string): Promise<LinearIssue | undefined> {
    let result: { issue: unknown };
    try {
      result = await this.client.request<{ issue: unknown }>('FactoryIssue', ISSUE_QUERY, { id });
    } catch (error) {
      if (error instanceof ProviderApiError && /not found|could not find/i.test(error.message))
        return undefined;
      throw error;
    }
    if (!result.issue) return undefined;
    const raw = result.issue as { labels?: { nodes?: unknown[] } };
    const parsed = linearIssueSchema.safeParse({ ...raw, labels: raw.labels?.nodes ?? [] });
    if (!parsed.success)
      throw new ProviderApiError(
        'linear',
        `Linear returned an issue we cannot read: ${parsed.error.message}`,
      );
    return parsed.data;
  }

  async checkConnection(): Promise<ConnectionStatus> {
    try {
      const credential = await this.client.credential();
      if (!credential) return { state: 'needs-auth', reason: 'no Linear token is configured' };
      const result = await this.client.request<{
        viewer: { name?: string; email?: string };
        organization: { urlKey?: string; name?: string };
      }>('FactoryViewer', VIEWER_QUERY);
      const identity = `${result.viewer.email ?? result.viewer.name ?? 'unknown'} @ ${result.organization.urlKey ?? result.organization.name ?? 'unknown'}`;
      // Linear does not report a token's scopes; the OAuth flow stores what it granted. A personal API
      // key carries its user's full access.
      const granted = credential.scopes.length > 0 ? credential.scopes : undefined;
      return scopeStatus(identity, this.requiredScopes, granted);
    } catch (error) {
      if (error instanceof NotAuthorisedError) return { state: 'needs-auth', reason: error.message };
      return { state: 'error', message: errorMessage(error) };
    }
  }

  async #teamIdOf(item: WorkItem): Promise<string> {
    const known = item.metadata.linearTeamId;
    if (typeof known === 'string' && known) return known;
    const fresh = await this.getWorkItem(item.id);
    const teamId = fresh?.metadata.linearTeamId;
    if (typeof teamId !== 'string' || !teamId)
      throw new ProviderApiError('linear', `cannot find the team of ${item.key}`);
    return teamId;
  }

  /** The workflow state a write-back moves to; undefined when it leaves the state alone. */
  async #targetState(teamId: string, state: WritebackState): Promise<WorkflowState | undefined> {
    const { writeback } = this.#config;
    const ref =
      state === 'dispatched'
        ? writeback.dispatched
        : state === 'needs-review'
          ? writeback.needsReview
          : state === 'done'
            ? writeback.done
            : undefined;
    return ref ? this.#resolveState(teamId, state, ref) : undefined;
  }

  async #freshIssue(item: WorkItem): Promise<LinearIssue> {
    const fresh = await this.#readIssue(item.id);
    if (!fresh) throw new ProviderApiError('linear', `Linear has no issue ${item.key} any more`);
    return fresh;
  }

  /** What a read-back of the issue lacks of the write-back: the state, markers on, markers off. */
  #unkept(
    issue: LinearIssue,
    target: WorkflowState | undefined,
    markers: { add: string[]; remove: string[] },
  ): string[] {
    const names = (issue.labels ?? []).map((label) => label.name);
    const missing = missingMarkers(names, markers, sameText);
    if (target && issue.state.id !== target.id)
      missing.unshift(`it is in "${issue.state.name}", not "${target.name}"`);
    return missing;
  }

  #labelIdsOn(issue: LinearIssue, names: readonly string[]): string[] {
    return (issue.labels ?? [])
      .filter((label) => label.id && names.some((name) => sameText(label.name, name)))
      .map((label) => label.id as string);
  }

  /** A marker label's id: the team's label of that name, else the workspace's, else a new team label. */
  #markerLabelId(teamId: string, name: string): Promise<string> {
    const cacheKey = `${teamId}/${name.toLowerCase()}`;
    let id = this.#labelIds.get(cacheKey);
    if (!id) {
      id = this.#findOrCreateLabel(teamId, name);
      id.catch(() => this.#labelIds.delete(cacheKey));
      this.#labelIds.set(cacheKey, id);
    }
    return id;
  }

  async #findOrCreateLabel(teamId: string, name: string): Promise<string> {
    const found = await this.client.request<{
      issueLabels: { nodes: { id: string; name: string; team: { id: string } | null }[] };
    }>('FactoryLabels', LABELS_QUERY, { name });
    const candidates = found.issueLabels.nodes.filter((label) => sameText(label.name, name));
    const label =
      candidates.find((candidate) => candidate.team?.id === teamId) ??
      candidates.find((candidate) => !candidate.team);
    if (label) return label.id;
    const created = await this.client.request<{
      issueLabelCreate: { success: boolean; issueLabel: { id: string } | null };
    }>('FactoryLabelCreate', LABEL_CREATE_MUTATION, { input: { name, teamId } });
    if (!created.issueLabelCreate.success || !created.issueLabelCreate.issueLabel)
      throw new ProviderApiError('linear', `Linear did not create the label "${name}"`);
    return created.issueLabelCreate.issueLabel.id;
  }

  #forgetTeam(teamId: string): void {
    this.#states.delete(teamId);
    for (const key of this.#labelIds.keys()) if (key.startsWith(`${teamId}/`)) this.#labelIds.delete(key);
  }

  async #resolveState(
    teamId: string,
    state: WritebackState,
    ref: { name?: string | undefined; type?: string | undefined },
  ): Promise<WorkflowState> {
    const states = await this.#teamStates(teamId);
    if (ref.name !== undefined) {
      const named = states.find((candidate) => sameText(candidate.name, ref.name as string));
      if (!named)
        throw new ProviderApiError(
          'linear',
          `the team has no workflow state named "${ref.name}" (for ${state})`,
        );
      return named;
    }
    const typed = states
      .filter((candidate) => candidate.type === ref.type)
      .sort((a, b) => a.position - b.position)[0];
    if (!typed)
      throw new ProviderApiError(
        'linear',
        `the team has no workflow state of type "${ref.type}" (for ${state})`,
      );
    return typed;
  }

  #teamStates(teamId: string): Promise<WorkflowState[]> {
    let states = this.#states.get(teamId);
    if (!states) {
      states = this.client
        .request<{ team: { states: { nodes: WorkflowState[] } } | null }>(
          'FactoryTeamStates',
          TEAM_STATES_QUERY,
          {
            teamId,
          },
        )
        .then((result) => {
          if (!result.team) throw new ProviderApiError('linear', `Linear has no team ${teamId}`);
          return result.team.states.nodes;
        });
      states.catch(() => this.#states.delete(teamId));
      this.#states.set(teamId, states);
    }
    return states;
  }

  async #commentExists(id: string): Promise<boolean> {
    try {
      const result = await this.client.request<{ comment: { id: string } | null }>(
        'FactoryComment',
        COMMENT_QUERY,
        {
          id,
        },
      );
      return result.comment?.id === id;
    } catch {
      return false;
    }
  }
}
