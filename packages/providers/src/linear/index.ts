// biome-ignore-all lint/suspicious/noTemplateCurlyInString: examples show ${ENV_VAR} references literally.
import { WORK_ITEM_STATES } from '@software-factory/sdk';
import * as z from 'zod/mini';
import { apiVendor, commentReplyOptions } from '../registry/api-vendor.ts';
import { builtOnMount } from '../registry/mount-port.ts';
import {
  type BuiltProvider,
  defineProvider,
  type ProviderContext,
  type SchemaKit,
} from '../registry/provider-entry.ts';
import { transports } from '../registry/role-schema.ts';
import { linearTrustedAuthorsSchema } from '../shared/answer-trust.ts';
import { linearAddOns, linearAgentModeOf } from './agent-mode-part.ts';
import { LinearCommentReplies } from './comment-replies.ts';
import { LINEAR_OAUTH } from './oauth.ts';
import { LinearWebhookSource, type LinearWebhookSourceOptions } from './webhook-source.ts';
import { LINEAR_REQUIRED_SCOPES, LinearWorkItemProvider, linearConfigSchema } from './work-item-provider.ts';

const LINEAR = apiVendor({
  vendor: 'Linear',
  token: { field: 'apiKey', env: 'LINEAR_API_KEY' },
  webhookSecret: { env: 'LINEAR_WEBHOOK_SECRET' },
  oauth: LINEAR_OAUTH,
});

function linearSchema(kit: SchemaKit) {
  const direct = z.strictObject(
    z.extend(linearConfigSchema, {
      type: z.literal('linear'),
      transport: z._default(z.literal('direct'), 'direct'),
      apiKey: kit.defaulted(LINEAR.token, '#linear.apiKey'),
      webhookSecret: kit.defaulted(LINEAR.webhookSecret, '#linear.webhookSecret'),
      oauth: kit.oauthClient(LINEAR_OAUTH),
      mode: z._default(z.enum(LINEAR_MODES), 'issues').check(z.describe('#linear.mode')),
    }).shape,
  );
  const relayfile = z.strictObject({
    type: z.literal('linear'),
    transport: z.literal('relayfile'),
    mode: z.optional(
      z.literal('issues', {
        error: 'agent mode needs transport "direct": Linear sends agent sessions to the app\'s own webhook',
      }),
    ),
    provider: z._default(z.string().check(z.minLength(1)), 'linear'),
    readyState: z._default(z.enum(WORK_ITEM_STATES), 'todo').check(z.describe('#linear.readyState')),
    readyLabels: z
      ._default(z.array(z.string().check(z.minLength(1))), ['factory'])
      .check(z.describe('#linear.readyLabels')),
    stateIds: z
      .strictObject({ dispatched: z.string().check(z.minLength(1)), done: z.string().check(z.minLength(1)) })
      .check(z.describe('#linear.stateIds')),
  });
  return transports(['direct', 'relayfile'], [direct, relayfile]).check(z.describe('#linear'));
}

type LinearConfig = z.output<ReturnType<typeof linearSchema>>;

/** How issues reach the factory: Issue webhooks of ready issues, or agent sessions of the Linear app. */
export const LINEAR_MODES = ['issues', 'agent'] as const;

/**
 * What the intake's webhook hears besides issue changes: answers as comments, when comments are the
 * clarification channel. (Agent mode's session events come with its add-on, `linearAgentMode`.)
 */
function commentRepliesOf(
  port: LinearWorkItemProvider,
  context: ProviderContext,
): Pick<LinearWebhookSourceOptions, 'commentReplies'> {
  const { commentReplies, ...replies } = commentReplyOptions(context);
  return commentReplies
    ? { commentReplies: new LinearCommentReplies({ client: port.client, ...replies }) }
    : {};
}

/** Linear issues as the intake: over its GraphQL API and webhooks, or as files through relayfile. */
export const linearProvider = defineProvider({
  type: 'linear',
  title: 'Linear',
  summary: 'Linear issues',
  roles: ['intentProvider'],
  secrets: LINEAR.secrets,
  scopes: LINEAR_REQUIRED_SCOPES,
  oauth: LINEAR_OAUTH,
  pairing: (tenant) =>
    tenant.intentProvider.mode === 'agent' && tenant.clarificationChannel.type === 'comments'
      ? {
          path: ['clarificationChannel', 'type'],
          message:
            'in agent mode the factory asks in the agent session: use clarificationChannel: linear-agent (or a chat such as slack)',
        }
      : undefined,
  example: 'intentProvider: { type: linear, requiredLabels: [factory] }',
  commentAuthors: linearTrustedAuthorsSchema,
  addOns: linearAddOns,
  setup: { readyLabel: (label) => ({ requiredLabels: [label] }) },
  schema: linearSchema,
  build(config: LinearConfig, context: ProviderContext): BuiltProvider<'intentProvider'> {
    if (config.transport === 'relayfile')
      return builtOnMount(
        context,
        'intentProvider',
        (mount, ports) =>
          new ports.MountWorkItemProvider({
            mount,
            provider: config.provider,
            stateIds: config.stateIds,
            readyState: config.readyState,
            readyLabels: config.readyLabels,
          }),
      );
    const { type: _type, transport: _transport, apiKey, webhookSecret, oauth, mode, ...rest } = config;
    const options = { ...rest, ...LINEAR.access(context, rest.provider, apiKey, oauth) };
    if (mode === 'agent') {
      // The app's token, its session events as the intake, its sessions as the place to report: built
      // by the `linearAgentMode` add-on (agent-mode.ts), which a registry carries only when given it.
      const agent = linearAgentModeOf(context);
      const port = agent.intake(options);
      return LINEAR.withWebhookSource(port, webhookSecret, (secret) => agent.source(port, secret, context));
    }
    const port = new LinearWorkItemProvider(options);
    return LINEAR.withWebhookSource(
      port,
      webhookSecret,
      (secret) => new LinearWebhookSource({ secret, provider: port, ...commentRepliesOf(port, context) }),
    );
  },
});
