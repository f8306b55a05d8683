import { buildSchema, GraphQLError, graphql } from 'graphql';
import { type Fault, FaultQueue, faultResponse, type Loopback, listen, newApp } from './loopback.ts';

/**
 * A subset of Linear's GraphQL schema: only the types and fields the provider uses, with the names,
 * arguments and nullability of the real schema (see @linear/sdk's generated types). Queries are
 * validated against it, so a misspelt field fails here as it would against Linear.
 */
const SCHEMA = buildSchema(`
  scalar DateTime
  scalar JSONObject
  type Query {
    agentActivity(id: String!): AgentActivity!
    issue(id: String!): Issue!
    team(id: String!): Team!
    comment(id: String, hash: String): Comment!
    viewer: User!
    user(id: String!): User!
    organization: Organization!
    issueLabels(filter: IssueLabelFilter, first: Int): IssueLabelConnection!
  }
  type Mutation {
    issueUpdate(id: String!, input: IssueUpdateInput!): IssuePayload!
    commentCreate(input: CommentCreateInput!): CommentPayload!
    issueLabelCreate(input: IssueLabelCreateInput!): IssueLabelPayload!
    agentActivityCreate(input: AgentActivityCreateInput!): AgentActivityPayload!
    agentSessionUpdate(id: String!, input: AgentSessionUpdateInput!): AgentSessionPayload!
  }
  enum AgentActivitySignal { auth continue select stop }
  input AgentActivityCreateInput {
    agentSessionId: String! content: JSONObject! ephemeral: Boolean id: String
    signal: AgentActivitySignal signalMetadata: JSONObject
  }
  input AgentSessionExternalUrlInput { label: String! url: String! }
  input AgentSessionUpdateInput {
    externalUrls: [AgentSessionExternalUrlInput!] addedExternalUrls: [AgentSessionExternalUrlInput!]
    removedExternalUrls: [String!] externalLink: String plan: JSONObject
  }
  type AgentActivity { id: ID! content: JSONObject! }
  type AgentActivityPayload { success: Boolean! agentActivity: AgentActivity! lastSyncId: Float! }
  type AgentSession { id: ID! }
  type AgentSessionPayload { success: Boolean! agentSession: AgentSession! lastSyncId: Float! }
  input IssueUpdateInput {
    stateId: String title: String description: String labelIds: [String!]
    addedLabelIds: [String!] removedLabelIds: [String!] delegateId: String
  }
  input IssueLabelFilter { name: StringComparator }
  input StringComparator { eq: String eqIgnoreCase: String }
  input IssueLabelCreateInput { name: String! teamId: String color: String description: String }
  input CommentCreateInput { id: String issueId: String body: String parentId: String doNotSubscribeToIssue: Boolean }
  type Issue {
    id: ID! identifier: String! number: Float! title: String! description: String url: String!
    updatedAt: DateTime! priority: Float! state: WorkflowState! team: Team! project: Project
    labels(first: Int, after: String): IssueLabelConnection!
    creator: User assignee: User delegate: User
  }
  type WorkflowState { id: ID! name: String! type: String! position: Float! }
  type Team { id: ID! key: String! name: String! states(first: Int, after: String): WorkflowStateConnection! }
  type WorkflowStateConnection { nodes: [WorkflowState!]! }
  type IssueLabelConnection { nodes: [IssueLabel!]! }
  type IssueLabel { id: ID! name: String! team: Team }
  type IssueLabelPayload { success: Boolean! issueLabel: IssueLabel! }
  type Project { id: ID! name: String! }
  type Comment { id: ID! body: String! issue: Issue }
  type User { id: ID! name: String! email: String! active: Boolean! guest: Boolean! app: Boolean! }
  type Organization { id: ID! name: String! urlKey: String! }
  type IssuePayload { success: Boolean! issue: Issue }
  type CommentPayload { success: Boolean! comment: Comment }
`);

interface IssueUpdate {
  stateId?: string;
  delegateId?: string;
  addedLabelIds?: string[];
  removedLabelIds?: string[];
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export interface LinearState {
  id: string;
  name: string;
  type: string;
  position: number;
}

export interface LinearTeamRecord {
  id: string;
  key: string;
  name: string;
  states: LinearState[];
}

export interface LinearIssueRecord {
  id: string;
  identifier: string;
  number: number;
  title: string;
  description?: string;
  url: string;
  updatedAt: string;
  priority: number;
  stateId: string;
  teamId: string;
  project?: { id: string; name: string };
  labels: { id: string; name: string }[];
  creatorId?: string;
  assigneeId?: string;
  delegateId?: string;
}

export interface LinearUserRecord {
  id: string;
  name: string;
  email: string;
  active: boolean;
  guest: boolean;
  app: boolean;
}

/** The factory's own user (`viewer`). */
export const LINEAR_BOT_USER: LinearUserRecord = {
  id: 'user-1',
  name: 'Factory Bot',
  email: 'factory@example.com',
  active: true,
  guest: false,
  app: false,
};

/** An agent app installed in the workspace (`actor=app`): the viewer of the app's token. */
export const LINEAR_APP_USER: LinearUserRecord = {
  id: 'c3b4f1d2-6a70-4e0b-9d4e-8f1a2b3c4d5e',
  name: 'Factory',
  email: 'factory-app@oauthapp.linear.app',
  active: true,
  guest: false,
  app: true,
};

/** An activity an agent posted in a session, with when the server received it. */
export interface LinearActivityRecord {
  id: string;
  agentSessionId: string;
  content: Record<string, unknown>;
  receivedAt: number;
}

/** The usual workflow of a new Linear team. */
export function defaultStates(prefix: string): LinearState[] {
  return [
    { id: `${prefix}-backlog`, name: 'Backlog', type: 'backlog', position: 0 },
    { id: `${prefix}-todo`, name: 'Todo', type: 'unstarted', position: 1 },
    { id: `${prefix}-progress`, name: 'In Progress', type: 'started', position: 2 },
    { id: `${prefix}-review`, name: 'In Review', type: 'started', position: 3 },
    { id: `${prefix}-done`, name: 'Done', type: 'completed', position: 4 },
    { id: `${prefix}-canceled`, name: 'Canceled', type: 'canceled', position: 5 },
  ];
}

function notFound(entity: string): GraphQLError {
  return new GraphQLError(`Entity not found: ${entity}`, {
    extensions: { type: 'invalid input', userPresentableMessage: `Could not find referenced ${entity}.` },
  });
}

/** Linear's GraphQL endpoint at `/graphql`, on loopback, with state a test can seed and inspect. */
export class LinearServer {
  readonly teams = new Map<string, LinearTeamRecord>();
  readonly issues = new Map<string, LinearIssueRecord>();
  readonly comments = new Map<string, { id: string; issueId: string; body: string }>();
  readonly updates: { issueId: string; stateId: string }[] = [];
  /** The workspace's labels; `teamId` absent for a workspace label. */
  readonly labels = new Map<string, { id: string; name: string; teamId?: string }>();
  /** Every accepted `issueUpdate` input, in order. */
  readonly updateInputs: { issueId: string; input: Record<string, unknown> }[] = [];
  /** How many coming `issueUpdate`s answer success but change nothing, as a lost write would. */
  forgetUpdates = 0;
  /** Every operation name received, faults included. */
  readonly operations: string[] = [];
  readonly faults = new FaultQueue();
  readonly tokens = new Set<string>(['lin_oauth_test_token']);
  /** The workspace's users; `user(id)` of anyone else is "Entity not found", as in Linear. */
  readonly users = new Map<string, LinearUserRecord>([
    [LINEAR_BOT_USER.id, LINEAR_BOT_USER],
    [LINEAR_APP_USER.id, LINEAR_APP_USER],
  ]);
  /** Who the token acts as: a person by default, the app user for an agent-mode tenant. */
  viewer: LinearUserRecord = LINEAR_BOT_USER;
  /** The agent sessions that exist; an activity in any other is "Entity not found". */
  readonly sessions = new Set<string>();
  /** Every activity agents posted, in order. */
  readonly activities: LinearActivityRecord[] = [];
  /** Every `agentSessionUpdate` input, in order. */
  readonly sessionUpdates: { id: string; input: Record<string, unknown> }[] = [];
  /** Called with each activity as it is stored (a test may hold something until it arrives). */
  onActivity: ((activity: LinearActivityRecord) => void) | undefined;
  #loopback: Loopback | undefined;

  get url(): string {
    if (!this.#loopback) throw new Error('LinearServer is not started');
    return `${this.#loopback.url}/graphql`;
  }

  async start(): Promise<this> {
    const app = newApp();
    app.post('/graphql', async (c) => {
      const request = (await c.req.json()) as {
        query: string;
        variables?: Record<string, unknown>;
        operationName?: string;
      };
      const operation = request.operationName ?? 'anonymous';
      this.operations.push(operation);
      const fault = this.faults.take(operation);
      if (fault) return faultResponse(fault);
      if (!this.#authorised(c.req.header('authorization'))) {
        return c.json(
          {
            errors: [
              {
                message: 'Authentication required, not authenticated',
                extensions: {
                  type: 'authentication error',
                  code: 'AUTHENTICATION_ERROR',
                  userPresentableMessage: 'You need to authenticate to access this operation.',
                },
              },
            ],
          },
          401,
        );
      }
      const result = await graphql({
        schema: SCHEMA,
        source: request.query,
        rootValue: this.#root(),
        ...(request.variables ? { variableValues: request.variables } : {}),
        ...(request.operationName ? { operationName: request.operationName } : {}),
      });
      const status = result.errors && !result.data ? 400 : 200;
      return c.json(result, status);
    });
    this.#loopback = await listen(app);
    return this;
  }

  async stop(): Promise<void> {
    await this.#loopback?.close();
  }

  addTeam(team: LinearTeamRecord): void {
    this.teams.set(team.id, team);
  }

  addIssue(issue: LinearIssueRecord): void {
    this.issues.set(issue.id, issue);
  }

  failNext(operation: string, ...faults: Fault[]): void {
    this.faults.add(operation, ...faults);
  }

  stateOf(issueId: string): LinearState | undefined {
    const issue = this.issues.get(issueId);
    return issue
      ? this.teams.get(issue.teamId)?.states.find((state) => state.id === issue.stateId)
      : undefined;
  }

  #authorised(header: string | undefined): boolean {
    if (!header) return false;
    const token = header.startsWith('Bearer ') ? header.slice(7) : header;
    // Personal API keys are sent bare, OAuth tokens as bearer tokens.
    if (token.startsWith('lin_api_') === header.startsWith('Bearer ')) return false;
    return this.tokens.has(token);
  }

  #issueView(issue: LinearIssueRecord) {
    const team = this.teams.get(issue.teamId);
    return {
      ...issue,
      creator: issue.creatorId ? this.users.get(issue.creatorId) : null,
      assignee: issue.assigneeId ? this.users.get(issue.assigneeId) : null,
      delegate: issue.delegateId ? this.users.get(issue.delegateId) : null,
      state: team?.states.find((state) => state.id === issue.stateId),
      team: team && this.#teamView(team),
      labels: () => ({ nodes: issue.labels }),
    };
  }

  #labelView(label: { id: string; name: string; teamId?: string }) {
    const team = label.teamId ? this.teams.get(label.teamId) : undefined;
    return { id: label.id, name: label.name, team: team ? this.#teamView(team) : null };
  }

  /** The names of the labels on an issue now. */
  labelsOf(issueId: string): string[] {
    return (this.issues.get(issueId)?.labels ?? []).map((label) => label.name);
  }

  #teamView(team: LinearTeamRecord) {
    return { ...team, states: () => ({ nodes: team.states }) };
  }

  #findIssue(ref: string): LinearIssueRecord {
    const issue =
      this.issues.get(ref) ?? [...this.issues.values()].find((candidate) => candidate.identifier === ref);
    if (!issue) throw notFound('Issue');
    return issue;
  }

  #root() {
    return {
      issue: ({ id }: { id: string }) => this.#issueView(this.#findIssue(id)),
      team: ({ id }: { id: string }) => {
        const team = this.teams.get(id);
        if (!team) throw notFound('Team');
        return this.#teamView(team);
      },
      comment: ({ id }: { id?: string }) => {
        const comment = id ? this.comments.get(id) : undefined;
        if (!comment) throw notFound('Comment');
        return { ...comment, issue: () => this.#issueView(this.#findIssue(comment.issueId)) };
      },
      viewer: () => this.viewer,
      user: ({ id }: { id: string }) => {
        const user = this.users.get(id);
        if (!user) throw notFound('User');
        return user;
      },
      organization: () => ({ id: 'org-1', name: 'Acme', urlKey: 'acme' }),
      issueUpdate: ({ id, input }: { id: string; input: IssueUpdate }) => {
        const issue = this.#findIssue(id);
        const team = this.teams.get(issue.teamId);
        if (input.stateId && !team?.states.some((state) => state.id === input.stateId))
          throw notFound('WorkflowState');
        for (const labelId of input.addedLabelIds ?? [])
          if (!this.labels.has(labelId)) throw notFound('IssueLabel');
        this.updateInputs.push({ issueId: issue.id, input: { ...input } });
        if (this.forgetUpdates > 0) {
          this.forgetUpdates--;
          return { success: true, issue: this.#issueView(issue) };
        }
        if (input.delegateId !== undefined) {
          if (!this.users.get(input.delegateId)?.app) throw notFound('User');
          issue.delegateId = input.delegateId;
        }
        if (input.stateId) {
          issue.stateId = input.stateId;
          this.updates.push({ issueId: issue.id, stateId: input.stateId });
        }
        const removed = new Set(input.removedLabelIds ?? []);
        issue.labels = issue.labels.filter((label) => !removed.has(label.id));
        for (const labelId of input.addedLabelIds ?? []) {
          const label = this.labels.get(labelId);
          if (label && !issue.labels.some((has) => has.id === labelId))
            issue.labels.push({ id: label.id, name: label.name });
        }
        issue.updatedAt = new Date(Date.parse(issue.updatedAt) + 1000).toISOString();
        return { success: true, issue: this.#issueView(issue) };
      },
      issueLabels: ({ filter }: { filter?: { name?: { eq?: string; eqIgnoreCase?: string } } }) => {
        const wanted = filter?.name;
        const nodes = [...this.labels.values()]
          .filter(
            (label) =>
              (wanted?.eq === undefined || label.name === wanted.eq) &&
              (wanted?.eqIgnoreCase === undefined ||
                label.name.toLowerCase() === wanted.eqIgnoreCase.toLowerCase()),
          )
          .map((label) => this.#labelView(label));
        return { nodes };
      },
      issueLabelCreate: ({ input }: { input: { name: string; teamId?: string } }) => {
        if (input.teamId && !this.teams.has(input.teamId)) throw notFound('Team');
        const taken = [...this.labels.values()].some(
          (label) =>
            label.name.toLowerCase() === input.name.toLowerCase() &&
            (label.teamId === undefined || label.teamId === input.teamId),
        );
        if (taken)
          throw new GraphQLError('duplicate label name', {
            extensions: { type: 'invalid input', userPresentableMessage: 'Duplicate label name.' },
          });
        const label = {
          id: `label-${this.labels.size + 1}-${input.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
          name: input.name,
          ...(input.teamId ? { teamId: input.teamId } : {}),
        };
        this.labels.set(label.id, label);
        return { success: true, issueLabel: this.#labelView(label) };
      },
      agentActivity: ({ id }: { id: string }) => {
        const activity = this.activities.find((candidate) => candidate.id === id);
        if (!activity) throw notFound('AgentActivity');
        return activity;
      },
      agentActivityCreate: ({
        input,
      }: {
        input: { id?: string; agentSessionId: string; content: Record<string, unknown> };
      }) => {
        if (!this.sessions.has(input.agentSessionId)) throw notFound('AgentSession');
        const id = input.id ?? crypto.randomUUID();
        if (!UUID_V4.test(id))
          throw new GraphQLError('Argument Validation Error', {
            extensions: { type: 'invalid input', userPresentableMessage: 'id must be a UUID v4' },
          });
        if (this.activities.some((activity) => activity.id === id))
          throw new GraphQLError('Entity already exists', {
            extensions: {
              type: 'invalid input',
              userPresentableMessage: 'An activity with this id already exists.',
            },
          });
        const activity = {
          id,
          agentSessionId: input.agentSessionId,
          content: input.content,
          receivedAt: Date.now(),
        };
        this.activities.push(activity);
        this.onActivity?.(activity);
        return { success: true, agentActivity: activity, lastSyncId: this.activities.length };
      },
      agentSessionUpdate: ({ id, input }: { id: string; input: Record<string, unknown> }) => {
        if (!this.sessions.has(id)) throw notFound('AgentSession');
        this.sessionUpdates.push({ id, input });
        return { success: true, agentSession: { id }, lastSyncId: this.sessionUpdates.length };
      },
      commentCreate: ({ input }: { input: { id?: string; issueId?: string; body?: string } }) => {
        const issue = this.#findIssue(input.issueId ?? '');
        const id = input.id ?? crypto.randomUUID();
        if (!UUID_V4.test(id))
          throw new GraphQLError('Argument Validation Error', {
            extensions: { type: 'invalid input', userPresentableMessage: 'id must be a UUID v4' },
          });
        if (this.comments.has(id))
          throw new GraphQLError('Entity already exists', {
            extensions: {
              type: 'invalid input',
              userPresentableMessage: 'A comment with this id already exists.',
            },
          });
        const comment = { id, issueId: issue.id, body: input.body ?? '' };
        this.comments.set(id, comment);
        return { success: true, comment };
      },
    };
  }
}
