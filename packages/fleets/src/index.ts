export {
  AgentRelayFleet,
  type AgentRelayFleetOptions,
  agentRelayEnvironment,
} from './agent-relay-fleet.ts';
export * from './github-actions-entry.ts';
export * from './http-fleet-entry.ts';
export { agentNameFor } from './idempotent-names.ts';
export {
  DEFAULT_RETRY_POLICY,
  FleetRequestError,
  type HttpClientOptions,
  type RetryPolicy,
  type Sleep,
} from './retrying-fetch.ts';
