import type {
  ConnectionStatus,
  Mount,
  WorkItem,
  WorkItemProvider,
  WorkItemState,
  WritebackState,
  WriteOptions,
} from '@software-factory/sdk';
import { errorMessage } from '@software-factory/sdk';
import { draftFileName } from './draft-name.ts';
import { isRecord, parseMountedRecord, recordField, stringField } from './json-file.ts';
import type { MountEventSource, MountInterpretation } from './mount-event-source.ts';
import { withHiddenTrace } from './trace-comment.ts';

// relayfile's layout for the tracker: one file per issue, `<identifier or slug>__<uuid>.json`, directly
// in the issues folder, holding the issue (bare, or inside the cloud sync's `{ objectType, deleted,
// payload }`); comments are created by writing a draft into `<uuid>/comments/`; a state change is a
// partial write of `stateId` (and `labelIds`, for markers) to the issue file.
const ISSUES = '/linear/issues';
const ISSUE_FILE = /^\/linear\/issues\/([^/]+)__([^/]+)\.json$/;
const KEY = /^[A-Z][A-Z0-9]*-\d+$/;

export interface MountWorkItemProviderOptions {
  mount: Mount;
  /** The provider's config name; defaults to `linear`. */
  provider?: string;
  /**
   * The tracker's workflow state ids the factory moves items to; `needsReview` (optional) is used with
   * `completion.on: merged` once the output is ready.
   */
  stateIds: { dispatched: string; done: string; needsReview?: string };
  /**
   * Label ids (relayfile writes ids) the factory puts on an item while it works on it and takes off at
   * done or cancel. None by default. The write is the item's whole `labelIds` list.
   */
  markerLabelIds?: { inProgress?: string; needsReview?: string };
  /** The state an item must be in to be dispatched; defaults to `todo`. */
  readyState?: WorkItemState;
  /** Labels an item must carry to be dispatched; defaults to `factory`. */
  readyLabels?: readonly string[];
}

/** The tracker as relayfile mounts it. */
export class MountWorkItemProvider implements WorkItemProvider, MountEventSource {
  readonly provider: string;
  readonly requiredScopes: readonly string[] = [];
  readonly pathGlobs = [`${ISSUES}/*`];
  readonly #mount: Mount;
  readonly #stateIds: MountWorkItemProviderOptions['stateIds'];
  readonly #markers: { inProgress?: string; needsReview?: string };
  readonly #readyState: WorkItemState;
  readonly #readyLabels: readonly string[];

  constructor(options: MountWorkItemProviderOptions) {
    for (const state of ['dispatched', 'done'] as const)
      if (!options.stateIds?.[state]) throw new Error(`MountWorkItemProvider: stateIds.${state} is required`);
    this.#mount = options.mount;
    this.provider = options.provider ?? 'linear';
    this.#stateIds = options.stateIds;
    for (const [name, id] of Object.entries(options.markerLabelIds ?? {}))
      if (typeof id !== 'string' || !id)
        throw new Error(`MountWorkItemProvider: markerLabelIds.${name} must be a label id`);
    this.#markers = options.markerLabelIds ?? {};
    this.#readyState = options.readyState ?? 'todo';
    this.#readyLabels = options.readyLabels ?? ['factory'];
  }

  owns(path: string): boolean {
    return path.startsWith(`${ISSUES}/`);
  }

  interpretFile(path: string, content: string): MountInterpretation {
    const match = ISSUE_FILE.exec(path);
    if (!match) return { events: [], ignored: `${path} is not an issue record` };
    if (parseMountedRecord(content)?.deleted)
      return { events: [], ignored: `${path} is marked deleted by relayfile` };
    const item = this.#parse(path, content);
    if (!item) return { events: [], ignored: `${path} is not a complete issue record` };
    return { events: [{ type: 'work-item.changed', item }] };
  }

  isReadyForDispatch(item: WorkItem): boolean {
    const labels = new Set(item.labels.map((label) => label.toLowerCase()));
    return (
      item.state === this.#readyState && this.#readyLabels.every((label) => labels.has(label.toLowerCase()))
    );
  }

  /**
   * Writes the state id and the marker labels as one partial write, then reads the issue file back: a
   * write-back that did not stick throws, so the core retries it. An item already there is not written.
   */
  async setState(item: WorkItem, state: WritebackState, options: WriteOptions): Promise<void> {
    // Files are written at once and are idempotent by key; a lease that is ending starts none.
    options.signal?.throwIfAborted();
    const path = await this.#issuePath(item);
    if (!path) throw new Error(`no issue file for ${item.key} under ${ISSUES}`);
    const stateId = this.#targetStateId(state);
    const markers = markerChanges(state, this.#markers);
    const current = parseMountedRecord((await this.#mount.read(path))?.content ?? '')?.record;
    if (unkept(current, stateId, markers).length === 0) return;
    const patch: Record<string, unknown> = {};
    if (stateId) patch.stateId = stateId;
    if (markers.add.length > 0 || markers.remove.length > 0) {
      const ids = labelIdsOf(current).filter((id) => !markers.remove.includes(id));
      patch.labelIds = [...ids, ...markers.add.filter((id) => !ids.includes(id))];
    }
    await this.#mount.write(path, JSON.stringify(patch));
    const after = parseMountedRecord((await this.#mount.read(path))?.content ?? '')?.record;
    const missing = unkept(after, stateId, markers);
    if (missing.length > 0)
      throw new Error(`the tracker did not keep ${state} on ${item.key}: ${missing.join('; ')}`);
  }

  #targetStateId(state: WritebackState): string | undefined {
    if (state === 'dispatched') return this.#stateIds.dispatched;
    if (state === 'needs-review') return this.#stateIds.needsReview;
    if (state === 'done') return this.#stateIds.done;
    return undefined;
  }

  async postComment(item: WorkItem, body: string, options: WriteOptions): Promise<void> {
    // Files are written at once and are idempotent by key; a lease that is ending starts none.
    options.signal?.throwIfAborted();
    const path = `${ISSUES}/${item.id}/comments/${await draftFileName(options.idempotencyKey)}`;
    // The draft's name comes from the key: if it exists, this comment was already posted (or is on its way).
    if (await this.#mount.read(path)) return;
    await this.#mount.write(path, JSON.stringify({ body: withHiddenTrace(body, options.traceId) }));
  }

  async getWorkItem(ref: string): Promise<WorkItem | undefined> {
    const wanted = KEY.exec(ref.split('/').find((part) => KEY.test(part)) ?? '')?.[0] ?? ref;
    for (const path of await this.#mount.list(ISSUES)) {
      const match = ISSUE_FILE.exec(path);
      if (!match || (match[2] !== wanted && match[1] !== wanted)) continue;
      const file = await this.#mount.read(path);
      return file ? this.#parse(path, file.content) : undefined;
    }
    return undefined;
  }

  async checkConnection(): Promise<ConnectionStatus> {
    try {
      await this.#mount.list(ISSUES);
      return { state: 'connected' };
    } catch (error) {
      return { state: 'error', message: errorMessage(error) };
    }
  }

  async #issuePath(item: WorkItem): Promise<string | undefined> {
    const known = item.metadata.mountPath;
    if (typeof known === 'string' && ISSUE_FILE.exec(known)?.[2] === item.id) return known;
    return (await this.#mount.list(ISSUES)).find((path) => ISSUE_FILE.exec(path)?.[2] === item.id);
  }

  #parse(path: string, content: string): WorkItem | undefined {
    const match = ISSUE_FILE.exec(path);
    const mounted = parseMountedRecord(content);
    const issue = mounted?.deleted ? undefined : mounted?.record;
    const id = stringField(issue, 'id') ?? match?.[2];
    const title = stringField(issue, 'title');
    const updatedAt = stringField(issue, 'updatedAt') ?? stringField(issue, 'updated_at');
    const state = recordField(issue, 'state');
    if (!issue || !id || !title || !updatedAt || !state) return undefined;
    const team = recordField(issue, 'team');
    const number = typeof issue.number === 'number' ? issue.number : undefined;
    const slug = match?.[1];
    const key =
      stringField(issue, 'identifier') ??
      (team && number !== undefined ? `${stringField(team, 'key')}-${number}` : undefined) ??
      (slug && KEY.test(slug) ? slug : id);
    const url = stringField(issue, 'url');
    const project = stringField(recordField(issue, 'project'), 'name');
    const teamKey = stringField(team, 'key');
    return {
      id,
      key,
      title,
      description: stringField(issue, 'description') ?? '',
      state: workItemState(state),
      labels: labelNames(issue.labels),
      ...(teamKey ? { team: teamKey } : {}),
      ...(project ? { project } : {}),
      updatedAt,
      source: { provider: this.provider, externalId: id, ...(url ? { url } : {}) },
      metadata: { mountPath: path, stateId: stringField(state, 'id') ?? null },
    };
  }
}

/** The label ids of an issue record: its `labelIds` and the ids of its `labels`, together. */
function labelIdsOf(issue: Record<string, unknown> | undefined): string[] {
  const ids = new Set<string>();
  if (Array.isArray(issue?.labelIds))
    for (const id of issue.labelIds) if (typeof id === 'string') ids.add(id);
  const labels =
    isRecord(issue?.labels) && Array.isArray(issue.labels.nodes) ? issue.labels.nodes : issue?.labels;
  if (Array.isArray(labels))
    for (const label of labels) if (isRecord(label) && typeof label.id === 'string') ids.add(label.id);
  return [...ids];
}

/** Which marker labels a write-back puts on and takes off (ids; one marker at a time). */
function markerChanges(
  state: WritebackState,
  markers: { inProgress?: string; needsReview?: string },
): { add: string[]; remove: string[] } {
  const present = (id: string | undefined): id is string => id !== undefined;
  if (state === 'dispatched')
    return { add: [markers.inProgress].filter(present), remove: [markers.needsReview].filter(present) };
  if (state === 'needs-review')
    return markers.needsReview
      ? { add: [markers.needsReview], remove: [markers.inProgress].filter(present) }
      : { add: [], remove: [] };
  return { add: [], remove: [markers.inProgress, markers.needsReview].filter(present) };
}

/** What the issue record lacks of a write-back: the state id, marker labels on, marker labels off. */
function unkept(
  issue: Record<string, unknown> | undefined,
  stateId: string | undefined,
  markers: { add: string[]; remove: string[] },
): string[] {
  const missing: string[] = [];
  if (stateId && issue?.stateId !== stateId && recordField(issue, 'state')?.id !== stateId)
    missing.push(`its state is not ${stateId}`);
  const ids = labelIdsOf(issue);
  for (const id of markers.add) if (!ids.includes(id)) missing.push(`label ${id} is not on it`);
  for (const id of markers.remove) if (ids.includes(id)) missing.push(`label ${id} is still on it`);
  return missing;
}

/**
 * The tracker's workflow state types, mapped to the core's abstract states. A synced record may carry a
 * state without its type (relayfile-adapters normalizes `state_name`/`stateId` into `state` and adds a
 * type only when the source had one); then Linear's default state names stand in for it.
 */
function workItemState(state: Record<string, unknown>): WorkItemState {
  const name = stringField(state, 'name') ?? '';
  switch (stringField(state, 'type') ?? DEFAULT_STATE_TYPES[name.toLowerCase()]) {
    case 'unstarted':
      return 'todo';
    case 'started':
      return /review/i.test(name) ? 'in-review' : 'in-progress';
    case 'completed':
      return 'done';
    case 'canceled':
      return 'cancelled';
    default:
      return 'backlog';
  }
}

const DEFAULT_STATE_TYPES: Record<string, string> = {
  backlog: 'backlog',
  todo: 'unstarted',
  'in progress': 'started',
  'in review': 'started',
  done: 'completed',
  canceled: 'canceled',
  cancelled: 'canceled',
};

function labelNames(labels: unknown): string[] {
  const list = isRecord(labels) && Array.isArray(labels.nodes) ? labels.nodes : labels;
  if (!Array.isArray(list)) return [];
  return list.flatMap((label) =>
    typeof label === 'string'
      ? [label]
      : isRecord(label) && typeof label.name === 'string'
        ? [label.name]
        : [],
  );
}
