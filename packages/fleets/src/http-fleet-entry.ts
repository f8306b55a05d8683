/** The signed HTTP fleet and its callback source alone, so a Worker bundle does not pull in the other fleets' SDKs. */
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
export { HttpFleet, type HttpFleetOptions, spawnBody } from './http-fleet.ts';
export { pollExits, type WatchedAgent } from './poll-exits.ts';
