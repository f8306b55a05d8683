import type {
  ClarificationChannel,
  ConnectionStatus,
  OpenedThread,
  WorkItem,
  WriteOptions,
} from '@software-factory/sdk';
import { SESSION_URL, sessionOf } from './agent-sessions.ts';
import type { LinearAgentWorkItemProvider } from './agent-work-item-provider.ts';

/**
 * The Linear agent session as the clarification channel (`clarificationChannel: linear-agent`): the
 * question is an `elicitation` in the session the issue was asked for in, so Linear shows the session
 * as awaiting input; the person's reply there comes back as a `prompted` session event and becomes the
 * answer to the thread named by the session's id. The wait is the core's, as with any channel: nothing
 * runs meanwhile. It writes through the agent-mode intake, whose scopes cover it.
 */
export class LinearAgentSessionChannel implements ClarificationChannel {
  readonly provider: string;
  readonly requiredScopes: readonly string[] = [];
  /** The question is in the item's own session: no comment points to it. */
  readonly asksOnWorkItem = true;
  readonly #intake: LinearAgentWorkItemProvider;

  constructor(options: { provider?: string; intake: LinearAgentWorkItemProvider }) {
    this.provider = options.provider ?? 'linear-agent';
    this.#intake = options.intake;
  }

  async openThread(item: WorkItem, question: string, options: WriteOptions): Promise<OpenedThread> {
    options.signal?.throwIfAborted();
    const session = sessionOf(item.metadata);
    if (!session)
      throw new Error(
        `${item.key} was not asked for in a Linear agent session, so there is no session to ask in`,
      );
    await this.#intake.sessions.post(
      session,
      { type: 'elicitation', body: `${question}\n\nReply here; an agent starts once the work is clear.` },
      options.idempotencyKey,
    );
    const url = item.metadata[SESSION_URL];
    return { threadId: session, ...(typeof url === 'string' && url ? { url } : {}) };
  }

  async reply(threadId: string, text: string, options: WriteOptions): Promise<void> {
    options.signal?.throwIfAborted();
    await this.#intake.sessions.post(threadId, { type: 'thought', body: text }, options.idempotencyKey);
  }

  /** Connected when the intake is: the session is the intake's. */
  async checkConnection(): Promise<ConnectionStatus> {
    return { state: 'connected', identity: `agent sessions of ${this.#intake.provider}` };
  }
}
