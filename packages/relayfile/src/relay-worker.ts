import './error-event-shim.ts';
import { createServer, type Server } from 'node:http';
import { type FilesystemEvent, RelayFileClient } from '@relayfile/sdk';
import { errorMessage, type Logger, silentLogger } from '@software-factory/sdk';
import { readCursorFile, writeCursorFile } from './cursor-file.ts';
import { matchesAnyPathGlob } from './path-glob.ts';
import { RELAY_HEADERS, signRelayDelivery } from './relay-signature.ts';
import { type RelayWorkerOptions, resolveRelayWorkerOptions } from './relay-worker-options.ts';

export type RelayWorkerMode = 'websocket' | 'polling';

export interface RelayWorkerStatus {
  mode: RelayWorkerMode;
  cursor?: string;
  delivered: number;
  consecutiveWebSocketErrors: number;
  stopping: boolean;
}

export interface RelayWorkerHooks {
  logger?: Logger;
  /** Called when the worker switches between the WebSocket and polling. */
  onModeChange?: (mode: RelayWorkerMode) => void;
  /** Called after the handler accepted an event and the cursor moved past it. */
  onDelivered?: (event: FilesystemEvent) => void;
}

export interface RelayWorker {
  /** The port `/healthz` listens on. */
  readonly port: number;
  status(): RelayWorkerStatus;
  /** Finishes the delivery under way, saves the cursor, closes the socket and the health server. */
  stop(): Promise<void>;
  /** Settles when the worker has stopped. */
  readonly done: Promise<void>;
}

const RECENT_LIMIT = 4_096;

/**
 * Holds relayfile's event WebSocket from a saved cursor and POSTs each change to the factory, signed like
 * a relayfile webhook; for relayfile deployments that push only over a WebSocket. The cursor moves past
 * an event only after the handler answered 2xx, so a crash re-sends at most the event in flight, which
 * the factory de-duplicates by its id. After `wsErrorThreshold` failed connections in a row it reads
 * `fs/events` instead, and goes back to the WebSocket as soon as one opens again.
 */
export async function runRelayWorker(input: unknown, hooks: RelayWorkerHooks = {}): Promise<RelayWorker> {
  const options = resolveRelayWorkerOptions(input);
  const logger = hooks.logger ?? silentLogger;
  const client = new RelayFileClient({ baseUrl: options.baseUrl, token: options.token, readCache: false });
  const state = {
    mode: 'websocket' as RelayWorkerMode,
    cursor: await readCursorFile(options.cursorFile),
    delivered: 0,
    failures: 0,
    stopping: false,
  };
  const recent = new Set<string>();
  const stopController = new AbortController();
  let closeSocket: (() => void) | undefined;

  const health = await listen(options, () => status());
  const port = (health.address() as { port: number }).port;
  logger.info('relay worker listening', { port, cursor: state.cursor ?? null });

  function status(): RelayWorkerStatus {
    return {
      mode: state.mode,
      ...(state.cursor ? { cursor: state.cursor } : {}),
      delivered: state.delivered,
      consecutiveWebSocketErrors: state.failures,
      stopping: state.stopping,
    };
  }

  function setMode(mode: RelayWorkerMode): void {
    if (state.mode === mode) return;
    state.mode = mode;
    logger.info('relay worker mode', { mode });
    hooks.onModeChange?.(mode);
  }

  const backoff = (attempt: number) =>
    Math.min(options.retryInitialMs * 2 ** Math.max(0, attempt - 1), options.retryMaxMs);

  async function advance(eventId: string): Promise<void> {
    state.cursor = eventId;
    await writeCursorFile(options.cursorFile, eventId);
  }

  /** Delivers one event until the handler accepts it; false when the worker stopped first. */
  async function deliver(event: FilesystemEvent): Promise<boolean> {
    if (!event.eventId) return true;
    if (recent.has(event.eventId)) return true;
    if (!matchesAnyPathGlob(options.pathGlobs, event.path)) {
      await advance(event.eventId);
      return true;
    }
    const body = JSON.stringify(deliveryBody(event));
    for (let attempt = 1; ; attempt++) {
      const outcome = await post(options, body, event.eventId);
      if (outcome.ok) {
        await advance(event.eventId);
        remember(recent, event.eventId);
        state.delivered++;
        hooks.onDelivered?.(event);
        return true;
      }
      logger.warn('delivery failed; retrying', { eventId: event.eventId, attempt, reason: outcome.reason });
      if (state.stopping) return false;
      await sleep(backoff(attempt), stopController.signal);
      if (state.stopping) return false;
    }
  }

  /** One WebSocket connection, from the cursor, until it closes; its events are delivered in order. */
  function webSocketSession(): Promise<{ opened: boolean }> {
    return new Promise((resolve) => {
      const queue: FilesystemEvent[] = [];
      let opened = false;
      let closed = false;
      let pumping = false;
      let settled = false;
      const settle = () => {
        if (settled || pumping || !closed) return;
        settled = true;
        closeSocket = undefined;
        resolve({ opened });
      };
      const pump = async () => {
        if (pumping) return;
        pumping = true;
        try {
          while (queue.length > 0 && !state.stopping) {
            const event = queue.shift() as FilesystemEvent;
            if (!(await deliver(event))) break;
          }
        } finally {
          pumping = false;
          settle();
        }
      };
      const finish = () => {
        closed = true;
        settle();
      };
      const connection = client.connectWebSocket(options.workspace, {
        token: options.token,
        ...(state.cursor ? { cursor: state.cursor } : {}),
        paths: options.pathGlobs,
      });
      closeSocket = () => connection.close(1000, 'relay worker stopping');
      connection.on('open', () => {
        opened = true;
        state.failures = 0;
        setMode('websocket');
        logger.info('websocket open', { cursor: state.cursor ?? null });
      });
      connection.on('event', (event) => {
        queue.push(event);
        void pump();
      });
      // Node's WebSocket may report an error without a close: treat either as the end of the session.
      connection.on('error', () => {
        try {
          connection.close();
        } catch {}
        finish();
      });
      connection.on('close', finish);
      if (state.stopping) closeSocket();
    });
  }

  /** Reads `fs/events` from the cursor to the tip, delivering each event. */
  async function pollOnce(): Promise<void> {
    if (!state.cursor) {
      // Nothing delivered yet: start at the tip, as the WebSocket's `from=now` would.
      let cursor: string | undefined;
      for (;;) {
        const page = await client.getEvents(options.workspace, {
          limit: 1_000,
          signal: stopController.signal,
          ...(cursor ? { cursor } : {}),
        });
        const last = page.events.at(-1)?.eventId;
        if (last) cursor = last;
        if (!page.nextCursor || page.events.length === 0) break;
      }
      if (cursor) await advance(cursor);
      return;
    }
    for (;;) {
      const page = await client.getEvents(options.workspace, {
        cursor: state.cursor,
        limit: 100,
        signal: stopController.signal,
      });
      for (const event of page.events) if (state.stopping || !(await deliver(event))) return;
      if (!page.nextCursor || page.events.length === 0) return;
    }
  }

  async function main(): Promise<void> {
    let nextProbeAt = 0;
    while (!state.stopping) {
      if (state.mode === 'websocket') {
        const { opened } = await webSocketSession();
        if (state.stopping) break;
        if (!opened) state.failures++;
        if (state.failures >= options.wsErrorThreshold) {
          logger.warn('websocket keeps failing; polling fs/events', { failures: state.failures });
          setMode('polling');
          nextProbeAt = Date.now() + options.reprobeIntervalMs;
          continue;
        }
        await sleep(backoff(Math.max(1, state.failures)), stopController.signal);
        continue;
      }
      try {
        await pollOnce();
      } catch (error) {
        if (state.stopping) break;
        logger.warn('polling fs/events failed', {
          error: errorMessage(error),
        });
      }
      if (state.stopping) break;
      if (Date.now() >= nextProbeAt) {
        // A probe that opens becomes the connection: the worker is back on the WebSocket.
        const { opened } = await webSocketSession();
        if (opened) continue;
        nextProbeAt = Date.now() + options.reprobeIntervalMs;
      }
      await sleep(options.pollIntervalMs, stopController.signal);
    }
  }

  const done = main()
    .catch((error: unknown) => {
      logger.error('relay worker failed', { error: errorMessage(error) });
      throw error;
    })
    .finally(() => new Promise<void>((resolve) => health.close(() => resolve())));

  return {
    port,
    status,
    done,
    async stop() {
      if (!state.stopping) {
        state.stopping = true;
        logger.info('relay worker stopping', { cursor: state.cursor ?? null });
        stopController.abort();
        closeSocket?.();
      }
      await done.catch(() => {});
    },
  };
}

function deliveryBody(event: FilesystemEvent): Record<string, string> {
  const body: Record<string, string> = {};
  for (const key of [
    'eventId',
    'type',
    'path',
    'revision',
    'contentHash',
    'origin',
    'provider',
    'correlationId',
    'timestamp',
  ] as const) {
    const value = event[key];
    if (typeof value === 'string' && value) body[key] = value;
  }
  return body;
}

async function post(
  options: RelayWorkerOptions,
  body: string,
  eventId: string,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  try {
    const response = await fetch(options.handlerUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [RELAY_HEADERS.timestamp]: timestamp,
        [RELAY_HEADERS.signature]: await signRelayDelivery(options.secret, timestamp, body),
        [RELAY_HEADERS.eventId]: eventId,
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.requestTimeoutMs),
    });
    await response.body?.cancel().catch(() => {});
    return response.status >= 200 && response.status < 300
      ? { ok: true }
      : { ok: false, reason: `handler answered ${response.status}` };
  } catch (error) {
    return { ok: false, reason: errorMessage(error) };
  }
}

function listen(options: RelayWorkerOptions, status: () => RelayWorkerStatus): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method === 'GET' && request.url === '/healthz') {
      const current = status();
      response.writeHead(current.stopping ? 503 : 200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ status: current.stopping ? 'stopping' : 'ok', ...current }));
      return;
    }
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: 'not found' }));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve(server));
  });
}

function remember(recent: Set<string>, eventId: string): void {
  recent.add(eventId);
  if (recent.size > RECENT_LIMIT) {
    const oldest = recent.values().next().value;
    if (oldest !== undefined) recent.delete(oldest);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
