import type { RouteDecision } from './triage.ts';

export interface SpawnRequest {
  /** Derived from tenant, work item, run and attempt: the same on every retry, so a fleet starts one agent. */
  idempotencyKey: string;
  tenant: string;
  workItemId: string;
  workItemKey: string;
  attempt: number;
  route: RouteDecision;
  branch: string;
  task: string;
  traceId?: string;
  /**
   * The W3C `traceparent` that continues the run's trace: an HTTP fleet sends it as the `traceparent`
   * header, a local agent gets it as `TRACEPARENT` in its environment.
   */
  traceparent?: string;
}

/** How one spawn is bounded. */
export interface SpawnOptions {
  /**
   * Aborted at the performer's deadline, shortly before its effect lease ends (`WriteOptions.signal`'s
   * twin): from then on the spawn starts nothing (no request, no retry, no dispatch after its check for
   * an earlier one) and rejects, so it never races another performer's check-then-start.
   */
  signal?: AbortSignal;
}

export interface SpawnedAgent {
  agentId: string;
}

export type AgentStatus = { state: 'running' } | { state: 'exited'; exitCode: number } | { state: 'unknown' };

/** Where agents run: a local process pool, a remote fleet, a CI workflow. */
export interface FleetClient {
  readonly name: string;
  /** Idempotent by `request.idempotencyKey`: a retried spawn returns the agent the first call started. */
  spawn(request: SpawnRequest, options?: SpawnOptions): Promise<SpawnedAgent>;
  status(agentId: string): Promise<AgentStatus>;
  /** Stops the agent if it still runs and frees what it holds; releasing an unknown agent is not an error. */
  release(agentId: string): Promise<void>;
  /** Where a person reads the agent's log, for fleets that keep one at a URL. */
  agentLogUrl?(agentId: string): string | undefined;
}
