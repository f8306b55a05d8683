import type { OutputFeedbackEvent } from '../events.ts';
import type { ClarificationChannel, OpenedThread } from '../ports/clarification-channel.ts';
import type { Clock } from '../ports/clock.ts';
import type { ConnectionStatus, WriteOptions } from '../ports/connection.ts';
import type {
  AgentStatus,
  FleetClient,
  SpawnedAgent,
  SpawnOptions,
  SpawnRequest,
} from '../ports/fleet-client.ts';
import type { LogFields, Logger } from '../ports/logger.ts';
import type { OutputTarget } from '../ports/output-target.ts';
import type { WorkItemProvider, WritebackState } from '../ports/work-item-provider.ts';
import type { OutputSnapshot, WorkItem } from '../work-item.ts';

const connected = async (): Promise<ConnectionStatus> => ({ state: 'connected', identity: 'fake' });

/** A clock tests move by hand. */
export class FakeClock implements Clock {
  #now: number;
  constructor(start = Date.parse('2026-01-01T00:00:00.000Z')) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  advance(ms: number): void {
    this.#now += ms;
  }
}

/** Keeps log lines for assertions. */
export class MemoryLogger implements Logger {
  readonly lines: { level: string; message: string; fields: LogFields }[] = [];
  debug(message: string, fields: LogFields = {}) {
    this.lines.push({ level: 'debug', message, fields });
  }
  info(message: string, fields: LogFields = {}) {
    this.lines.push({ level: 'info', message, fields });
  }
  warn(message: string, fields: LogFields = {}) {
    this.lines.push({ level: 'warn', message, fields });
  }
  error(message: string, fields: LogFields = {}) {
    this.lines.push({ level: 'error', message, fields });
  }
}

/** Where each write-back moves an item in the fake tracker (cancelled leaves it where it is). */
const WRITTEN_STATES: Record<WritebackState, WorkItem['state'] | undefined> = {
  dispatched: 'in-progress',
  'needs-review': 'in-review',
  done: 'done',
  cancelled: undefined,
};

/**
 * A tracker in memory. Writes honour the idempotency key the way a real provider must: the same key
 * twice is one write. `writeCalls` counts every call, `comments` what actually landed.
 */
export class FakeWorkItemProvider implements WorkItemProvider {
  readonly provider = 'fake-tracker';
  readonly requiredScopes = ['read', 'write'] as const;
  readonly items = new Map<string, WorkItem>();
  readonly comments: { workItemId: string; body: string; key: string }[] = [];
  readonly states: { workItemId: string; state: WritebackState; key: string }[] = [];
  writeCalls = 0;
  readonly #seen = new Set<string>();
  readonly #readyLabel: string;

  constructor(options: { readyLabel?: string } = {}) {
    this.#readyLabel = options.readyLabel ?? 'factory';
  }

  checkConnection = connected;

  isReadyForDispatch(item: WorkItem): boolean {
    return item.state === 'todo' && item.labels.includes(this.#readyLabel);
  }

  async setState(item: WorkItem, state: WritebackState, options: WriteOptions): Promise<void> {
    options.signal?.throwIfAborted();
    this.writeCalls++;
    if (!this.#once(options)) return;
    this.states.push({ workItemId: item.id, state, key: options.idempotencyKey });
    // The tracker shows the write, as a real one reads back: the item moves; cancelled leaves it be.
    const stored = this.items.get(item.id);
    const moved = WRITTEN_STATES[state];
    if (stored && moved) this.items.set(item.id, { ...stored, state: moved });
  }

  async postComment(item: WorkItem, body: string, options: WriteOptions): Promise<void> {
    options.signal?.throwIfAborted();
    this.writeCalls++;
    if (this.#once(options)) this.comments.push({ workItemId: item.id, body, key: options.idempotencyKey });
  }

  async getWorkItem(ref: string): Promise<WorkItem | undefined> {
    return this.items.get(ref) ?? [...this.items.values()].find((item) => item.key === ref);
  }

  /** The last write-back that landed for the item, as the tracker would show it now. */
  stateOf(workItemId: string): WritebackState | undefined {
    return this.states.filter((entry) => entry.workItemId === workItemId).at(-1)?.state;
  }

  commentsFor(workItemId: string): string[] {
    return this.comments
      .filter((comment) => comment.workItemId === workItemId)
      .map((comment) => comment.body);
  }

  #once(options: WriteOptions): boolean {
    if (this.#seen.has(options.idempotencyKey)) return false;
    this.#seen.add(options.idempotencyKey);
    return true;
  }
}

/** A chat in memory: threads and the factory's messages in them. */
export class FakeClarificationChannel implements ClarificationChannel {
  readonly provider = 'fake-chat';
  readonly requiredScopes = ['chat:write'] as const;
  readonly threads = new Map<string, { workItemId: string; question: string; replies: string[] }>();
  readonly #byKey = new Map<string, string>();
  readonly #replyKeys = new Set<string>();
  writeCalls = 0;

  checkConnection = connected;

  async openThread(item: WorkItem, question: string, options: WriteOptions): Promise<OpenedThread> {
    options.signal?.throwIfAborted();
    this.writeCalls++;
    let threadId = this.#byKey.get(options.idempotencyKey);
    if (!threadId) {
      threadId = `thread-${this.threads.size + 1}`;
      this.#byKey.set(options.idempotencyKey, threadId);
      this.threads.set(threadId, { workItemId: item.id, question, replies: [] });
    }
    return { threadId, url: `https://chat.example/${threadId}` };
  }

  async reply(threadId: string, text: string, options: WriteOptions): Promise<void> {
    options.signal?.throwIfAborted();
    this.writeCalls++;
    if (this.#replyKeys.has(options.idempotencyKey)) return;
    this.#replyKeys.add(options.idempotencyKey);
    this.threads.get(threadId)?.replies.push(text);
  }

  threadFor(workItemId: string): string | undefined {
    return [...this.threads].find(([, thread]) => thread.workItemId === workItemId)?.[0];
  }
}

/** Pull requests in memory. */
export class FakeOutputTarget implements OutputTarget {
  readonly provider = 'fake-code-host';
  readonly requiredScopes = ['repo'] as const;
  readonly outputs = new Map<string, OutputSnapshot & { repository: string }>();
  readonly comments: { outputId: string; body: string; key: string }[] = [];
  /** Feedback (reviews, comments, failed checks) as the code host keeps it, by output id, oldest first (`giveFeedback`). */
  readonly feedback = new Map<string, { event: OutputFeedbackEvent; givenAt: number }[]>();
  readonly #commentKeys = new Set<string>();

  checkConnection = connected;

  /** Feedback given at the code host at `givenAt`, whether or not its event is delivered. */
  giveFeedback(event: OutputFeedbackEvent, givenAt: number): OutputFeedbackEvent {
    const list = this.feedback.get(event.output.id) ?? [];
    this.feedback.set(event.output.id, [...list, { event, givenAt }]);
    return event;
  }

  async feedbackSince(
    output: OutputSnapshot,
    since: number,
    known: ReadonlySet<string>,
  ): Promise<OutputFeedbackEvent[]> {
    return (this.feedback.get(output.id) ?? [])
      .filter(({ event, givenAt }) => {
        const { feedback } = event;
        // A failed check has no author; feedback by a person counts only when the person is trusted.
        const trusted = !('author' in feedback) || feedback.author.trusted;
        return givenAt >= since && trusted && !known.has(feedback.id);
      })
      .sort((one, other) => one.givenAt - other.givenAt)
      .map(({ event }) => event);
  }

  async postComment(outputId: string, body: string, options: WriteOptions): Promise<void> {
    options.signal?.throwIfAborted();
    if (this.#commentKeys.has(options.idempotencyKey)) return;
    this.#commentKeys.add(options.idempotencyKey);
    this.comments.push({ outputId, body, key: options.idempotencyKey });
  }

  commentsOn(outputId: string): string[] {
    return this.comments.filter((comment) => comment.outputId === outputId).map((comment) => comment.body);
  }

  async getOutput(id: string): Promise<OutputSnapshot | undefined> {
    return this.outputs.get(id);
  }

  async findOutput(repository: string, branch: string): Promise<OutputSnapshot | undefined> {
    return [...this.outputs.values()].find(
      (output) => output.repository === repository && output.branch === branch,
    );
  }
}

/** A fleet that starts nothing: it remembers agents by idempotency key, so a retried spawn is one agent. */
export class FakeFleet implements FleetClient {
  readonly name = 'fake-fleet';
  readonly agents = new Map<string, { request: SpawnRequest; status: AgentStatus; released: boolean }>();
  readonly #byKey = new Map<string, string>();
  /** Agents spawned and not yet exited or released, kept as they change: a spawn must not scan them all. */
  readonly #running = new Set<string>();
  spawnCalls = 0;
  /** The most agents running (spawned, not exited or released) at any moment. */
  peakRunning = 0;

  async spawn(request: SpawnRequest, options?: SpawnOptions): Promise<SpawnedAgent> {
    options?.signal?.throwIfAborted();
    this.spawnCalls++;
    const existing = this.#byKey.get(request.idempotencyKey);
    if (existing) return { agentId: existing };
    const agentId = `agent-${this.agents.size + 1}`;
    this.#byKey.set(request.idempotencyKey, agentId);
    this.agents.set(agentId, { request, status: { state: 'running' }, released: false });
    this.#running.add(agentId);
    this.peakRunning = Math.max(this.peakRunning, this.#running.size);
    return { agentId };
  }

  async status(agentId: string): Promise<AgentStatus> {
    return this.agents.get(agentId)?.status ?? { state: 'unknown' };
  }

  async release(agentId: string): Promise<void> {
    const agent = this.agents.get(agentId);
    if (agent) agent.released = true;
    this.#running.delete(agentId);
  }

  /** Marks an agent as exited, as the real process would. */
  exit(agentId: string, exitCode: number): void {
    const agent = this.agents.get(agentId);
    if (agent) agent.status = { state: 'exited', exitCode };
    this.#running.delete(agentId);
  }

  running(): string[] {
    return [...this.agents]
      .filter(([, agent]) => agent.status.state === 'running' && !agent.released)
      .map(([id]) => id);
  }

  agentsFor(workItemId: string): string[] {
    return [...this.agents].filter(([, agent]) => agent.request.workItemId === workItemId).map(([id]) => id);
  }
}
