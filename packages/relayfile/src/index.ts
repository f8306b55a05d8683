export { draftFileName } from './draft-name.ts';
export {
  MOUNT_AUTHOR_ROLES,
  MountClarificationChannel,
  type MountClarificationChannelOptions,
  mountTrustedAuthorsSchema,
} from './mount-clarification-channel.ts';
export {
  interpretMountChange,
  type MountEventSource,
  type MountInterpretation,
  pathGlobsOf,
} from './mount-event-source.ts';
export { MountOutputTarget, type MountOutputTargetOptions } from './mount-output-target.ts';
export { type MountTransports, mountTransports } from './mount-transports.ts';
export { MountWorkItemProvider, type MountWorkItemProviderOptions } from './mount-work-item-provider.ts';
export { matchesAnyPathGlob, matchesPathGlob, pathGlobProblem } from './path-glob.ts';
export {
  parseRelayTimestamp,
  RELAY_HEADERS,
  relaySignatureMatches,
  signRelayDelivery,
} from './relay-signature.ts';
export { type RelayfileConnection, RelayfileMount, type RelayfileMountOptions } from './relayfile-mount.ts';
export {
  RELAYFILE_SOURCE,
  type RelayfileDelivery,
  RelayfileWebhookSource,
  type RelayfileWebhookSourceOptions,
  relayfileDeliverySchema,
} from './relayfile-webhook-source.ts';
export {
  deleteWebhook,
  type EnsuredWebhook,
  type EnsureWebhookOptions,
  ensureWebhook,
  listDeadLetters,
  listWebhooks,
  OutboundWebhooksUnavailableError,
  replayDeadLetters,
  type SubscribeTarget,
} from './subscribe.ts';
export { watchMount } from './watch-mount.ts';
export { webhookUrlProblem } from './webhook-url.ts';
