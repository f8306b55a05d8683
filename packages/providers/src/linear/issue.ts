import type { WorkItem, WorkItemState } from '@software-factory/sdk';
import * as z from 'zod/mini';
import {
  everyOf,
  isBoolean,
  isFilledText,
  isNumber,
  isObject,
  isText,
  nullish,
  optional,
} from '../shared/quick-check.ts';
import { sameText } from '../shared/tracker-text.ts';

export { sameText };

/** Linear's workflow state categories. */
export const LINEAR_STATE_TYPES = [
  'triage',
  'backlog',
  'unstarted',
  'started',
  'completed',
  'canceled',
] as const;
export type LinearStateType = (typeof LINEAR_STATE_TYPES)[number];

/**
 * The issue fields the factory reads, as both a webhook's `data` and the GraphQL `issue` query carry
 * them (labels already flattened from `labels.nodes`). Unknown fields pass through untouched.
 */
export const linearIssueSchema = z.object({
  id: z.string().check(z.minLength(1)),
  identifier: z.optional(z.string().check(z.minLength(1))),
  number: z.optional(z.number()),
  title: z.string(),
  description: z.nullish(z.string()),
  url: z.nullish(z.string()),
  updatedAt: z.string().check(z.minLength(1)),
  teamId: z.optional(z.string()),
  stateId: z.optional(z.string()),
  state: z.object({ id: z.string(), name: z.string(), type: z.string() }),
  team: z.nullish(z.object({ id: z.string(), key: z.string(), name: z.optional(z.string()) })),
  project: z.nullish(z.object({ id: z.string(), name: z.string() })),
  labels: z.optional(z.array(z.object({ id: z.optional(z.string()), name: z.string() }))),
  labelIds: z.optional(z.array(z.string())),
  priority: z.optional(z.number()),
  trashed: z.nullish(z.boolean()),
});
export type LinearIssue = z.infer<typeof linearIssueSchema>;

/** `linearIssueSchema`'s verdict on a well-formed issue, without its machinery (`quick-check.ts`). */
export function isLinearIssue(value: unknown): value is LinearIssue {
  if (!isObject(value)) return false;
  const { state, team, project } = value;
  return (
    isFilledText(value.id) &&
    optional(value.identifier, isFilledText) &&
    optional(value.number, isNumber) &&
    isText(value.title) &&
    nullish(value.description, isText) &&
    nullish(value.url, isText) &&
    isFilledText(value.updatedAt) &&
    optional(value.teamId, isText) &&
    optional(value.stateId, isText) &&
    isObject(state) &&
    isText(state.id) &&
    isText(state.name) &&
    isText(state.type) &&
    nullish(
      team,
      (entry) => isObject(entry) && isText(entry.id) && isText(entry.key) && optional(entry.name, isText),
    ) &&
    nullish(project, (entry) => isObject(entry) && isText(entry.id) && isText(entry.name)) &&
    optional(value.labels, (labels) =>
      everyOf(labels, (label) => isObject(label) && optional(label.id, isText) && isText(label.name)),
    ) &&
    optional(value.labelIds, (ids) => everyOf(ids, isText)) &&
    optional(value.priority, isNumber) &&
    nullish(value.trashed, isBoolean)
  );
}

const BY_TYPE: Record<LinearStateType, WorkItemState> = {
  triage: 'backlog',
  backlog: 'backlog',
  unstarted: 'todo',
  started: 'in-progress',
  completed: 'done',
  canceled: 'cancelled',
};

/**
 * The abstract state of a Linear workflow state: an explicit mapping by name wins, then a started
 * state whose name says "review" is in review, then the category decides.
 */
export function abstractState(
  state: { name: string; type: string },
  byName: Readonly<Record<string, WorkItemState>>,
): WorkItemState {
  const named = Object.entries(byName).find(([name]) => sameText(name, state.name));
  if (named) return named[1];
  if (state.type === 'started' && /review/i.test(state.name)) return 'in-review';
  return BY_TYPE[state.type as LinearStateType] ?? 'backlog';
}

export interface IssueMappingOptions {
  provider: string;
  stateNames: Readonly<Record<string, WorkItemState>>;
  /** The issue's URL when the issue itself does not carry one (webhooks put it beside `data`). */
  url?: string;
}

export function issueToWorkItem(issue: LinearIssue, options: IssueMappingOptions): WorkItem {
  const url = issue.url ?? options.url ?? undefined;
  const key =
    issue.identifier ?? keyFromUrl(url) ?? `${issue.team?.key ?? 'ISSUE'}-${issue.number ?? issue.id}`;
  const teamId = issue.team?.id ?? issue.teamId;
  return {
    id: issue.id,
    key,
    title: issue.title,
    description: issue.description ?? '',
    state: abstractState(issue.state, options.stateNames),
    labels: (issue.labels ?? []).map((label) => label.name),
    ...(issue.team?.key ? { team: issue.team.key } : {}),
    ...(issue.project?.name ? { project: issue.project.name } : {}),
    updatedAt: issue.updatedAt,
    source: { provider: options.provider, externalId: issue.id, ...(url ? { url } : {}) },
    metadata: {
      linearStateId: issue.state.id,
      linearStateName: issue.state.name,
      linearStateType: issue.state.type,
      ...(teamId ? { linearTeamId: teamId } : {}),
    },
  };
}

/** `ENG-123` from `https://linear.app/<org>/issue/ENG-123/<slug>`. */
export function keyFromUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  return /\/issue\/([A-Za-z][A-Za-z0-9]*-\d+)(?:[/?#]|$)/.exec(url)?.[1];
}
