import { commentsProvider } from '../comments/index.ts';
import { githubApp } from '../github/app-add-on.ts';
import { githubProvider } from '../github/index.ts';
import { githubIssuesProvider } from '../github-issues/index.ts';
import { gitlabProvider } from '../gitlab/index.ts';
import { jiraProvider } from '../jira/index.ts';
import { linearAgentChannelProvider } from '../linear/agent-channel-entry.ts';
import { linearAgentMode } from '../linear/agent-mode.ts';
import { linearProvider } from '../linear/index.ts';
import { slackProvider } from '../slack/index.ts';
import type { ProviderAddOn } from './provider-add-on.ts';
import type { AnyProviderEntry } from './provider-entry.ts';
import { ProviderRegistry } from './provider-registry.ts';

/** The providers this package ships, in the order messages list them (per role). */
export const BUILTIN_PROVIDERS: readonly AnyProviderEntry[] = [
  linearProvider,
  jiraProvider,
  githubIssuesProvider,
  slackProvider,
  commentsProvider,
  linearAgentChannelProvider,
  githubProvider,
  gitlabProvider,
];

/** The add-ons (see `ProviderAddOn`) of the built-in providers. */
export const BUILTIN_ADD_ONS: readonly ProviderAddOn[] = [linearAgentMode, githubApp];

/**
 * The registry every part of the factory reads unless given another: the built-in providers with every
 * add-on, and any a program adds with `providerRegistry.register(entry)` before it loads a config.
 */
export const providerRegistry = new ProviderRegistry([...BUILTIN_PROVIDERS, ...BUILTIN_ADD_ONS]);
