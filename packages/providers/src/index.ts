export {
  defaultSleep,
  type Fetch,
  isTransientStatus,
  type RetryOptions,
  retryAfterMs,
  retryingFetch,
} from '@software-factory/sdk';
export {
  type CommentsChannelOptions,
  type CommentsConfig,
  commentsConfigSchema,
  commentThreadId,
  IssueCommentClarificationChannel,
  workItemIdOfThread,
} from './comments/clarification-channel.ts';
export {
  GITHUB_API_URL,
  GithubClient,
  type GithubClientOptions,
  type GithubResponse,
} from './github/client.ts';
export { checkGithubToken } from './github/connection.ts';
export { GITHUB_COMMENT_MARKER } from './github/issue-comments.ts';
export {
  GITHUB_REQUIRED_SCOPES,
  type GithubConfig,
  GithubOutputTarget,
  type GithubTargetOptions,
  githubConfigSchema,
} from './github/output-target.ts';
export {
  outputState,
  type PullRequest,
  parseOutputId,
  pullRequestSchema,
  toOutputSnapshot,
} from './github/pull-request.ts';
export { verifyGithubSignature } from './github/signature.ts';
export { GithubWebhookSource, type GithubWebhookSourceOptions } from './github/webhook-source.ts';
export {
  defaultKeyPrefix,
  type GithubIssue,
  githubIssueSchema,
  githubIssueState,
  githubIssueToWorkItem,
  parseIssueId,
} from './github-issues/issue.ts';
export {
  GithubIssuesWebhookSource,
  type GithubIssuesWebhookSourceOptions,
} from './github-issues/webhook-source.ts';
export {
  GITHUB_ISSUES_REQUIRED_SCOPES,
  type GithubIssuesConfig,
  type GithubIssuesProviderOptions,
  GithubIssuesWorkItemProvider,
  githubIssuesConfigSchema,
} from './github-issues/work-item-provider.ts';
export {
  gitlabTimeToIso,
  type MergeRequest,
  mergeRequestSchema,
  mergeRequestState,
  parseMergeRequestId,
  toGitlabOutput,
} from './gitlab/merge-request.ts';
export {
  GITLAB_REQUIRED_SCOPES,
  type GitlabConfig,
  GitlabOutputTarget,
  type GitlabTargetOptions,
  gitlabConfigSchema,
} from './gitlab/output-target.ts';
export { GitlabWebhookSource, type GitlabWebhookSourceOptions } from './gitlab/webhook-source.ts';
export { type AdfNode, adfToText, isAdfDocument, textToAdf } from './jira/atlassian-document.ts';
export {
  JIRA_KEY,
  JIRA_STATUS_CATEGORIES,
  type JiraIssue,
  jiraAbstractState,
  jiraIssueSchema,
  jiraIssueToWorkItem,
  jiraTimeToIso,
} from './jira/issue.ts';
export { JiraWebhookSource, type JiraWebhookSourceOptions } from './jira/webhook-source.ts';
export {
  JIRA_COMMENT_PROPERTY,
  JIRA_REQUIRED_SCOPES,
  type JiraConfig,
  type JiraProviderOptions,
  JiraWorkItemProvider,
  jiraConfigSchema,
} from './jira/work-item-provider.ts';
export { LINEAR_API_URL, LinearClient, type LinearClientOptions } from './linear/client.ts';
export { LinearCommentReplies, type LinearCommentRepliesOptions } from './linear/comment-replies.ts';
export {
  abstractState,
  issueToWorkItem,
  LINEAR_STATE_TYPES,
  type LinearIssue,
  type LinearStateType,
  linearIssueSchema,
} from './linear/issue.ts';
export { LinearWebhookSource, type LinearWebhookSourceOptions } from './linear/webhook-source.ts';
export {
  LINEAR_REQUIRED_SCOPES,
  type LinearConfig,
  type LinearProviderOptions,
  LinearWorkItemProvider,
  linearConfigSchema,
} from './linear/work-item-provider.ts';
export * from './registry.ts';
export {
  COMMENT_TRUST_INTAKES,
  commentsTrustedAuthorsSchema,
  commentTrustedAuthorsSchemas,
  GITHUB_AUTHOR_ASSOCIATIONS,
  GITHUB_ISSUES_DEFAULT_ROLES,
  type GithubAuthorAssociation,
  githubIssuesTrustedAuthorsSchema,
  JIRA_AUTHOR_ROLES,
  JIRA_DEFAULT_ROLES,
  type JiraAuthorRole,
  jiraTrustedAuthorsSchema,
  LINEAR_AUTHOR_ROLES,
  LINEAR_DEFAULT_ROLES,
  type LinearAuthorRole,
  linearTrustedAuthorsSchema,
  SLACK_AUTHOR_ROLES,
  SLACK_DEFAULT_ROLES,
  type SlackAuthorRole,
  slackTrustedAuthorsSchema,
} from './shared/answer-trust.ts';
export { uuidFromKey } from './shared/deterministic-uuid.ts';
export {
  JsonRestClient,
  type JsonRestClientOptions,
  type RestCall,
  type RestResponse,
} from './shared/json-rest-client.ts';
export { connectWithOAuth, type OAuthAppOptions } from './shared/oauth-connect.ts';
export { credentialStoreTokens, readCredential, type TokenSource } from './shared/provider-credentials.ts';
export { NotAuthorisedError, ProviderApiError, scrubSecrets } from './shared/provider-errors.ts';
export { cachedConnections } from './shared/tenant-connections.ts';
export {
  type ChannelMembership,
  SlackChannelMembers,
  type SlackChannelMembersOptions,
} from './slack/channel-members.ts';
export {
  parseThreadId,
  SLACK_METADATA_EVENT,
  type SlackChannelOptions,
  SlackClarificationChannel,
  type SlackConfig,
  slackConfigSchema,
} from './slack/clarification-channel.ts';
export { SLACK_API_URL, type SlackArgs, SlackClient, type SlackClientOptions } from './slack/client.ts';
export { SlackWebhookSource, type SlackWebhookSourceOptions } from './slack/webhook-source.ts';
export {
  type DirectProviderOptions,
  type DirectProviders,
  type DirectSecrets,
  type DirectTenantConfig,
  directProviders,
} from './tenant/direct-providers.ts';
export { type DirectTenantOptions, directTenantRuntime } from './tenant/direct-tenant.ts';
