import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { matchesAnyPathGlob } from '../../src/path-glob.ts';

/**
 * relayfile on 127.0.0.1, speaking the routes `@relayfile/sdk` calls (files, tree, events feed, ops,
 * webhook subscriptions, dead letters, replay) and the event WebSocket with cursor replay. Writes to
 * provider paths go through a simulated write-back (an op that is pending on its first look, then
 * succeeds or fails), after which the draft is rewritten the way relayfile's adapters do.
 *
 * Where it matters it answers as the real one does (AgentWorkforce/relayfile@380bc0f8):
 * - registering a webhook to a plain-http or loopback URL is `400 invalid_webhook_url`, as the cloud's
 *   conformance test "SSRF rejection" expects (scripts/conformance.ts); `webhookUrls: 'any'` lifts that
 *   for tests whose factory listens on 127.0.0.1;
 * - `outboundWebhooks: false` is the open-source self-hosted server, which routes no `webhooks` and
 *   answers `404 {"code":"not_found","message":"route not found"}` before looking at the token
 *   (internal/httpapi/server.go);
 * - deliveries are signed `X-Relay-Signature` = hex HMAC-SHA256 of `${X-Relay-Timestamp}.${body}`, with
 *   Unix seconds and `X-Relay-Event-Id`, and carry the event plus a `snapshot` of the file;
 * - a tracker write-back re-syncs the issue file keeping its shape: a bare record stays bare, a cloud
 *   sync wrapper `{ provider, objectType, objectId, deleted, payload }` keeps its wrapper.
 */
export interface StoredFile {
  content: string;
  revision: string;
  contentType: string;
}

export interface ServerEvent {
  eventId: string;
  type: string;
  path: string;
  revision: string;
  origin: string;
  provider?: string;
  correlationId: string;
  timestamp: string;
}

interface Subscription {
  id: string;
  url: string;
  pathGlobs: string[];
  secret: string;
  createdAt: string;
  updatedAt: string;
  health: {
    lastDeliveryAt: string | null;
    lastSuccessAt: string | null;
    lastError: string | null;
    consecutiveFailures: number;
  };
}

interface DeadLetter {
  deliveryId: string;
  workspaceId: string;
  subscriptionId: string;
  eventId: string;
  url: string;
  failedAt: string;
  attemptCount: number;
  lastError: string;
  replayCount: number;
  status: 'dead_lettered' | 'queued' | 'delivered';
}

interface Op {
  opId: string;
  path: string;
  status: 'pending' | 'succeeded' | 'failed';
  looks: number;
  lastError: string | null;
  /** The draft or patch as the agent wrote it. */
  content: string;
  apply: () => void;
}

export interface RelayfileServerOptions {
  workspaceId?: string;
  token?: string;
  /** Entries per `fs/tree` page, to exercise pagination. */
  treePageSize?: number;
  /** Delivery attempts before a webhook delivery is dead-lettered. */
  maxDeliveryAttempts?: number;
  /** Snapshots larger than this many characters are sent truncated. */
  snapshotLimit?: number;
  /** `cloud` (default) refuses http and loopback webhook URLs as relayfile's cloud does; `any` takes them. */
  webhookUrls?: 'cloud' | 'any';
  /** False: the self-hosted server, which has no webhook routes at all (only the WebSocket). */
  outboundWebhooks?: boolean;
}

export class RelayfileServer {
  readonly workspaceId: string;
  readonly token: string;
  readonly files = new Map<string, StoredFile>();
  readonly events: ServerEvent[] = [];
  readonly subscriptions = new Map<string, Subscription>();
  readonly deadLetters: DeadLetter[] = [];
  readonly ops = new Map<string, Op>();
  /** Each write relayfile wrote back to the vendor, in order: what the vendor now holds (a comment, a message). */
  readonly writtenBack: { path: string; content: string }[] = [];
  /** Workflow states, by id, for the tracker's simulated write-back of `stateId`. */
  readonly trackerStates = new Map<string, { id: string; name: string; type: string }>();
  /** Labels, by id, for the tracker's simulated write-back of `labelIds`. */
  readonly trackerLabels = new Map<string, { id: string; name: string }>();
  /** What the next write-backs do. */
  writebackOutcome: 'succeeded' | 'failed' = 'succeeded';
  /** How many coming write-backs report success but change nothing, as a lost vendor write would. */
  forgetWritebacks = 0;
  /** When true, WebSocket upgrades are refused with 503. */
  refuseWebSockets = false;
  /** Counters for assertions. */
  readonly stats = { webSocketRefused: 0, webSocketOpened: 0, eventsPolled: 0, deliveries: 0 };
  readonly #server: Server;
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #sockets = new Set<{ socket: WebSocket; globs: string[] }>();
  readonly #treePageSize: number;
  readonly #maxDeliveryAttempts: number;
  readonly #snapshotLimit: number;
  readonly #webhookUrls: 'cloud' | 'any';
  readonly #outboundWebhooks: boolean;
  #revision = 0;
  #delivering: Promise<void> = Promise.resolve();
  url = '';

  constructor(options: RelayfileServerOptions = {}) {
    this.workspaceId = options.workspaceId ?? 'ws_factory';
    this.token = options.token ?? 'rf_test_token';
    this.#treePageSize = options.treePageSize ?? 1000;
    this.#maxDeliveryAttempts = options.maxDeliveryAttempts ?? 3;
    this.#snapshotLimit = options.snapshotLimit ?? 64 * 1024;
    this.#webhookUrls = options.webhookUrls ?? 'cloud';
    this.#outboundWebhooks = options.outboundWebhooks ?? true;
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        send(response, 500, { code: 'internal', message: String(error) });
      });
    });
    this.#server.on('upgrade', (request, socket, head) => this.#upgrade(request, socket, head));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const { socket } of this.#sockets) socket.terminate();
    this.#wss.close();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Drops every open event socket, as a relayfile restart would. */
  dropWebSockets(): void {
    for (const { socket } of this.#sockets) socket.terminate();
  }

  /** A file changing in the vendor: relayfile's sync writes it and publishes the change. */
  putFile(path: string, content: string, origin = 'provider_sync'): ServerEvent {
    const existed = this.files.has(path);
    const revision = `rev_${++this.#revision}`;
    this.files.set(path, { content, revision, contentType: 'application/json' });
    return this.#publish(existed ? 'file.updated' : 'file.created', path, revision, origin);
  }

  deleteFile(path: string): ServerEvent {
    this.files.delete(path);
    return this.#publish('file.deleted', path, `rev_${++this.#revision}`, 'provider_sync');
  }

  json(path: string): Record<string, unknown> | undefined {
    const file = this.files.get(path);
    return file ? (JSON.parse(file.content) as Record<string, unknown>) : undefined;
  }

  paths(prefix: string): string[] {
    return [...this.files.keys()].filter((path) => path.startsWith(prefix)).sort();
  }

  /** Settles when every webhook delivery queued so far has been attempted. */
  async deliveriesSettled(): Promise<void> {
    let current: Promise<void>;
    do {
      current = this.#delivering;
      await current;
    } while (current !== this.#delivering);
  }

  #publish(type: string, path: string, revision: string, origin: string): ServerEvent {
    const event: ServerEvent = {
      eventId: `evt_${String(this.events.length + 1).padStart(6, '0')}`,
      type,
      path,
      revision,
      origin,
      provider: path.split('/')[1],
      correlationId: `corr_${randomUUID()}`,
      timestamp: new Date().toISOString(),
    };
    this.events.push(event);
    for (const entry of this.#sockets)
      if (matchesAnyPathGlob(entry.globs, path)) entry.socket.send(JSON.stringify(event));
    for (const subscription of this.subscriptions.values())
      if (matchesAnyPathGlob(subscription.pathGlobs, path)) this.#queueDelivery(subscription, event);
    return event;
  }

  #queueDelivery(subscription: Subscription, event: ServerEvent, deadLetter?: DeadLetter): void {
    this.#delivering = this.#delivering.then(() => this.#deliver(subscription, event, deadLetter));
  }

  async #deliver(subscription: Subscription, event: ServerEvent, deadLetter?: DeadLetter): Promise<void> {
    const file = this.files.get(event.path);
    const snapshot =
      event.type === 'file.deleted' || !file
        ? undefined
        : {
            path: event.path,
            contentType: file.contentType,
            encoding: 'utf-8',
            content: file.content.slice(0, this.#snapshotLimit),
            truncated: file.content.length > this.#snapshotLimit,
          };
    const body = JSON.stringify({ ...event, ...(snapshot ? { snapshot } : {}) });
    let lastError = '';
    for (let attempt = 1; attempt <= this.#maxDeliveryAttempts; attempt++) {
      const timestamp = String(Math.floor(Date.now() / 1000));
      const signature = createHmac('sha256', subscription.secret)
        .update(`${timestamp}.${body}`)
        .digest('hex');
      this.stats.deliveries++;
      subscription.health.lastDeliveryAt = new Date().toISOString();
      try {
        const response = await fetch(subscription.url, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            'X-Relay-Timestamp': timestamp,
            'X-Relay-Signature': signature,
            'X-Relay-Event-Id': event.eventId,
          },
          body,
          redirect: 'manual',
        });
        await response.arrayBuffer();
        if (response.status < 300) {
          subscription.health.lastSuccessAt = new Date().toISOString();
          subscription.health.consecutiveFailures = 0;
          if (deadLetter) deadLetter.status = 'delivered';
          return;
        }
        lastError = `webhook endpoint returned ${response.status}`;
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
      }
      subscription.health.consecutiveFailures++;
      subscription.health.lastError = lastError;
    }
    if (deadLetter) {
      deadLetter.status = 'dead_lettered';
      deadLetter.lastError = lastError;
      return;
    }
    this.deadLetters.push({
      deliveryId: `dlv_${this.deadLetters.length + 1}`,
      workspaceId: this.workspaceId,
      subscriptionId: subscription.id,
      eventId: event.eventId,
      url: subscription.url,
      failedAt: new Date().toISOString(),
      attemptCount: this.#maxDeliveryAttempts,
      lastError,
      replayCount: 0,
      status: 'dead_lettered',
    });
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const prefix = `/v1/workspaces/${encodeURIComponent(this.workspaceId)}/`;
    if (!url.pathname.startsWith(prefix))
      return send(response, 404, { code: 'not_found', message: 'no such route' });
    const rest = url.pathname.slice(prefix.length);
    if (
      !this.#outboundWebhooks &&
      (rest === 'webhooks' || rest.startsWith('webhooks/')) &&
      rest !== 'webhooks/ingest'
    )
      return send(response, 404, { code: 'not_found', message: 'route not found' });
    if (request.headers.authorization !== `Bearer ${this.token}`)
      return send(response, 401, { code: 'unauthorized', message: 'missing or invalid bearer token' });
    const route = `${request.method} ${url.pathname.slice(prefix.length)}`;
    const body = await readJson(request);
    const query = url.searchParams;

    if (route === 'GET fs/tree') return send(response, 200, this.#tree(query));
    if (route === 'GET fs/file') {
      const path = query.get('path') ?? '';
      const file = this.files.get(path);
      if (!file) return send(response, 404, { code: 'not_found', message: `file not found: ${path}` });
      return send(response, 200, {
        path,
        revision: file.revision,
        contentType: file.contentType,
        content: file.content,
        encoding: 'utf-8',
      });
    }
    if (route === 'PUT fs/file') return this.#write(request, response, query.get('path') ?? '', body);
    if (route === 'GET fs/events') return send(response, 200, this.#feed(query));
    const op = /^GET ops\/([^/]+)$/.exec(route);
    if (op) return this.#opStatus(response, decodeURIComponent(op[1] ?? ''));
    if (route === 'POST webhooks') return this.#register(response, body);
    if (route === 'GET webhooks')
      return send(response, 200, [...this.subscriptions.values()].map(publicSubscription));
    const remove = /^DELETE webhooks\/([^/]+)$/.exec(route);
    if (remove) {
      const removed = this.subscriptions.delete(decodeURIComponent(remove[1] ?? ''));
      if (!removed) return send(response, 404, { code: 'not_found', message: 'no such subscription' });
      response.writeHead(204).end();
      return;
    }
    if (route === 'GET webhooks/dlq') return send(response, 200, this.#deadLetterPage(query));
    const replay = /^POST webhooks\/dlq\/([^/]+)\/replay$/.exec(route);
    if (replay) return this.#replay(response, decodeURIComponent(replay[1] ?? ''));
    return send(response, 404, { code: 'not_found', message: `no route ${route}` });
  }

  #tree(query: URLSearchParams) {
    const root = (query.get('path') ?? '/').replace(/\/$/, '');
    const all = [...this.files.entries()]
      .filter(([path]) => path.startsWith(`${root}/`))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([path, file]) => ({ path, type: 'file', revision: file.revision }));
    const offset = Number(query.get('cursor') ?? 0);
    const entries = all.slice(offset, offset + this.#treePageSize);
    const next = offset + entries.length;
    return { path: root || '/', entries, nextCursor: next < all.length ? String(next) : null };
  }

  #feed(query: URLSearchParams) {
    this.stats.eventsPolled++;
    const cursor = query.get('cursor');
    const limit = Number(query.get('limit') ?? 100);
    const start = cursor ? this.events.findIndex((event) => event.eventId === cursor) + 1 : 0;
    const events = this.events.slice(start, start + limit);
    const more = start + events.length < this.events.length;
    return { events, nextCursor: more ? (events.at(-1)?.eventId ?? null) : null };
  }

  #write(request: IncomingMessage, response: ServerResponse, path: string, body: Record<string, unknown>) {
    const ifMatch = request.headers['if-match'];
    const current = this.files.get(path);
    if (ifMatch !== '*' && ifMatch !== (current?.revision ?? '0'))
      return send(response, 409, {
        code: 'revision_conflict',
        message: 'revision conflict',
        expectedRevision: String(ifMatch),
        currentRevision: current?.revision ?? '0',
      });
    if (typeof body.content !== 'string')
      return send(response, 400, { code: 'bad_request', message: 'content is required' });
    const content = body.content;
    const writeback = this.#writeback(path, content);
    const opId = `op_${randomUUID()}`;
    if (!writeback) {
      const event = this.putFile(path, content, 'agent_write');
      return send(response, 202, { opId, status: 'queued', targetRevision: event.revision });
    }
    // Drafts and patches are written as given, then the write-back to the vendor settles them.
    const event = writeback.keepDraft ? this.putFile(path, content, 'agent_write') : undefined;
    this.ops.set(opId, {
      opId,
      path,
      status: 'pending',
      looks: 0,
      lastError: null,
      content,
      apply: writeback.apply,
    });
    return send(response, 202, {
      opId,
      status: 'pending',
      targetRevision: event?.revision ?? current?.revision ?? '0',
      writeback: { provider: path.split('/')[1], state: 'pending' },
    });
  }

  /** The vendor effect of writing `path`, if relayfile would write it back. */
  #writeback(path: string, content: string): { keepDraft: boolean; apply: () => void } | undefined {
    const issue = /^\/linear\/issues\/[^/]+__([^/]+)\.json$/.exec(path);
    if (issue) {
      return {
        keepDraft: false,
        apply: () => {
          const patch = JSON.parse(content) as Record<string, unknown>;
          const stored = this.json(path) ?? {};
          const wrapper = isSyncWrapper(stored) ? stored : undefined;
          const record: Record<string, unknown> = {
            ...((wrapper?.payload as Record<string, unknown> | undefined) ?? stored),
            ...patch,
            updatedAt: new Date().toISOString(),
          };
          const state = typeof patch.stateId === 'string' ? this.trackerStates.get(patch.stateId) : undefined;
          if (state) record.state = state;
          // The tracker answers with the labels the ids name, as a re-synced record carries them.
          if (Array.isArray(patch.labelIds))
            record.labels = patch.labelIds.flatMap((id) => {
              const label = this.trackerLabels.get(String(id));
              return label ? [label] : [];
            });
          this.putFile(path, JSON.stringify(wrapper ? { ...wrapper, payload: record } : record));
        },
      };
    }
    if (/^\/linear\/issues\/[^/]+\/comments\/[^/]+\.json$/.test(path)) {
      return {
        keepDraft: true,
        apply: () => {
          const id = randomUUID();
          this.putFile(
            path,
            JSON.stringify({
              created: id,
              path: `/linear/comments/${id}/meta.json`,
              url: `https://linear.app/comment/${id}`,
            }),
          );
        },
      };
    }
    const pullComment =
      /^\/github\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)(?:__[^/]*)?\/comments\/[^/]+\.json$/.exec(path);
    if (pullComment) {
      return {
        keepDraft: true,
        apply: () => {
          const id = 4_000_000 + this.events.length;
          this.putFile(
            path,
            JSON.stringify({
              created: String(id),
              url: `https://github.com/${pullComment[1]}/${pullComment[2]}/pull/${pullComment[3]}#issuecomment-${id}`,
            }),
          );
        },
      };
    }
    const message = /^\/slack\/channels\/([^/]+)\/messages\/(?:([^/]+)\/replies\/)?[^/]+\.json$/.exec(path);
    if (message) {
      return {
        keepDraft: true,
        apply: () => {
          const ts = `${1_726_000_000 + this.events.length}.${String(this.events.length).padStart(6, '0')}`;
          this.putFile(
            path,
            JSON.stringify({
              created: ts,
              url: `https://slack.example/archives/${message[1]}/p${ts.replace('.', '')}`,
            }),
          );
        },
      };
    }
    return undefined;
  }

  #opStatus(response: ServerResponse, opId: string) {
    const op = this.ops.get(opId);
    if (!op) return send(response, 404, { code: 'not_found', message: 'no such op' });
    // Pending on the first look, settled on the next: a client must wait for the outcome.
    if (op.status === 'pending' && op.looks++ > 0) {
      if (this.writebackOutcome === 'succeeded') {
        op.status = 'succeeded';
        if (this.forgetWritebacks > 0) this.forgetWritebacks--;
        else {
          op.apply();
          this.writtenBack.push({ path: op.path, content: op.content });
        }
      } else {
        op.status = 'failed';
        op.lastError = 'provider rejected the write (422 validation_error)';
      }
    }
    return send(response, 200, {
      opId,
      path: op.path,
      status: op.status,
      attemptCount: op.looks,
      lastError: op.lastError,
    });
  }

  #register(response: ServerResponse, body: Record<string, unknown>) {
    if (typeof body.url !== 'string' || !Array.isArray(body.pathGlobs))
      return send(response, 400, { code: 'bad_request', message: 'url and pathGlobs are required' });
    const refused = this.#webhookUrls === 'cloud' ? cloudRefuses(body.url) : undefined;
    if (refused) return send(response, 400, { code: 'invalid_webhook_url', message: refused });
    const id = `whs_${randomUUID()}`;
    const secret = typeof body.secret === 'string' && body.secret ? body.secret : randomUUID();
    const now = new Date().toISOString();
    this.subscriptions.set(id, {
      id,
      url: body.url,
      pathGlobs: body.pathGlobs.map(String),
      secret,
      createdAt: now,
      updatedAt: now,
      health: { lastDeliveryAt: null, lastSuccessAt: null, lastError: null, consecutiveFailures: 0 },
    });
    return send(response, 201, { subscriptionId: id, ...(body.secret ? {} : { secret }) });
  }

  #deadLetterPage(query: URLSearchParams) {
    const offset = Number(query.get('cursor') ?? 0);
    const limit = Number(query.get('limit') ?? 100);
    const items = this.deadLetters.slice(offset, offset + limit);
    const next = offset + items.length;
    return { items, nextCursor: next < this.deadLetters.length ? String(next) : null };
  }

  #replay(response: ServerResponse, deliveryId: string) {
    const item = this.deadLetters.find((letter) => letter.deliveryId === deliveryId);
    const subscription = item ? this.subscriptions.get(item.subscriptionId) : undefined;
    const event = item ? this.events.find((candidate) => candidate.eventId === item.eventId) : undefined;
    if (!item || !subscription || !event)
      return send(response, 404, { code: 'not_found', message: 'no such delivery' });
    item.status = 'queued';
    item.replayCount++;
    this.#queueDelivery(subscription, event, item);
    return send(response, 202, { status: 'queued', id: deliveryId });
  }

  #upgrade(request: IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const expected = `/v1/workspaces/${encodeURIComponent(this.workspaceId)}/fs/ws`;
    const refuse = (status: number, reason: string) => {
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== expected) return refuse(404, 'Not Found');
    if (url.searchParams.get('token') !== this.token) return refuse(401, 'Unauthorized');
    if (this.refuseWebSockets) {
      this.stats.webSocketRefused++;
      return refuse(503, 'Service Unavailable');
    }
    this.#wss.handleUpgrade(request, socket, head, (ws) => {
      this.stats.webSocketOpened++;
      const globs = url.searchParams.getAll('path');
      const cursor = url.searchParams.get('cursor');
      // Subscribe first, then catch up from the cursor, as relayfile does.
      const entry = { socket: ws, globs };
      this.#sockets.add(entry);
      ws.on('close', () => this.#sockets.delete(entry));
      ws.on('message', (data) => {
        if (JSON.parse(String(data)).type === 'ping')
          ws.send(JSON.stringify({ type: 'pong', timestamp: new Date().toISOString() }));
      });
      if (cursor) {
        const start = this.events.findIndex((event) => event.eventId === cursor) + 1;
        for (const event of this.events.slice(start))
          if (matchesAnyPathGlob(globs, event.path)) ws.send(JSON.stringify(event));
      }
    });
  }
}

/**
 * What relayfile's cloud is known to refuse (scripts/conformance.ts, "SSRF rejection"): a URL that is not
 * https, and a loopback host. Its full list is not public; private ranges are not refused here.
 */
function cloudRefuses(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'webhook url is not a valid URL';
  }
  if (url.protocol !== 'https:') return 'webhook url must use https';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost') || host.startsWith('127.') || host === '::1')
    return 'webhook url must not target a loopback address';
  return undefined;
}

function isSyncWrapper(value: Record<string, unknown>): boolean {
  const payload = value.payload;
  return typeof value.objectType === 'string' && typeof payload === 'object' && payload !== null;
}

function publicSubscription(subscription: Subscription) {
  const { secret: _secret, ...rest } = subscription;
  return rest;
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return {};
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
