export { uuidFromKey } from './deterministic-uuid.ts';
export { type DirectTenantOptions, directTenantRuntime } from './direct-tenant.ts';
export { createOctokit, GITHUB_API_URL, type GithubClientOptions } from './github-client.ts';
export {
  GITHUB_REQUIRED_SCOPES,
  type GithubConfig,
  GithubOutputTarget,
  type GithubTargetOptions,
  githubConfigSchema,
} from './github-output-target.ts';
export {
  outputState,
  type PullRequest,
  parseOutputId,
  pullRequestSchema,
  toOutputSnapshot,
} from './github-pull-request.ts';
export { GithubWebhookSource, type GithubWebhookSourceOptions } from './github-webhook-source.ts';
export {
  defaultSleep,
  type Fetch,
  isTransientStatus,
  type RetryOptions,
  retryAfterMs,
  retryingFetch,
} from './http-retry.ts';
export { LINEAR_API_URL, LinearClient, type LinearClientOptions } from './linear-client.ts';
export {
  abstractState,
  issueToWorkItem,
  LINEAR_STATE_TYPES,
  type LinearIssue,
  type LinearStateType,
  linearIssueSchema,
} from './linear-issue.ts';
export { LinearWebhookSource, type LinearWebhookSourceOptions } from './linear-webhook-source.ts';
export {
  LINEAR_REQUIRED_SCOPES,
  type LinearConfig,
  type LinearProviderOptions,
  LinearWorkItemProvider,
  linearConfigSchema,
} from './linear-work-item-provider.ts';
export { credentialStoreTokens, readCredential, type TokenSource } from './provider-credentials.ts';
export { NotAuthorisedError, ProviderApiError, scrubSecrets } from './provider-errors.ts';
export {
  parseThreadId,
  SLACK_METADATA_EVENT,
  type SlackChannelOptions,
  SlackClarificationChannel,
  type SlackConfig,
  slackConfigSchema,
} from './slack-clarification-channel.ts';
export { SLACK_API_URL, type SlackArgs, SlackClient, type SlackClientOptions } from './slack-client.ts';
export { SlackWebhookSource, type SlackWebhookSourceOptions } from './slack-webhook-source.ts';
