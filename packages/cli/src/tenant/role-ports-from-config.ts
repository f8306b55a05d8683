import {
  GithubIssuesWebhookSource,
  GithubIssuesWorkItemProvider,
  GithubOutputTarget,
  GithubWebhookSource,
  GitlabOutputTarget,
  GitlabWebhookSource,
  IssueCommentClarificationChannel,
  JiraWebhookSource,
  JiraWorkItemProvider,
  LinearCommentReplies,
  LinearWebhookSource,
  LinearWorkItemProvider,
  SlackClarificationChannel,
  SlackWebhookSource,
  type TokenSource,
} from '@software-factory/providers';
import {
  MountClarificationChannel,
  type MountEventSource,
  MountOutputTarget,
  MountWorkItemProvider,
  RelayfileMount,
  RelayfileWebhookSource,
} from '@software-factory/relayfile';
import { DirectoryMount } from '@software-factory/relayfile/directory-mount';
import type {
  ClarificationChannel,
  Connectable,
  Logger,
  Mount,
  OutputTarget,
  ProviderRole,
  WebhookSource,
  WorkItemProvider,
} from '@software-factory/sdk';
import type { TenantConfig } from '../config/config-schema.ts';
import { LocalWritebackMount } from '../local-writeback-mount.ts';
import {
  type ConfiguredCredentials,
  type OAuthClientConfig,
  storedToken,
} from './credential-store-from-config.ts';

/** A tenant's three role ports and the webhook sources that feed them, built from config alone. */
export interface RolePorts {
  workItems: WorkItemProvider;
  clarifications: ClarificationChannel;
  outputs: OutputTarget;
  /** Every declared provider with the role it plays, for connection checks and `factory connect`. */
  connectables: [Connectable, ProviderRole][];
  /** The direct providers' webhook sources (and relayfile's, for a relayfile mount). */
  sources: WebhookSource[];
  /** Providers that read a mount's change events. */
  mountSources: MountEventSource[];
  mount?: Mount;
}

export interface RolePortsOptions {
  credentials: ConfiguredCredentials;
  logger: Logger;
}

/**
 * Builds the intake, clarification channel and output target a tenant's config selects. A provider
 * whose token field is left out reads its token from the credentials store under its config name
 * (`linear`, `slack`, `github`, `jira`, `gitlab`, `github-issues`); with neither, it is `needs-auth`.
 */
export function rolePortsFromConfig(config: TenantConfig, options: RolePortsOptions): RolePorts {
  const { logger } = options;
  const tokenOf = (
    provider: string,
    literal: string | undefined,
    oauth?: OAuthClientConfig,
  ): { token: TokenSource } => ({
    token: literal ?? storedToken(options.credentials, config.id, provider, oauth),
  });
  const mount = mountFromConfig(config);
  const sources: WebhookSource[] = [];
  const mountSources: MountEventSource[] = [];
  const comments = config.clarificationChannel.type === 'comments';
  // Who may answer in the comments: the intake's source checks it against the intake's roles.
  const commentTrust =
    config.clarificationChannel.type === 'comments' && config.clarificationChannel.trustedAuthors
      ? { trustedAuthors: config.clarificationChannel.trustedAuthors }
      : {};

  const intake = config.intentProvider;
  let workItems: WorkItemProvider;
  if (intake.type === 'linear' && intake.transport === 'relayfile') {
    const provider = new MountWorkItemProvider({
      mount: requireMount(mount),
      stateIds: intake.stateIds,
      readyState: intake.readyState,
      readyLabels: intake.readyLabels,
    });
    mountSources.push(provider);
    workItems = provider;
  } else if (intake.type === 'linear') {
    const { type: _t, transport: _r, apiKey, webhookSecret, oauth, ...rest } = intake;
    const provider = new LinearWorkItemProvider({ ...rest, ...tokenOf(rest.provider, apiKey, oauth) });
    sources.push(
      new LinearWebhookSource({
        secret: webhookSecret,
        provider,
        ...(comments
          ? { commentReplies: new LinearCommentReplies({ client: provider.client, ...commentTrust }) }
          : {}),
      }),
    );
    workItems = provider;
  } else if (intake.type === 'jira') {
    const { type: _t, transport: _r, token, webhookSecret, ...rest } = intake;
    const provider = new JiraWorkItemProvider({ ...rest, ...tokenOf(rest.provider, token) });
    sources.push(
      new JiraWebhookSource({ secret: webhookSecret, provider, commentReplies: comments, ...commentTrust }),
    );
    workItems = provider;
  } else {
    const { type: _t, transport: _r, token, webhookSecret, oauth, ...rest } = intake;
    const provider = new GithubIssuesWorkItemProvider({
      ...rest,
      ...tokenOf(rest.provider, token, oauth),
      logger,
    });
    sources.push(
      new GithubIssuesWebhookSource({
        secret: webhookSecret,
        provider,
        commentReplies: comments,
        ...commentTrust,
      }),
    );
    workItems = provider;
  }

  const chat = config.clarificationChannel;
  let clarifications: ClarificationChannel;
  if (chat.type === 'comments') {
    const { type: _t, transport: _r, ...rest } = chat;
    clarifications = new IssueCommentClarificationChannel({ ...rest, workItems });
  } else if (chat.transport === 'direct') {
    const { type: _t, transport: _r, botToken, signingSecret, botUserId, oauth, ...rest } = chat;
    const channel = new SlackClarificationChannel({ ...rest, ...tokenOf(rest.provider, botToken, oauth) });
    sources.push(
      new SlackWebhookSource({
        signingSecret,
        channel: channel.channel,
        ...(botUserId ? { botUserId } : {}),
        ...(channel.trustedAuthors ? { trustedAuthors: channel.trustedAuthors } : {}),
        members: channel.members,
      }),
    );
    clarifications = channel;
  } else {
    const channel = new MountClarificationChannel({
      mount: requireMount(mount),
      channel: chat.channel,
      ...(chat.botUserId ? { botUserId: chat.botUserId } : {}),
      ...(chat.trustedAuthors ? { trustedAuthors: chat.trustedAuthors } : {}),
    });
    mountSources.push(channel);
    clarifications = channel;
  }

  const code = config.outputTarget;
  let outputs: OutputTarget;
  if (code.type === 'gitlab') {
    const { type: _t, transport: _r, token, webhookSecret, ...rest } = code;
    outputs = new GitlabOutputTarget({ ...rest, ...tokenOf(rest.provider, token) });
    sources.push(new GitlabWebhookSource({ secret: webhookSecret }));
  } else if (code.transport === 'direct') {
    const { type: _t, transport: _r, token, webhookSecret, oauth, ...rest } = code;
    outputs = new GithubOutputTarget({ ...rest, ...tokenOf(rest.provider, token, oauth), logger });
    sources.push(new GithubWebhookSource({ secret: webhookSecret }));
  } else {
    const target = new MountOutputTarget({
      mount: requireMount(mount),
      ...(code.repositories ? { repositories: code.repositories } : {}),
    });
    mountSources.push(target);
    outputs = target;
  }

  if (mount instanceof RelayfileMount && config.mount?.type === 'relayfile') {
    sources.push(
      new RelayfileWebhookSource({ secret: config.mount.webhookSecret, mount, sources: mountSources }),
    );
  }

  return {
    workItems,
    clarifications,
    outputs,
    connectables: [
      [workItems, 'intake'],
      [clarifications, 'clarification'],
      [outputs, 'output'],
    ],
    sources,
    mountSources,
    ...(mount ? { mount } : {}),
  };
}

function mountFromConfig(config: TenantConfig): Mount | undefined {
  const mount = config.mount;
  if (!mount) return undefined;
  if (mount.type === 'relayfile')
    return new RelayfileMount({ baseUrl: mount.baseUrl, token: mount.token, workspaceId: mount.workspace });
  const intake = config.intentProvider;
  // A local folder stands in for the vendors too, so the tracker's state ids must be known here.
  const stateIds =
    intake.type === 'linear' && intake.transport === 'relayfile'
      ? intake.stateIds
      : { dispatched: 'in-progress', done: 'done' };
  return new LocalWritebackMount(new DirectoryMount(mount.path), { stateIds });
}

function requireMount(mount: Mount | undefined): Mount {
  // The config schema already insists on a mount for relayfile transport; this keeps the types honest.
  if (!mount) throw new Error('transport "relayfile" needs a mount');
  return mount;
}
