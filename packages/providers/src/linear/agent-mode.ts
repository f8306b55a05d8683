import type { TrustedAuthorsConfig } from '@software-factory/sdk';
import type { ProviderAddOn } from '../registry/provider-add-on.ts';
import { LINEAR_AGENT_MODE, type LinearAgentModePart } from './agent-mode-part.ts';
import { LinearAgentSessionEvents } from './agent-session-events.ts';
import { LinearAgentWorkItemProvider } from './agent-work-item-provider.ts';
import { LinearWebhookSource } from './webhook-source.ts';

/**
 * Linear's agent mode (`intentProvider: { type: linear, mode: agent }`): the app's token, its session
 * events as the intake, its sessions as the place to report. An add-on of the Linear entry, so a bundle
 * whose tenants take issues from Issue webhooks does not carry it.
 */
export const linearAgentMode: ProviderAddOn<LinearAgentModePart> = {
  addOn: LINEAR_AGENT_MODE,
  providers: ['linear'],
  title: 'Linear’s agent mode',
  exportName: 'linearAgentMode',
  part: {
    intake: (options) => new LinearAgentWorkItemProvider(options),
    source(intake, secret, context) {
      const provider = intake as LinearAgentWorkItemProvider;
      const replies = context.commentReplies as { trustedAuthors?: TrustedAuthorsConfig } | undefined;
      return new LinearWebhookSource({
        secret,
        provider,
        agentSessions: new LinearAgentSessionEvents({ provider, ...(replies ? { replies } : {}) }),
      });
    },
  },
};
