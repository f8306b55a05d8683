import { readFileSync } from 'node:fs';

/**
 * Turns vendor payloads (the fixtures) into the files relayfile mounts, in its layout: the issue record
 * at `/linear/issues/<identifier>__<uuid>.json`, a thread reply's `meta.json`, a pull request's
 * `meta.json` with relayfile's camelCase metadata.
 */
export function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;
}

export const TRACKER_STATES = {
  todo: { id: 'e788ada6-xxxx-xxxx-xxxx-5717c26104ad', name: 'Todo', type: 'unstarted' },
  inProgress: { id: '5e2c0b9a-0000-4000-8000-00000000a001', name: 'In Progress', type: 'started' },
  done: { id: '5e2c0b9a-0000-4000-8000-00000000a002', name: 'Done', type: 'completed' },
  inReview: { id: '5e2c0b9a-0000-4000-8000-00000000a003', name: 'In Review', type: 'started' },
} as const;

export const STATE_IDS = { dispatched: TRACKER_STATES.inProgress.id, done: TRACKER_STATES.done.id };

const CLEAR_DESCRIPTION =
  'The export command prints a table. Add a --json flag that prints the same rows as JSON.\n\n' +
  'Acceptance criteria:\n- `export --json` prints a JSON array\n- the table output is unchanged';

/**
 * The Linear capture (`issue.update.cycle-and-state`: an issue moved to Todo) as relayfile's issue
 * record. The capture predates `identifier`, `labels` and a description; a scenario adds them.
 */
export function issueFile(
  overrides: {
    id?: string;
    number?: number;
    labels?: string[];
    description?: string;
    updatedAt?: string;
    title?: string;
  } = {},
) {
  const payload = fixture('linear/issue.update.cycle-and-state.korosuke613.json');
  const data = payload.data as Record<string, unknown> & { team: { key: string } };
  const number = overrides.number ?? (data.number as number);
  const id = overrides.id ?? (data.id as string);
  const identifier = `${data.team.key}-${number}`;
  const record = {
    ...data,
    id,
    number,
    identifier,
    title: overrides.title ?? 'Add a --json flag to the export command',
    description: overrides.description ?? CLEAR_DESCRIPTION,
    labels: (overrides.labels ?? ['factory']).map((name, index) => ({ id: `label-${index}`, name })),
    url: `https://linear.app/korosuke613/issue/${identifier}/json-export`,
    updatedAt: overrides.updatedAt ?? (data.updatedAt as string),
  };
  return { path: `/linear/issues/${identifier}__${id}.json`, content: JSON.stringify(record), record };
}

/** The bolt-python thread reply as relayfile's reply `meta.json` in channel folder `channel`. */
export function replyFile(
  channel = 'C111__general',
  overrides: { ts?: string; threadTs?: string; text?: string } = {},
) {
  const event = fixture('slack/event_callback.message.thread_reply.channel.json').event as Record<
    string,
    unknown
  >;
  const ts = overrides.ts ?? (event.ts as string);
  const threadTs = overrides.threadTs ?? (event.thread_ts as string);
  const meta = { ...event, ts, thread_ts: threadTs, ...(overrides.text ? { text: overrides.text } : {}) };
  const token = (value: string) => value.replace('.', '_');
  return {
    path: `/slack/channels/${channel}/threads/${token(threadTs)}/replies/${token(ts)}/meta.json`,
    content: JSON.stringify(meta),
  };
}

/** A GitHub `pull_request` webhook example as relayfile's pull request `meta.json`. */
export function pullFile(
  name = 'github/pull_request.ready_for_review.json',
  overrides: { branch?: string; draft?: boolean; merged?: boolean; title?: string; number?: number } = {},
) {
  const payload = fixture(name) as {
    pull_request: Record<string, unknown> & Pull;
    repository: { full_name: string };
  };
  const pull = payload.pull_request;
  const number = overrides.number ?? pull.number;
  const meta = {
    number,
    title: overrides.title ?? pull.title,
    body: pull.body,
    state: pull.state,
    draft: overrides.draft ?? pull.draft,
    merged: overrides.merged ?? pull.merged ?? false,
    createdAt: pull.created_at,
    updatedAt: pull.updated_at,
    closedAt: pull.closed_at,
    mergedAt: overrides.merged ? pull.updated_at : pull.merged_at,
    htmlUrl: pull.html_url.replace(/\/\d+$/, `/${number}`),
    head: { label: pull.head.label, ref: overrides.branch ?? pull.head.ref, sha: pull.head.sha, repo: null },
    base: { label: pull.base.label, ref: pull.base.ref, sha: pull.base.sha, repo: null },
  };
  const slug = String(meta.title)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);
  return {
    path: `/github/repos/${payload.repository.full_name}/pulls/${number}__${slug}/meta.json`,
    content: JSON.stringify(meta),
    repository: payload.repository.full_name,
  };
}

interface Pull {
  number: number;
  title: string;
  body: string | null;
  state: string;
  draft: boolean;
  merged?: boolean;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  merged_at: string | null;
  html_url: string;
  head: { label: string; ref: string; sha: string };
  base: { label: string; ref: string; sha: string };
}
