import type {
  CommentOptions,
  CommentTopic,
  ConnectionStatus,
  WorkItem,
  WritebackState,
  WriteOptions,
} from '@software-factory/sdk';
import { errorMessage } from '@software-factory/sdk';
import { ProviderApiError } from '../shared/provider-errors.ts';
import { type ActivityContent, LinearAgentSessions, SESSION_STOPPED, sessionOf } from './agent-sessions.ts';
import {
  LINEAR_REQUIRED_SCOPES,
  type LinearProviderOptions,
  LinearWorkItemProvider,
} from './work-item-provider.ts';

/**
 * Agent mode's scopes: those of the intake, and the app scopes that let people delegate issues to the
 * app (`app:assignable`) and mention it (`app:mentionable`). https://linear.app/developers/agents
 */
export const LINEAR_AGENT_SCOPES = [...LINEAR_REQUIRED_SCOPES, 'app:assignable', 'app:mentionable'] as const;

/** Where a delegated issue stands: work has started, or is over, in these workflow state types. */
const LEFT_ALONE = new Set(['started', 'completed', 'canceled']);

const WORK_QUERY = `query FactoryAgentIssue($id: String!) {
  issue(id: $id) { id state { id type } team { id } delegate { id } } }`;
const STARTED_STATES_QUERY = `query FactoryAgentStartedStates($teamId: String!) {
  team(id: $teamId) { states(first: 250) { nodes { id name type position } } } }`;
const MOVE_MUTATION = `mutation FactoryAgentIssueUpdate($id: String!, $input: IssueUpdateInput!) {
  issueUpdate(id: $id, input: $input) { success } }`;

interface IssueAtWork {
  id: string;
  state: { id: string; type: string };
  team: { id: string };
  delegate: { id: string } | null;
}

/**
 * Linear in agent mode (`intentProvider: { type: linear, mode: agent }`): the factory is an app user
 * people delegate issues to or mention. An issue is ready when it was asked for in an agent session
 * (the session events put the session in the item's metadata) and not stopped since; the factory's
 * progress is told in that session as activities instead of comments; when work starts the issue moves
 * to the team's first `started` state (unless it is started, completed or canceled already) and the app
 * becomes its delegate when it has none, as Linear's interaction best practices ask.
 */
export class LinearAgentWorkItemProvider extends LinearWorkItemProvider {
  override readonly requiredScopes: readonly string[] = LINEAR_AGENT_SCOPES;
  readonly sessions: LinearAgentSessions;

  constructor(options: LinearProviderOptions = {}) {
    super(options);
    this.sessions = new LinearAgentSessions(this.client);
  }

  override isReadyForDispatch(item: WorkItem): boolean {
    return (
      sessionOf(item.metadata) !== undefined &&
      item.metadata[SESSION_STOPPED] !== true &&
      item.metadata.linearRemoved !== true
    );
  }

  override async setState(item: WorkItem, state: WritebackState, options: WriteOptions): Promise<void> {
    options.signal?.throwIfAborted();
    if (state === 'dispatched') await this.#startWork(item);
    else await super.setState(item, state, options);
    const session = sessionOf(item.metadata);
    if (!session) return;
    const activity = stateActivity(state, item);
    if (activity) await this.sessions.post(session, activity, options.idempotencyKey);
  }

  /** In the session the item was asked for in; as a comment when it has none (it came another way). */
  override async postComment(item: WorkItem, body: string, options: CommentOptions): Promise<void> {
    options.signal?.throwIfAborted();
    const session = sessionOf(item.metadata);
    if (!session) return super.postComment(item, body, options);
    await this.sessions.post(session, commentActivity(options.about, body), options.idempotencyKey);
  }

  /** Connected only as the app: a token that acts as a person cannot be delegated to or mentioned. */
  override async checkConnection(): Promise<ConnectionStatus> {
    const status = await super.checkConnection();
    if (status.state !== 'connected') return status;
    try {
      const identity = await this.sessions.identity();
      if (!identity.isApp)
        return {
          state: 'needs-auth',
          reason:
            'agent mode acts as the Linear app, but this token acts as a person: run `factory connect linear`, which installs the app (actor=app)',
        };
    } catch (error) {
      return { state: 'error', message: errorMessage(error) };
    }
    return status;
  }

  /** The first `started` state unless work has started or ended; the app as delegate when there is none. */
  async #startWork(item: WorkItem): Promise<void> {
    const issue = await this.#issueAtWork(item);
    const input: Record<string, unknown> = {};
    if (!LEFT_ALONE.has(issue.state.type)) input.stateId = (await this.#firstStarted(issue.team.id)).id;
    if (!issue.delegate) input.delegateId = (await this.sessions.identity()).appUserId;
    if (Object.keys(input).length === 0) return;
    const result = await this.client.request<{ issueUpdate: { success: boolean } }>(
      'FactoryAgentIssueUpdate',
      MOVE_MUTATION,
      { id: issue.id, input },
    );
    if (!result.issueUpdate.success) throw new ProviderApiError('linear', `Linear did not start ${item.key}`);
    const after = await this.#issueAtWork(item);
    if (input.stateId !== undefined && after.state.id !== input.stateId)
      throw new ProviderApiError('linear', `Linear did not keep ${item.key} in its started state`);
    if (input.delegateId !== undefined && !after.delegate)
      throw new ProviderApiError('linear', `Linear did not keep the app as ${item.key}'s delegate`);
  }

  async #issueAtWork(item: WorkItem): Promise<IssueAtWork> {
    const result = await this.client.request<{ issue: IssueAtWork | null }>('FactoryAgentIssue', WORK_QUERY, {
      id: item.id,
    });
    if (!result.issue) throw new ProviderApiError('linear', `Linear has no issue ${item.key} any more`);
    return result.issue;
  }

  async #firstStarted(teamId: string): Promise<{ id: string; name: string }> {
    const result = await this.client.request<{
      team: { states: { nodes: { id: string; name: string; type: string; position: number }[] } } | null;
    }>('FactoryAgentStartedStates', STARTED_STATES_QUERY, { teamId });
    const first = (result.team?.states.nodes ?? [])
      .filter((state) => state.type === 'started')
      .sort((a, b) => a.position - b.position)[0];
    if (!first)
      throw new ProviderApiError('linear', `the team ${teamId} has no workflow state of type "started"`);
    return first;
  }
}

/** The activity a write-back shows in the session: the step it is (the comment that follows says more). */
function stateActivity(state: WritebackState, item: WorkItem): ActivityContent | undefined {
  switch (state) {
    case 'dispatched':
      return { type: 'action', action: 'Dispatched', parameter: `${item.key} to a coding agent` };
    case 'needs-review':
      return {
        type: 'action',
        action: 'Opened a pull request',
        parameter: `${item.key} is ready for review`,
      };
    default:
      // Done and cancelled are told by the comment written with them: a response or an error.
      return undefined;
  }
}

/** The kind of activity a comment of the core is in a session. */
function commentActivity(about: CommentTopic | undefined, body: string): ActivityContent {
  switch (about) {
    case 'dispatched':
      return { type: 'action', action: 'Started an agent', parameter: body };
    case 'completed':
    case 'cancelled':
    case 'gave-up-waiting':
    // The review rounds are over: a person takes it from here, which is the session's last word.
    case 'feedback-exhausted':
      return { type: 'response', body };
    case 'failed':
      return { type: 'error', body };
    case 'clarification-asked':
      // The question is asked elsewhere (a chat thread): the session waits for the answer all the same.
      return { type: 'elicitation', body };
    default:
      return { type: 'thought', body };
  }
}
