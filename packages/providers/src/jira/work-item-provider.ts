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
import { keyDigest } from '../shared/deterministic-uuid.ts';
import { JsonRestClient } from '../shared/json-rest-client.ts';
import { markerChanges, missingMarkers } from '../shared/lifecycle-markers.ts';
import { parseConfig, scopeStatus } from '../shared/provider-config.ts';
import type { TokenSource } from '../shared/provider-credentials.ts';
import { NotAuthorisedError, ProviderApiError } from '../shared/provider-errors.ts';
import { isTraceId } from '../shared/trace-metadata.ts';
import { inReadyStateWithLabels } from '../shared/tracker-text.ts';
import { writeOnce } from '../shared/write-once.ts';
import { writebackSchema } from '../shared/writeback-schema.ts';
import {
  ATLASSIAN_API_GATEWAY,
  accessibleResourcesUrl,
  sameSite,
  siteApiUrl,
} from './accessible-resources.ts';
import { textToAdf } from './atlassian-document.ts';
import {
  JIRA_KEY,
  JIRA_STATUS_CATEGORIES,
  type JiraIssue,
  type JiraStatus,
  jiraIssueSchema,
  jiraIssueToWorkItem,
  sameText,
} from './issue.ts';

/**
 * Jira OAuth 2.0 (3LO) classic scopes: `read:jira-work` to read issues and comments, `write:jira-work`
 * to transition and comment, `read:jira-user` for `GET /myself` (who the factory is, so its own comments
 * are never taken as answers). An API token (Basic auth) carries its user's permissions instead.
 */
export const JIRA_REQUIRED_SCOPES = ['read:jira-work', 'write:jira-work', 'read:jira-user'] as const;

/** The entity property on each comment the factory writes: a digest of the write's idempotency key. */
export const JIRA_COMMENT_PROPERTY = 'factory-idempotency';

/** The entity property that carries the run's W3C trace id: metadata Jira never shows to readers. */
export const JIRA_TRACE_PROPERTY = 'factory-trace';

/** A Jira label is one word: Jira refuses spaces in labels. */
const jiraLabel = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(255),
    z.regex(/^\S+$/, 'a Jira label has no spaces (e.g. factory:in-progress)'),
  );

/** How many users' account types one process keeps. */
const ACCOUNT_TYPE_CACHE = 1000;

const ISSUE_FIELDS = 'summary,description,labels,status,project,issuetype,updated';

const statusRef = z
  .strictObject({
    status: z.optional(z.string().check(z.minLength(1))),
    category: z.optional(z.enum(JIRA_STATUS_CATEGORIES)),
  })
  .check(
    z.refine(
      (ref) => ref.status !== undefined || ref.category !== undefined,
      'give a status name or a category',
    ),
  );
type StatusRef = z.output<typeof statusRef>;

export const jiraConfigSchema = z.strictObject({
  provider: z._default(z.string().check(z.minLength(1)), 'jira'),
  /** The site people browse, e.g. https://acme.atlassian.net; issue links point here. */
  siteUrl: z.url({ protocol: /^https?$/ }),
  /**
   * Where the REST API is for a token given in the config: the site itself with an API token, or
   * `https://api.atlassian.com/ex/jira/<cloudId>` with an OAuth 2.0 (3LO) token. Default: `siteUrl`.
   * A token `factory connect` stored names its site's cloud id and goes through `apiGatewayUrl`.
   */
  apiUrl: z.optional(z.url({ protocol: /^https?$/ })),
  /** With an API token: the account's email, for Basic auth. Without it the token is an OAuth bearer token. */
  email: z.optional(z.email()),
  /**
   * Atlassian's API gateway, which a connected (3LO) token calls as `<gateway>/ex/jira/<cloud id>/rest/…`.
   * Only a stand-in for Atlassian (the tests' loopback server) sets it.
   */
  apiGatewayUrl: z._default(z.url({ protocol: /^https?$/ }), ATLASSIAN_API_GATEWAY),
  /** Where an OAuth token's sites and scopes are listed. Default: the gateway's `/oauth/token/accessible-resources`. */
  accessibleResourcesUrl: z.optional(z.url({ protocol: /^https?$/ })),
  /** Status names or categories (`new`, `indeterminate`, `done`) that mean "ready for an agent". */
  readyStatuses: z._default(z.array(z.string().check(z.minLength(1))).check(z.minLength(1)), ['To Do']),
  /** Labels an issue must carry to be dispatched; an empty list means every ready issue. */
  requiredLabels: z._default(z.array(z.string().check(z.minLength(1))), ['factory']),
  /** Only issues of these projects; every project when empty. */
  projects: z._default(
    z.array(z.string().check(z.regex(/^[A-Z][A-Z0-9_]*$/, 'a Jira project key such as PROJ'))),
    [],
  ),
  /**
   * Where the factory moves an issue, by status name or category; transition ids are looked up, never
   * configured. `needsReview` (e.g. `{ status: 'In Review' }`) applies with `completion.on: merged` once
   * the output is ready; without it the status stays and only the marker says so.
   */
  writeback: writebackSchema(statusRef, {
    dispatched: { category: 'indeterminate' },
    done: { category: 'done' },
  }),
  /** Labels the factory puts on an issue while it works on it, and takes off at done or cancel. None by default. */
  markers: z._default(
    z.strictObject({ inProgress: z.optional(jiraLabel), needsReview: z.optional(jiraLabel) }),
    {},
  ),
  /** Status names mapped to the core's abstract states, where the category says too little. */
  stateNames: z._default(z.record(z.string().check(z.minLength(1)), z.enum(WORK_ITEM_STATES)), {}),
  /** The factory's own account id; asked from `GET /myself` when absent. */
  botAccountId: z.optional(z.string().check(z.minLength(1))),
  /** How many recent comments to search for an earlier attempt of the same comment. */
  lookback: z._default(z.int().check(z.minimum(1), z.maximum(100)), 50),
});
export type JiraConfig = z.input<typeof jiraConfigSchema>;

export interface JiraProviderOptions extends JiraConfig {
  /** An API token (with `email`) or an OAuth access token. */
  token?: TokenSource;
  fetch?: Fetch;
  retry?: RetryOptions;
}

interface Transition {
  id: string;
  name: string;
  to: JiraStatus;
}

interface JiraComment {
  id: string;
  author?: { accountId?: string };
  properties?: { key: string; value: unknown }[];
}

/** Jira Cloud as the factory's intake: reads issues, transitions them, comments in ADF. */
export class JiraWorkItemProvider implements WorkItemProvider {
  readonly provider: string;
  readonly requiredScopes = JIRA_REQUIRED_SCOPES;
  readonly client: JsonRestClient;
  readonly #config: z.output<typeof jiraConfigSchema>;
  /** Transitions by workflow position (project, issue type, status): ids are looked up once, never configured. */
  readonly #transitions = new Map<string, Promise<Transition[]>>();
  #accountId: Promise<string> | undefined;
  readonly #accountTypes = new Map<string, string>();

  constructor(options: JiraProviderOptions) {
    const { token, fetch, retry, ...config } = options;
    this.#config = parseConfig(jiraConfigSchema, config, 'Jira provider');
    this.provider = this.#config.provider;
    const email = this.#config.email;
    const parsed = this.#config;
    this.client = new JsonRestClient({
      provider: this.provider,
      vendor: 'Jira',
      // A connected token names its site (a cloud id): it is only accepted through Atlassian's gateway.
      baseUrl: (credential) =>
        credential.resource ? siteApiUrl(parsed, credential.resource.id) : (parsed.apiUrl ?? parsed.siteUrl),
      ...(token !== undefined ? { token } : {}),
      authorization: (credential) => ({
        authorization:
          email && !credential.resource
            ? `Basic ${base64(`${email}:${credential.accessToken}`)}`
            : `Bearer ${credential.accessToken}`,
      }),
      reasonOf: jiraReason,
      ...(fetch ? { fetch } : {}),
      ...(retry ? { retry } : {}),
    });
  }

  /** Normalises an issue as a webhook or the API carries it. */
  toWorkItem(issue: JiraIssue, fallbackUpdatedAt?: number): WorkItem {
    return jiraIssueToWorkItem(issue, {
      provider: this.provider,
      siteUrl: this.#config.siteUrl,
      stateNames: this.#config.stateNames,
      ...(fallbackUpdatedAt !== undefined ? { fallbackUpdatedAt } : {}),
    });
  }

  /** Whether the factory follows issues of this project at all. */
  followsProject(projectKey: string | undefined): boolean {
    return this.#config.projects.length === 0 || this.#config.projects.includes(projectKey ?? '');
  }

  isReadyForDispatch(item: WorkItem): boolean {
    if (!this.followsProject(item.project)) return false;
    return inReadyStateWithLabels(
      [item.metadata.jiraStatusName, item.metadata.jiraStatusCategory],
      this.#config.readyStatuses,
      item.labels,
      this.#config.requiredLabels,
    );
  }

  /**
   * Sets the marker labels, then transitions (a done status may forbid edits), then reads the issue back:
   * a write Jira acknowledged but did not keep throws, so the core retries it. An issue already where it
   * should be is not written again.
   */
  async setState(item: WorkItem, state: WritebackState, options: WriteOptions): Promise<void> {
    options.signal?.throwIfAborted();
    const target = this.#targetOf(state);
    const markers = markerChanges(state, this.#config.markers);
    // Read now: the item may be a stale snapshot, and a retry must not transition twice.
    const issue = await this.#readIssue(item.key, 'status,project,issuetype,labels');
    if (unkept(issue, target, markers).length === 0) return;
    if (missingMarkers(issue.fields.labels, markers, sameText).length > 0) {
      const operations = [
        ...markers.add.map((label) => ({ add: label })),
        ...markers.remove
          .flatMap((label) => issue.fields.labels.filter((has) => sameText(has, label)))
          .map((label) => ({ remove: label })),
      ];
      await this.client.request('PUT', `/rest/api/3/issue/${encodeURIComponent(item.key)}`, {
        body: { update: { labels: operations } },
      });
    }
    if (target && !matches(target, issue.fields.status)) await this.#transition(item, issue, target);
    const after = await this.#readIssue(item.key, 'status,labels');
    const missing = unkept(after, target, markers);
    if (missing.length > 0)
      throw new ProviderApiError(
        this.provider,
        `Jira did not keep ${state} on ${item.key}: ${missing.join('; ')}`,
      );
  }

  #targetOf(state: WritebackState): StatusRef | undefined {
    const { writeback } = this.#config;
    if (state === 'dispatched') return writeback.dispatched;
    if (state === 'needs-review') return writeback.needsReview;
    if (state === 'done') return writeback.done;
    return undefined;
  }

  async #transition(item: WorkItem, issue: JiraIssue, target: StatusRef): Promise<void> {
    const status = issue.fields.status;
    const position = `${issue.fields.project.id}/${issue.fields.issuetype?.id ?? '-'}/${status.id}`;
    const transitions = await this.#transitionsAt(position, item.key);
    const transition = transitions.find((candidate) => matches(target, candidate.to));
    if (!transition) {
      this.#transitions.delete(position);
      throw new ProviderApiError(
        this.provider,
        `Jira has no transition from "${status.name}" to ${describeRef(target)} for ${item.key} (available: ${
          transitions.map((candidate) => `"${candidate.to.name}"`).join(', ') || 'none'
        })`,
      );
    }
    try {
      await this.client.request('POST', `/rest/api/3/issue/${encodeURIComponent(item.key)}/transitions`, {
        body: { transition: { id: transition.id } },
      });
    } catch (error) {
      // The workflow may have changed since the transitions were cached.
      this.#transitions.delete(position);
      throw error;
    }
  }

  /**
   * Jira has no idempotency key: each comment carries an entity property with a digest of the key, and a
   * write first reads back the issue's recent comments (`POST /comment/list?expand=properties`) for it.
   */
  async postComment(item: WorkItem, body: string, options: WriteOptions): Promise<void> {
    options.signal?.throwIfAborted();
    const digest = await keyDigest(options.idempotencyKey);
    await writeOnce(
      () => this.#commentExists(item.key, digest),
      async () => {
        await this.client.request('POST', `/rest/api/3/issue/${encodeURIComponent(item.key)}/comment`, {
          body: {
            body: textToAdf(body),
            properties: [
              { key: JIRA_COMMENT_PROPERTY, value: { key: digest } },
              ...(isTraceId(options.traceId)
                ? [{ key: JIRA_TRACE_PROPERTY, value: { traceId: options.traceId } }]
                : []),
            ],
          },
          notIdempotent: true,
          signal: options.signal,
        });
        return true;
      },
    );
  }

  async getWorkItem(ref: string): Promise<WorkItem | undefined> {
    const idOrKey = this.#issueRef(ref);
    if (!idOrKey) return undefined;
    try {
      return this.toWorkItem(await this.#readIssue(idOrKey, ISSUE_FIELDS));
    } catch (error) {
      if (error instanceof ProviderApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** The factory's own Jira account id: its comments are never answers. */
  accountId(): Promise<string> {
    if (this.#config.botAccountId) return Promise.resolve(this.#config.botAccountId);
    if (!this.#accountId) {
      this.#accountId = this.#myself().then((me) => me.accountId);
      this.#accountId.catch(() => {
        this.#accountId = undefined;
      });
    }
    return this.#accountId;
  }

  /**
   * The `accountType` of a user (`atlassian`: a person with an Atlassian account on the site; `customer`:
   * a service-desk customer; `app`: an app user), from `GET /rest/api/3/user` (scope `read:jira-user`).
   * Kept for the process: an account's type does not change.
   */
  async accountType(accountId: string): Promise<string | undefined> {
    const known = this.#accountTypes.get(accountId);
    if (known) return known;
    let body: { accountType?: unknown } | undefined;
    try {
      ({ body } = await this.client.request<{ accountType?: unknown }>('GET', '/rest/api/3/user', {
        query: { accountId },
      }));
    } catch (error) {
      // Jira answers 404 for an account it does not show us (deleted, or of another site).
      if (error instanceof ProviderApiError && error.status === 404) return undefined;
      throw error;
    }
    const type = typeof body?.accountType === 'string' ? body.accountType : undefined;
    if (type) {
      if (this.#accountTypes.size >= ACCOUNT_TYPE_CACHE) {
        const oldest = this.#accountTypes.keys().next().value;
        if (oldest !== undefined) this.#accountTypes.delete(oldest);
      }
      this.#accountTypes.set(accountId, type);
    }
    return type;
  }

  /** The account ids of an issue's reporter and assignee, as the issue is now. */
  async reporterAndAssignee(issueIdOrKey: string): Promise<{ reporter?: string; assignee?: string }> {
    const { body } = await this.client.request<{
      fields?: { reporter?: { accountId?: unknown } | null; assignee?: { accountId?: unknown } | null };
    }>('GET', `/rest/api/3/issue/${encodeURIComponent(issueIdOrKey)}`, {
      query: { fields: 'reporter,assignee' },
    });
    const reporter = body?.fields?.reporter?.accountId;
    const assignee = body?.fields?.assignee?.accountId;
    return {
      ...(typeof reporter === 'string' ? { reporter } : {}),
      ...(typeof assignee === 'string' ? { assignee } : {}),
    };
  }

  async checkConnection(): Promise<ConnectionStatus> {
    try {
      const credential = await this.client.credential();
      if (!credential) return { state: 'needs-auth', reason: 'no Jira token is configured' };
      const granted = credential.resource?.url;
      if (granted !== undefined && !sameSite(granted, this.#config.siteUrl))
        return {
          state: 'needs-auth',
          reason: `the stored token is for ${granted}, not ${this.#config.siteUrl}; run \`factory connect ${this.provider}\``,
        };
      const me = await this.#myself();
      const identity = `${me.emailAddress ?? me.displayName ?? me.accountId} @ ${new URL(this.#config.siteUrl).host}`;
      if (this.#config.email && !credential.resource) {
        // An API token acts with its user's permissions; Jira reports no scopes for it.
        return scopeStatus(
          identity,
          this.requiredScopes,
          credential.scopes.length > 0 ? credential.scopes : undefined,
        );
      }
      const site = await this.#accessibleSite();
      if (!site)
        return {
          state: 'needs-auth',
          reason: `the OAuth token has no access to ${this.#config.siteUrl}; run \`factory connect ${this.provider}\``,
        };
      return scopeStatus(identity, this.requiredScopes, site.scopes);
    } catch (error) {
      if (error instanceof NotAuthorisedError) return { state: 'needs-auth', reason: error.message };
      return { state: 'error', message: errorMessage(error) };
    }
  }

  async #readIssue(idOrKey: string, fields: string): Promise<JiraIssue> {
    const { body } = await this.client.request<unknown>(
      'GET',
      `/rest/api/3/issue/${encodeURIComponent(idOrKey)}`,
      {
        query: { fields },
      },
    );
    const parsed = jiraIssueSchema.safeParse(withDefaults(body));
    if (!parsed.success)
      throw new ProviderApiError(
        this.provider,
        `Jira returned an issue we cannot read: ${parsed.error.message}`,
      );
    return parsed.data;
  }

  #transitionsAt(position: string, key: string): Promise<Transition[]> {
    let cached = this.#transitions.get(position);
    if (!cached) {
      cached = this.client
        .request<{ transitions?: Transition[] }>(
          'GET',
          `/rest/api/3/issue/${encodeURIComponent(key)}/transitions`,
        )
        .then((response) => response.body.transitions ?? []);
      cached.catch(() => this.#transitions.delete(position));
      this.#transitions.set(position, cached);
    }
    return cached;
  }

  async #commentExists(key: string, digest: string): Promise<boolean> {
    const { body } = await this.client.request<{ comments?: JiraComment[] }>(
      'GET',
      `/rest/api/3/issue/${encodeURIComponent(key)}/comment`,
      { query: { orderBy: '-created', maxResults: this.#config.lookback } },
    );
    const ids = (body.comments ?? []).map((comment) => Number(comment.id)).filter(Number.isFinite);
    if (ids.length === 0) return false;
    // The issue's comment list does not expand properties; the by-ids list does.
    const { body: listed } = await this.client.request<{ values?: JiraComment[] }>(
      'POST',
      '/rest/api/3/comment/list',
      {
        query: { expand: 'properties' },
        body: { ids },
      },
    );
    return (listed.values ?? []).some((comment) =>
      (comment.properties ?? []).some(
        (property) =>
          property.key === JIRA_COMMENT_PROPERTY &&
          (property.value as { key?: unknown } | null)?.key === digest,
      ),
    );
  }

  async #myself(): Promise<{ accountId: string; displayName?: string; emailAddress?: string }> {
    const { body } = await this.client.request<{
      accountId?: string;
      displayName?: string;
      emailAddress?: string;
    }>('GET', '/rest/api/3/myself');
    if (!body?.accountId) throw new ProviderApiError(this.provider, 'Jira GET /myself returned no accountId');
    return { ...body, accountId: body.accountId };
  }

  async #accessibleSite(): Promise<{ scopes: string[] } | undefined> {
    const { body } = await this.client.request<{ url?: string; scopes?: string[] }[]>('GET', '', {
      url: accessibleResourcesUrl(this.#config),
    });
    const resource = (Array.isArray(body) ? body : []).find((candidate) =>
      sameSite(candidate.url ?? '', this.#config.siteUrl),
    );
    return resource ? { scopes: resource.scopes ?? [] } : undefined;
  }

  /** An issue key, a numeric id, or a browse URL of this site; undefined for anything else. */
  #issueRef(ref: string): string | undefined {
    const trimmed = ref.trim();
    if (JIRA_KEY.test(trimmed) || /^\d+$/.test(trimmed)) return trimmed;
    const browse = /^(https?:\/\/[^/]+)\/browse\/([A-Z][A-Z0-9_]*-\d+)(?:[/?#]|$)/.exec(trimmed);
    if (browse && sameSite(browse[1] as string, this.#config.siteUrl)) return browse[2];
    return undefined;
  }
}

/** What a read of the issue lacks of a write-back: the status, markers on, markers off. */
function unkept(
  issue: JiraIssue,
  target: StatusRef | undefined,
  markers: { add: string[]; remove: string[] },
): string[] {
  const missing = missingMarkers(issue.fields.labels, markers, sameText);
  if (target && !matches(target, issue.fields.status))
    missing.unshift(`it is in "${issue.fields.status.name}", not ${describeRef(target)}`);
  return missing;
}

function matches(ref: StatusRef, status: JiraStatus): boolean {
  if (ref.status !== undefined) return sameText(ref.status, status.name);
  return status.statusCategory.key === ref.category;
}

function describeRef(ref: StatusRef): string {
  return ref.status !== undefined ? `status "${ref.status}"` : `a status of category "${ref.category}"`;
}

/** `fields=…` leaves out what the issue lacks; the schema needs the summary and labels to be there. */
function withDefaults(body: unknown): unknown {
  const issue = body as { fields?: Record<string, unknown> } | undefined;
  if (!issue?.fields) return body;
  return { ...issue, fields: { summary: '', labels: [], ...issue.fields } };
}

function jiraReason(body: unknown): string | undefined {
  const error = body as
    | { errorMessages?: string[]; errors?: Record<string, string>; message?: string }
    | undefined;
  const messages = [...(error?.errorMessages ?? []), ...Object.values(error?.errors ?? {})];
  return messages.length > 0 ? messages.join('; ') : error?.message;
}

function base64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
