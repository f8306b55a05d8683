import { uuidFromKey } from '../shared/deterministic-uuid.ts';
import { NotAuthorisedError, ProviderApiError } from '../shared/provider-errors.ts';
import type { LinearClient } from './client.ts';

/**
 * The content of an agent activity, as Linear's agent interaction guide lists the kinds: a `thought`
 * (a sign of life, reasoning), an `action` (a step taken, with what it was taken on), an `elicitation`
 * (a question to the person; the session then awaits input), a `response` (the work is done) and an
 * `error`. https://linear.app/developers/agent-interaction
 */
export type ActivityContent =
  | { type: 'thought' | 'elicitation' | 'response' | 'error'; body: string }
  | { type: 'action'; action: string; parameter: string; result?: string };

/** Where the work item metadata keeps the session the item was asked for in. */
export const SESSION_ID = 'linearAgentSessionId';
/** The session's page in Linear, when the event gave it. */
export const SESSION_URL = 'linearAgentSessionUrl';
/** Set on an item whose session a person stopped (or that left the app's hands): it is not ready. */
export const SESSION_STOPPED = 'linearAgentStopped';

/** The label of the factory's link on a session. */
export const DASHBOARD_LABEL = 'Factory dashboard';

const ACTIVITY_CREATE = `mutation FactoryAgentActivityCreate($input: AgentActivityCreateInput!) {
  agentActivityCreate(input: $input) { success agentActivity { id } } }`;
const ACTIVITY_QUERY = `query FactoryAgentActivity($id: String!) { agentActivity(id: $id) { id } }`;
const SESSION_UPDATE = `mutation FactoryAgentSessionUpdate($id: String!, $input: AgentSessionUpdateInput!) {
  agentSessionUpdate(id: $id, input: $input) { success } }`;
const APP_QUERY = `query FactoryAgentIdentity { viewer { id app } organization { id } }`;

/** Who the token acts as: the app user of one workspace, when installed with `actor=app`. */
export interface AppIdentity {
  appUserId: string;
  organizationId: string;
  /** False when the token acts as a person (a personal key, or an OAuth token without `actor=app`). */
  isApp: boolean;
}

/**
 * The app's side of Linear agent sessions: activities and the session's link to the dashboard. Every
 * activity has a client id derived from the write's idempotency key, so a retried write is one
 * activity: a repeat Linear refuses as a duplicate id is found by that id and taken as done.
 */
export class LinearAgentSessions {
  readonly #client: LinearClient;
  #identity: Promise<AppIdentity> | undefined;

  constructor(client: LinearClient) {
    this.#client = client;
  }

  /** The app user and workspace of the token, asked once (forgotten after a failure). */
  identity(): Promise<AppIdentity> {
    if (!this.#identity) {
      this.#identity = this.#client
        .request<{ viewer: { id: string; app?: boolean | null }; organization: { id: string } }>(
          'FactoryAgentIdentity',
          APP_QUERY,
        )
        .then((result) => ({
          appUserId: result.viewer.id,
          organizationId: result.organization.id,
          isApp: result.viewer.app === true,
        }));
      this.#identity.catch(() => {
        this.#identity = undefined;
      });
    }
    return this.#identity;
  }

  async post(sessionId: string, content: ActivityContent, idempotencyKey: string): Promise<void> {
    const id = await uuidFromKey('factory-linear-agent-activity', idempotencyKey);
    try {
      const result = await this.#client.request<{ agentActivityCreate: { success: boolean } }>(
        'FactoryAgentActivityCreate',
        ACTIVITY_CREATE,
        { input: { id, agentSessionId: sessionId, content } },
      );
      if (!result.agentActivityCreate.success)
        throw new ProviderApiError(
          'linear',
          `Linear did not add the ${content.type} to session ${sessionId}`,
        );
    } catch (error) {
      if (error instanceof NotAuthorisedError) throw error;
      if (await this.#activityExists(id)) return;
      throw error;
    }
  }

  /** Points the session at the item on the dashboard; replaces the links, so a repeat changes nothing. */
  async linkDashboard(sessionId: string, url: string): Promise<void> {
    const result = await this.#client.request<{ agentSessionUpdate: { success: boolean } }>(
      'FactoryAgentSessionUpdate',
      SESSION_UPDATE,
      { id: sessionId, input: { externalUrls: [{ label: DASHBOARD_LABEL, url }] } },
    );
    if (!result.agentSessionUpdate.success)
      throw new ProviderApiError('linear', `Linear did not link session ${sessionId} to the dashboard`);
  }

  async #activityExists(id: string): Promise<boolean> {
    try {
      const result = await this.#client.request<{ agentActivity: { id: string } | null }>(
        'FactoryAgentActivity',
        ACTIVITY_QUERY,
        { id },
      );
      return result.agentActivity?.id === id;
    } catch {
      return false;
    }
  }
}

/** The session an item was asked for in, as the agent session events put it in its metadata. */
export function sessionOf(metadata: Record<string, unknown>): string | undefined {
  const id = metadata[SESSION_ID];
  return typeof id === 'string' && id ? id : undefined;
}
