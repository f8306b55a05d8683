import * as z from 'zod/mini';
import { defineIntakeChannel } from '../registry/intake-channel.ts';
import { type BuiltProvider, directOnly, type ProviderContext } from '../registry/provider-entry.ts';
import { linearTrustedAuthorsSchema } from '../shared/answer-trust.ts';
import { LinearAgentSessionChannel } from './agent-session-channel.ts';
import { LinearAgentWorkItemProvider } from './agent-work-item-provider.ts';

function agentChannelSchema() {
  return z
    .strictObject({
      type: z.literal('linear-agent'),
      transport: directOnly,
      provider: z._default(z.string().check(z.minLength(1)), 'linear-agent'),
      trustedAuthors: z
        .optional(linearTrustedAuthorsSchema)
        .check(z.describe('#linear-agent.trustedAuthors')),
    })
    .check(z.describe('#linear-agent'));
}

type AgentChannelConfig = z.output<ReturnType<typeof agentChannelSchema>>;

/**
 * The Linear agent session as the clarification channel: the question is an elicitation in the issue's
 * session and the person's reply there is the answer. It writes through a Linear intake in agent mode and
 * hears the replies through that intake's webhook, so it has no token or webhook of its own.
 */
export const linearAgentChannelProvider = defineIntakeChannel({
  type: 'linear-agent',
  title: 'Linear agent session',
  summary: 'the Linear agent session of the issue',
  example: 'clarificationChannel: linear-agent',
  schema: agentChannelSchema,
  pairing: (tenant) =>
    tenant.intentProvider.type === 'linear' &&
    tenant.intentProvider.transport === 'direct' &&
    tenant.intentProvider.mode === 'agent'
      ? undefined
      : {
          path: ['clarificationChannel', 'type'],
          message:
            'the linear-agent channel asks in the Linear agent session: it needs intentProvider: { type: linear, mode: agent }',
        },
  build(config: AgentChannelConfig, context: ProviderContext): BuiltProvider<'clarificationChannel'> {
    const intake = context.intake;
    if (!(intake instanceof LinearAgentWorkItemProvider))
      throw new Error('clarificationChannel: linear-agent asks through a Linear intake in agent mode');
    return { port: new LinearAgentSessionChannel({ provider: config.provider, intake }) };
  },
});
