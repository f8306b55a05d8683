export {
  AgentRelayFleet,
  type AgentRelayFleetOptions,
  agentRelayEnvironment,
} from './agent-relay-fleet.ts';
export {
  IDEMPOTENCY_HEADER,
  SIGNATURE_HEADER,
  SIGNATURE_WINDOW_MS,
  signedContent,
  signFleetPayload,
  TIMESTAMP_HEADER,
  verifyFleetSignature,
} from './fleet-signature.ts';
export {
  callbackToEvent,
  type FleetCallback,
  FleetWebhookSource,
  type FleetWebhookSourceOptions,
  fleetCallbackSchema,
} from './fleet-webhook-source.ts';
export {
  GithubActionsFleet,
  type GithubActionsFleetOptions,
  runNameFor,
  runStatus,
} from './github-actions-fleet.ts';
export { HttpFleet, type HttpFleetOptions, spawnBody } from './http-fleet.ts';
export { agentNameFor } from './idempotent-names.ts';
export { pollExits, type WatchedAgent } from './poll-exits.ts';
export {
  DEFAULT_RETRY_POLICY,
  FleetRequestError,
  type HttpClientOptions,
  type RetryPolicy,
  type Sleep,
} from './retrying-fetch.ts';
export {
  WorkflowRunWebhookSource,
  type WorkflowRunWebhookSourceOptions,
  workflowRunExit,
} from './workflow-run-webhook-source.ts';
