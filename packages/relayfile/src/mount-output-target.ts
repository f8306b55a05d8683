import type {
  ConnectionStatus,
  Mount,
  OutputSnapshot,
  OutputState,
  OutputTarget,
  WriteOptions,
} from '@software-factory/sdk';
import { errorMessage } from '@software-factory/sdk';
import { draftFileName } from './draft-name.ts';
import { parseMountedRecord, recordField, stringField } from './json-file.ts';
import type { MountEventSource, MountInterpretation } from './mount-event-source.ts';
import { withHiddenTrace } from './trace-comment.ts';

// relayfile's layout for the code host: each pull request is a folder `<number>__<slug>` (or the bare
// number) under `/github/repos/<owner>/<repo>/pulls/`, whose `meta.json` carries `draft`, `merged`,
// `mergedAt`, `state`, `head.ref`, `htmlUrl` (the adapter's metadata) or their GitHub spellings
// (`merged_at`, `html_url`, …) — bare, or inside the cloud sync's `{ objectType, deleted, payload }`.
const REPOS = '/github/repos';
const META_FILE = /^\/github\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)(?:__[^/]*)?\/meta\.json$/;
const OUTPUT_ID = /^([^/\s#]+)\/([^/\s#]+)#(\d+)$/;
const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

export interface MountOutputTargetOptions {
  mount: Mount;
  /** The provider's config name; defaults to `github`. */
  provider?: string;
  /** `owner/repo` names whose pull requests the factory follows; all when absent. */
  repositories?: readonly string[];
}

/** Pull requests as relayfile mounts them. */
export class MountOutputTarget implements OutputTarget, MountEventSource {
  readonly provider: string;
  readonly requiredScopes: readonly string[] = [];
  readonly pathGlobs: readonly string[];
  readonly #mount: Mount;
  readonly #repositories: ReadonlySet<string> | undefined;

  constructor(options: MountOutputTargetOptions) {
    for (const repository of options.repositories ?? [])
      if (!REPOSITORY.test(repository))
        throw new Error(`MountOutputTarget: repository "${repository}" must be owner/repo`);
    this.#mount = options.mount;
    this.provider = options.provider ?? 'github';
    this.#repositories = options.repositories ? new Set(options.repositories) : undefined;
    this.pathGlobs = options.repositories
      ? options.repositories.map((repository) => `${REPOS}/${repository}/pulls/*/meta.json`)
      : [`${REPOS}/*/*/pulls/*/meta.json`];
  }

  owns(path: string): boolean {
    const match = META_FILE.exec(path);
    return !!match && (!this.#repositories || this.#repositories.has(`${match[1]}/${match[2]}`));
  }

  interpretFile(path: string, content: string): MountInterpretation {
    if (parseMountedRecord(content)?.deleted)
      return { events: [], ignored: `${path} is marked deleted by relayfile` };
    const output = this.#parse(path, content);
    if (!output) return { events: [], ignored: `${path} is not a complete pull request record` };
    return { events: [{ type: 'output.changed', output }] };
  }

  async getOutput(id: string): Promise<OutputSnapshot | undefined> {
    const match = OUTPUT_ID.exec(id);
    if (!match) return undefined;
    const [, owner, repo, number] = match;
    for (const path of await this.#metaFiles(`${owner}/${repo}`)) {
      if (META_FILE.exec(path)?.[3] !== number) continue;
      const file = await this.#mount.read(path);
      return file ? this.#parse(path, file.content) : undefined;
    }
    return undefined;
  }

  async findOutput(repository: string, branch: string): Promise<OutputSnapshot | undefined> {
    if (!REPOSITORY.test(repository)) return undefined;
    const found: OutputSnapshot[] = [];
    for (const path of await this.#metaFiles(repository)) {
      const file = await this.#mount.read(path);
      const output = file ? this.#parse(path, file.content) : undefined;
      if (output?.branch === branch) found.push(output);
    }
    // Several pull requests from one branch: an open or merged one says more than one closed unmerged.
    return found.sort((a, b) => rank(a) - rank(b) || (b.updatedAt ?? '').localeCompare(a.updatedAt ?? ''))[0];
  }

  /**
   * A comment draft in the pull request's folder (`…/pulls/<number>[__slug]/comments/<draft>.json`, as
   * issue comments are written), which relayfile posts; its name comes from the key, so a repeat finds it.
   */
  async postComment(outputId: string, body: string, options: WriteOptions): Promise<void> {
    // Files are written at once and are idempotent by key; a lease that is ending starts none.
    options.signal?.throwIfAborted();
    const match = OUTPUT_ID.exec(outputId);
    if (!match) throw new Error(`MountOutputTarget: "${outputId}" is not an output id (owner/repo#number)`);
    const [, owner, repo, number] = match;
    const meta = (await this.#metaFiles(`${owner}/${repo}`)).find(
      (path) => META_FILE.exec(path)?.[3] === number,
    );
    if (!meta) throw new Error(`MountOutputTarget: the mount holds no pull request ${outputId}`);
    const path = `${meta.slice(0, -'/meta.json'.length)}/comments/${await draftFileName(options.idempotencyKey)}`;
    if (await this.#mount.read(path)) return;
    await this.#mount.write(path, JSON.stringify({ body: withHiddenTrace(body, options.traceId) }));
  }

  async checkConnection(): Promise<ConnectionStatus> {
    try {
      await this.#mount.list(REPOS);
      return { state: 'connected' };
    } catch (error) {
      return { state: 'error', message: errorMessage(error) };
    }
  }

  async #metaFiles(repository: string): Promise<string[]> {
    return (await this.#mount.list(`${REPOS}/${repository}/pulls`)).filter((path) => META_FILE.test(path));
  }

  #parse(path: string, content: string): OutputSnapshot | undefined {
    const match = META_FILE.exec(path);
    const mounted = parseMountedRecord(content);
    if (!match || !mounted || mounted.deleted) return undefined;
    const meta = mounted.record;
    const state = outputState(meta);
    if (!state) return undefined;
    const [, owner, repo, number] = match;
    const url =
      stringField(meta, 'htmlUrl') ??
      stringField(meta, 'html_url') ??
      `https://github.com/${owner}/${repo}/pull/${number}`;
    const head = recordField(meta, 'head');
    const branch = stringField(head, 'ref');
    const title = stringField(meta, 'title');
    const body = stringField(meta, 'body');
    const updatedAt = stringField(meta, 'updatedAt') ?? stringField(meta, 'updated_at');
    return {
      id: `${owner}/${repo}#${number}`,
      url,
      state,
      ...(branch ? { branch } : {}),
      ...(title ? { title } : {}),
      ...(body ? { body } : {}),
      ...(updatedAt ? { updatedAt } : {}),
    };
  }
}

/** Merged, closed, or (open) draft or ready by `draft`; undefined for an open one that does not say. */
function outputState(meta: Record<string, unknown>): OutputState | undefined {
  if (meta.merged === true || stringField(meta, 'mergedAt') || stringField(meta, 'merged_at'))
    return 'merged';
  if (meta.state === 'closed') return 'closed';
  if (typeof meta.draft !== 'boolean') return undefined;
  return meta.draft ? 'draft' : 'ready';
}

function rank(output: OutputSnapshot): number {
  return output.state === 'closed' ? 1 : 0;
}
