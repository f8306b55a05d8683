import type { WorkItem, WorkItemState } from '@software-factory/sdk';
import * as z from 'zod/mini';
import { sameText } from '../shared/tracker-text.ts';
import { adfToText, isAdfDocument } from './atlassian-document.ts';

export { sameText };

/** Jira's three status categories (plus `undefined`, which Jira reports for a category it lost). */
export const JIRA_STATUS_CATEGORIES = ['new', 'indeterminate', 'done'] as const;
export type JiraStatusCategory = (typeof JIRA_STATUS_CATEGORIES)[number];

/** A Jira issue key: project key, a dash, a number (`PROJ-12`). */
export const JIRA_KEY = /^[A-Z][A-Z0-9_]*-\d+$/;

export const jiraStatusSchema = z.object({
  id: z.string().check(z.minLength(1)),
  name: z.string().check(z.minLength(1)),
  statusCategory: z.object({ key: z.string().check(z.minLength(1)) }),
});
export type JiraStatus = z.infer<typeof jiraStatusSchema>;

/**
 * The issue fields the factory reads. Webhooks carry the REST v2 shape (description as text), the v3 API
 * ADF; both are accepted. Unknown fields (custom fields, avatars) pass through untouched.
 */
export const jiraIssueSchema = z.object({
  id: z.string().check(z.minLength(1)),
  key: z.string().check(z.regex(JIRA_KEY, 'a Jira issue key such as PROJ-12')),
  self: z.optional(z.string()),
  fields: z.object({
    summary: z.string(),
    description: z.optional(z.unknown()),
    labels: z._default(z.array(z.string()), []),
    status: jiraStatusSchema,
    project: z.object({
      id: z.string().check(z.minLength(1)),
      key: z.string().check(z.minLength(1)),
      name: z.optional(z.string()),
    }),
    issuetype: z.optional(z.object({ id: z.string().check(z.minLength(1)), name: z.optional(z.string()) })),
    updated: z.optional(z.string().check(z.minLength(1))),
    created: z.optional(z.string()),
  }),
});
export type JiraIssue = z.infer<typeof jiraIssueSchema>;

const BY_CATEGORY: Record<string, WorkItemState> = {
  new: 'todo',
  indeterminate: 'in-progress',
  done: 'done',
};

/** Explicit names win; then a started status whose name says "review"; then the category. */
export function jiraAbstractState(
  status: JiraStatus,
  byName: Readonly<Record<string, WorkItemState>>,
): WorkItemState {
  const named = Object.entries(byName).find(([name]) => sameText(name, status.name));
  if (named) return named[1];
  if (status.statusCategory.key === 'indeterminate' && /review/i.test(status.name)) return 'in-review';
  return BY_CATEGORY[status.statusCategory.key] ?? 'backlog';
}

export interface JiraMappingOptions {
  provider: string;
  siteUrl: string;
  stateNames: Readonly<Record<string, WorkItemState>>;
  /** When the issue carries no `updated` (some webhook shapes), the delivery's own time. */
  fallbackUpdatedAt?: number;
}

export function jiraIssueToWorkItem(issue: JiraIssue, options: JiraMappingOptions): WorkItem {
  const { fields } = issue;
  const url = `${options.siteUrl.replace(/\/+$/, '')}/browse/${issue.key}`;
  const updated = fields.updated ? jiraTimeToIso(fields.updated) : undefined;
  return {
    id: issue.id,
    key: issue.key,
    title: fields.summary,
    description: descriptionText(fields.description),
    state: jiraAbstractState(fields.status, options.stateNames),
    labels: [...fields.labels],
    project: fields.project.key,
    updatedAt: updated ?? new Date(options.fallbackUpdatedAt ?? 0).toISOString(),
    source: { provider: options.provider, externalId: issue.id, url },
    metadata: {
      jiraStatusId: fields.status.id,
      jiraStatusName: fields.status.name,
      jiraStatusCategory: fields.status.statusCategory.key,
      jiraProjectId: fields.project.id,
      ...(fields.issuetype ? { jiraIssueTypeId: fields.issuetype.id } : {}),
    },
  };
}

function descriptionText(description: unknown): string {
  if (typeof description === 'string') return description;
  if (isAdfDocument(description)) return adfToText(description);
  return '';
}

/**
 * Jira writes times as `2019-02-15T19:01:52.971-0800`; the core compares ISO-8601 strings by `Date.parse`,
 * which does not promise to read an offset without a colon. Returns undefined for what is not a time.
 */
export function jiraTimeToIso(value: string): string | undefined {
  const withColon = value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const time = Date.parse(withColon);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}
