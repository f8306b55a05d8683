export {
  credentialDocumentName,
  credentialSealContext,
  StoredCredentialStore,
} from './credentials/stored-credential-store.ts';
export {
  isSealedValue,
  MIN_SEALED_BOX_KEY_BYTES,
  SealError,
  SealedBox,
  type SealedValue,
} from './crypto/sealed-box.ts';
export { DEFAULT_TASK_TEXT, DefaultTaskTemplate, type TemplateOptions } from './default-task-template.ts';
export { OverlayStateStore } from './dry-run/overlay-state-store.ts';
export { DRY_RUN_PREFIX, type PlannedWrite } from './dry-run/planning-ports.ts';
export { durationSchema, parseDuration } from './duration.ts';
export { errorMessage } from './error-message.ts';
export * from './events.ts';
export { createFactory, type Factory, type FactoryOptions, type HandleOptions } from './factory.ts';
export type { AdminApiOptions, AdministeredRegistry } from './http/admin-api.ts';
export type { AdminThrottleOptions, ThrottlePolicy } from './http/admin-throttle.ts';
export {
  createFactoryApp,
  createFactoryAppWithAssets,
  DEFAULT_MAX_BODY_BYTES,
  DELIVERY_CLAIM_MS,
  type FactoryAppOptions,
} from './http/app.ts';
export { isIpOrCidr } from './http/client-address.ts';
export { MAX_SCOPES, PROVIDER_SEGMENT } from './http/connect-routes.ts';
export {
  DASHBOARD_ASSET_TYPES,
  type DashboardAssetName,
  type DashboardAssets,
} from './http/dashboard-asset-source.ts';
export { DASHBOARD_ASSET_FILES } from './http/dashboard-assets.ts';
export type { ConfigIssue } from './http/guarded-fields.ts';
export { JSON_MAX_BYTES, type JsonRefusal, readJsonCapped } from './http/json-body.ts';
export { FORM_MAX_BYTES, type FormRefusal, readBodyCapped, readFormCapped } from './http/read-body.ts';
export { revokeAllSessions, SESSION_TTL_MS } from './http/sessions.ts';
export { InMemoryStateStore, type InMemoryStateStoreOptions } from './in-memory-state-store.ts';
export { hmacSha256Base64, hmacSha256Hex, sha256Hex, timingSafeEqual } from './ingress/hmac.ts';
export {
  isTenantId,
  MIN_ADMIN_TOKEN_LENGTH,
  StaticTenantRegistry,
  TENANT_ID_PATTERN,
} from './ingress/tenants.ts';
export { type TickOutcome, tickAll } from './ingress/tick.ts';
export {
  describeUnconnected,
  type UnconnectedProvider,
  unconnectedProviders,
} from './ingress/unconnected-providers.ts';
export { assertTransition, canTransition, IllegalTransitionError, TRANSITIONS } from './lifecycle.ts';
// One logger for every runtime, with redaction.
export * from './logging/index.ts';
export { importOptionalPeer, MissingPeerError } from './optional-peer.ts';
export {
  defaultSleep,
  type Fetch,
  isTransientStatus,
  jitteredBackoff,
  type RetryOptions,
  retryAfterMs,
  retryingFetch,
} from './outbound/retrying-fetch.ts';
export type { HandleResult, Transition } from './pipeline/result.ts';
export type { ClarificationChannel, OpenedThread } from './ports/clarification-channel.ts';
export { type Clock, systemClock } from './ports/clock.ts';
export * from './ports/connection.ts';
export {
  type Credential,
  type CredentialStore,
  isVersionedCredentialStore,
  type VersionedCredentialStore,
} from './ports/credential-store.ts';
export type { FactoryPorts } from './ports/factory-ports.ts';
export type {
  AgentStatus,
  FleetClient,
  SpawnedAgent,
  SpawnOptions,
  SpawnRequest,
} from './ports/fleet-client.ts';
export { type LogFields, type Logger, silentLogger } from './ports/logger.ts';
export type { Mount, MountChange, MountChangeListener, MountFile, MountSubscription } from './ports/mount.ts';
export type { OutputTarget } from './ports/output-target.ts';
export {
  type ConnectProgress,
  ConnectRefusedError,
  type ConnectStart,
  type RemoteConnector,
} from './ports/remote-connect.ts';
/** The StateStore port's types under one name, for the stores that implement it: `Store.RecordCommit`. */
export type * as Store from './ports/state-store.ts';
export {
  type DeliveryMemory,
  type DocumentWrite,
  type EventMemory,
  type EventTimes,
  expectedRecordVersion,
  type FoundRecord,
  type IndexKind,
  type Lookup,
  loadFound,
  type RecordAndDocument,
  type RecordCommit,
  type RecordPage,
  type RecordQuery,
  type StateStore,
  type TenantDocument,
} from './ports/state-store.ts';
export type { RenderOptions, TaskTemplate } from './ports/task-template.ts';
export type { StoredTenant, TenantDirectory } from './ports/tenant-directory.ts';
export type { TenantRegistry, TenantRuntime } from './ports/tenant-runtime.ts';
export type {
  ClarificationAnswer,
  RouteDecision,
  Triage,
  TriageDecision,
  TriageInput,
} from './ports/triage.ts';
export {
  type DeliveryIdentity,
  type DeliveryReceipt,
  type IncomingWebhook,
  type IncomingWebhookParts,
  incomingWebhook,
  parseJsonBody,
  RECEIPT_TIMEOUT_MS,
  recognition,
  WebhookError,
  type WebhookInterpretation,
  type WebhookRejectionStatus,
  type WebhookSource,
} from './ports/webhook-source.ts';
export type {
  CommentOptions,
  CommentTopic,
  WorkItemProvider,
  WritebackState,
} from './ports/work-item-provider.ts';
export * from './record.ts';
export { matchRoute, RuleTriage, routeDecision } from './rule-triage.ts';
export { outsideScope } from './scope.ts';
export {
  parseSecretReference,
  resolvedSecretValues,
  resolveSecretReferences,
  type SecretReference,
  secretReferencesIn,
} from './secret-references.ts';
export * from './settings.ts';
export type { Attention } from './status/attention.ts';
export type { AgentAttempt, ItemHistory, ItemLinks } from './status/item-history.ts';
export { FactoryMetrics } from './status/metrics.ts';
export { type FactoryPlots, PLOT_WINDOWS, type PlotWindow } from './status/plots.ts';
export { type ItemSummary, type TenantStatus, tenantStatus } from './status/tenant-status.ts';
export {
  DEPLOYMENT_SCOPE,
  StoreTenantDirectory,
  TENANT_CONFIG_DOCUMENT,
  TENANT_INDEX_DOCUMENT,
} from './tenants/store-tenant-directory.ts';
export {
  DEFAULT_TENANT_REFRESH_MS,
  StoredTenantRegistry,
  type StoredTenantRegistryOptions,
} from './tenants/stored-tenant-registry.ts';
export { traceIdFor } from './trace.ts';
export { checkTraceUrl } from './trace-url.ts';
export { parseTraceparent, traceparentFor } from './tracing/run-trace.ts';
export {
  type AuthorPolicy,
  authorPolicy,
  listedAuthor,
  replyAuthor,
  type TrustedAuthorsConfig,
  trustedAuthorsSchema,
} from './trusted-authors.ts';
export { dataBlock, fenceFor, untrustedPreamble } from './untrusted-text.ts';
export * from './work-item.ts';
