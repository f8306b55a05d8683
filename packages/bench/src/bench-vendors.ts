import type {
  AgentStatus,
  OpenedThread,
  SpawnedAgent,
  SpawnOptions,
  SpawnRequest,
  WorkItem,
  WriteOptions,
} from '@software-factory/sdk';
import {
  FakeClarificationChannel,
  FakeFleet,
  FakeOutputTarget,
  FakeWorkItemProvider,
} from '@software-factory/sdk/testing';
import { BENCH_CHANNEL, threadTs } from './bench-tenant.ts';

// The bench's vendors stand across the network from the factory, as real ones do: what they are asked
// lives in their memory, not in the process whose CPU (its garbage collector included) is measured. The
// testing fakes keep every write for a test to assert on; over thousands of cycles that history would
// make each collection of the factory's heap dearer than any deployment's. These answer as the fakes do,
// idempotent by key because their answers follow from the key, and keep nothing.

/** The tracker: writes are acknowledged (refused past their deadline) and kept nowhere. */
export class BenchTracker extends FakeWorkItemProvider {
  override async setState(_item: WorkItem, _state: unknown, options: WriteOptions): Promise<void> {
    options.signal?.throwIfAborted();
  }

  override async postComment(_item: WorkItem, _body: string, options: WriteOptions): Promise<void> {
    options.signal?.throwIfAborted();
  }
}

/**
 * The chat, with thread ids as Slack forms them (`<channel>:<ts>`), so a real signed Slack reply finds
 * the thread: the ts follows from the item's key, so the sender can address the reply. Nothing is kept.
 */
export class BenchChat extends FakeClarificationChannel {
  override async openThread(item: WorkItem, _question: string, options: WriteOptions): Promise<OpenedThread> {
    options.signal?.throwIfAborted();
    const n = Number(/(\d+)$/.exec(item.key)?.[1] ?? 0);
    return {
      threadId: `${BENCH_CHANNEL}:${threadTs(n)}`,
      url: `https://slack.example/${BENCH_CHANNEL}/${n}`,
    };
  }

  override async reply(_threadId: string, _text: string, options: WriteOptions): Promise<void> {
    options.signal?.throwIfAborted();
  }
}

/** The code host: comments are acknowledged and kept nowhere. */
export class BenchOutputs extends FakeOutputTarget {
  override async postComment(_outputId: string, _body: string, options: WriteOptions): Promise<void> {
    options.signal?.throwIfAborted();
  }
}

/** The fleet: an agent's id follows from its spawn's idempotency key; every agent runs until released. */
export class BenchFleet extends FakeFleet {
  override async spawn(request: SpawnRequest, options?: SpawnOptions): Promise<SpawnedAgent> {
    options?.signal?.throwIfAborted();
    this.spawnCalls++;
    return { agentId: `agent:${request.idempotencyKey}` };
  }

  override async status(_agentId: string): Promise<AgentStatus> {
    return { state: 'running' };
  }

  override async release(_agentId: string): Promise<void> {}
}
