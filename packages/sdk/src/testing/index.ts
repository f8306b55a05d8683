export {
  type ClarificationChannelOpener,
  clarificationChannelChecks,
  clarificationChannelConformance,
  type OpenedClarificationChannel,
} from './clarification-channel-conformance.ts';
export { type ConnectionClaims, connectionChecks, type VendorControls } from './connection-conformance.ts';
export {
  type CredentialStoreCheck,
  type CredentialStoreOpener,
  credentialStoreChecks,
  credentialStoreConformance,
  type OpenedCredentialStore,
} from './credential-store-conformance.ts';
export * from './fakes-entry.ts';
export {
  conformanceSpawnRequest,
  type FleetBackend,
  type FleetOpener,
  fleetClientChecks,
  fleetClientConformance,
  type OpenedFleet,
} from './fleet-client-conformance.ts';
export {
  type OpenedOutputTarget,
  type OutputTargetOpener,
  outputTargetChecks,
  outputTargetConformance,
} from './output-target-conformance.ts';
export { describeChecks, type OpenedWorld, type PortCheck, runCheck } from './port-conformance.ts';
export { queuedIn, slotsIn, storedSchedule } from './schedule-view.ts';
export {
  type ConformanceCheck,
  describeStateStoreConformance,
  type StoreFactory,
  stateStoreChecks,
} from './state-store-conformance.ts';
export {
  type DeliveryRequest,
  type OpenedWebhookSource,
  type SignedDelivery,
  type WebhookSourceOpener,
  type WebhookSourceScheme,
  webhookSourceChecks,
  webhookSourceConformance,
} from './webhook-source-conformance.ts';
export {
  type OpenedWorkItemProvider,
  type WorkItemProviderOpener,
  workItemProviderChecks,
  workItemProviderConformance,
} from './work-item-provider-conformance.ts';
