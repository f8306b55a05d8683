import {
  type ConnectContext,
  type ConnectionStatus,
  WORK_ITEM_STATES,
  type WorkItem,
  type WorkItemProvider,
  type WritebackState,
  type WriteOptions,
} from 'factory-sdk';
import { z } from 'zod';
import { uuidFromKey } from './deterministic-uuid.ts';
import type { Fetch, RetryOptions } from './http-retry.ts';
import { LinearClient } from './linear-client.ts';
import {
  issueToWorkItem,
  keyFromUrl,
  LINEAR_STATE_TYPES,
  type LinearIssue,
  linearIssueSchema,
  sameText,
} from './linear-issue.ts';
import { connectWithOAuth, type OAuthAppOptions } from './oauth-connect.ts';
import { parseConfig, scopeStatus } from './provider-config.ts';
import type { TokenSource } from './provider-credentials.ts';
import { errorMessage, NotAuthorisedError, ProviderApiError } from './provider-errors.ts';

/** OAuth scopes: `read` for issues and workflow states, `write` to move issues and comment on them. */
export const LINEAR_REQUIRED_SCOPES = ['read', 'write'] as const;

const stateRef = z
  .object({ name: z.string().min(1).optional(), type: z.enum(LINEAR_STATE_TYPES).optional() })
  .strict()
  .refine((ref) => ref.name !== undefined || ref.type !== undefined, 'give a state name or a state type');

export const linearConfigSchema = z
  .object({
    /** The provider's config name, as `intentProvider` names it. */
    provider: z.string().min(1).default('linear'),
    apiUrl: z.url().default('https://api.linear.app/graphql'),
    /** Workflow state names or types (e.g. "Todo", "unstarted") that mean "ready for an agent". */
    readyStates: z.array(z.string().min(1)).min(1).default(['Todo']),
    /** Labels an issue must carry to be dispatched; an empty list means every ready issue. */
    requiredLabels: z.array(z.string().min(1)).default(['factory']),
    /** Where the factory moves an issue; a name must exist in the team, else the first state of the type. */
    writeback: z
      .object({
        dispatched: stateRef.default({ type: 'started' }),
        done: stateRef.default({ type: 'completed' }),
      })
      .strict()
      .default({ dispatched: { type: 'started' }, done: { type: 'completed' } }),
    /** Workflow state names mapped to the core's abstract states, where the category says too little. */
    stateNames: z.record(z.string().min(1), z.enum(WORK_ITEM_STATES)).default({}),
  })
  .strict();
export type LinearConfig = z.input<typeof linearConfigSchema>;

export interface LinearProviderOptions extends LinearConfig {
  token?: TokenSource;
  fetch?: Fetch;
  retry?: RetryOptions;
  /** The OAuth app `connect()` signs in with (browser, PKCE). */
  oauth?: OAuthAppOptions;
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
const SET_STATE_MUTATION = `mutation FactoryIssueSetState($id: String!, $stateId: String!) {
  issueUpdate(id: $id, input: { stateId: $stateId }) { success issue { id state { id name type } } } }`;
const COMMENT_MUTATION = `mutation FactoryCommentCreate($input: CommentCreateInput!) {
  commentCreate(input: $input) { success comment { id } } }`;
const COMMENT_QUERY = `query FactoryComment($id: String!) { comment(id: $id) { id } }`;
const VIEWER_QUERY = `query FactoryViewer { viewer { id name email } organization { id name urlKey } }`;

/** Linear as the factory's intake: reads issues, moves them through the team's workflow, comments. */
export class LinearWorkItemProvider implements WorkItemProvider {
  readonly provider: string;
  readonly requiredScopes = LINEAR_REQUIRED_SCOPES;
  readonly client: LinearClient;
  readonly #config: z.output<typeof linearConfigSchema>;
  /** Workflow states per team id, resolved through the API once: ids never live in config. */
  readonly #states = new Map<string, Promise<WorkflowState[]>>();
  readonly #oauth: OAuthAppOptions | undefined;

  constructor(options: LinearProviderOptions = {}) {
    const { token, fetch, retry, oauth, ...config } = options;
    this.#config = parseConfig(linearConfigSchema, config, 'Linear provider');
    this.#oauth = oauth;
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
    const names = [item.metadata.linearStateName, item.metadata.linearStateType, item.state].filter(
      (value): value is string => typeof value === 'string',
    );
    const inReadyState = this.#config.readyStates.some((ready) =>
      names.some((name) => sameText(ready, name)),
    );
    const labelled = this.#config.requiredLabels.every((label) =>
      item.labels.some((has) => sameText(has, label)),
    );
    return inReadyState && labelled;
  }

  async setState(item: WorkItem, state: WritebackState, _options: WriteOptions): Promise<void> {
    // Moving to a state is idempotent in itself: a retry sets the same state id again.
    const teamId = await this.#teamIdOf(item);
    const target = await this.#resolveState(teamId, state);
    try {
      const result = await this.client.request<{ issueUpdate: { success: boolean } }>(
        'FactoryIssueSetState',
        SET_STATE_MUTATION,
        { id: item.id, stateId: target.id },
      );
      if (!result.issueUpdate.success)
        throw new ProviderApiError('linear', `Linear did not move ${item.key}`);
    } catch (error) {
      // The team's workflow may have changed since we cached it.
      this.#states.delete(teamId);
      throw error;
    }
  }

  async postComment(item: WorkItem, body: string, options: WriteOptions): Promise<void> {
    const id = await uuidFromKey('factory-linear-comment', options.idempotencyKey);
    try {
      const result = await this.client.request<{ commentCreate: { success: boolean } }>(
        'FactoryCommentCreate',
        COMMENT_MUTATION,
        { input: { id, issueId: item.id, body } },
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
    return this.toWorkItem(parsed.data);
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

  /** Linear's browser sign-in (PKCE through a loopback redirect); the token goes to `context.credentials`. */
  connect(context: ConnectContext): Promise<ConnectionStatus> {
    return connectWithOAuth(this, context, 'linear', this.#oauth);
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

  async #resolveState(teamId: string, state: WritebackState): Promise<WorkflowState> {
    const ref = this.#config.writeback[state];
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
