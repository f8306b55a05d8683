// biome-ignore-all lint/suspicious/noTemplateCurlyInString: examples show ${ENV_VAR} references literally.
import { mountTrustedAuthorsSchema } from '@software-factory/relayfile';
import * as z from 'zod/mini';
import { apiVendor } from '../registry/api-vendor.ts';
import { builtOnMount } from '../registry/mount-port.ts';
import {
  type BuiltProvider,
  defineProvider,
  type ProviderContext,
  type Requirement,
  type SchemaKit,
} from '../registry/provider-entry.ts';
import { transports } from '../registry/role-schema.ts';
import { SlackClarificationChannel, slackConfigSchema } from './clarification-channel.ts';
import { SLACK_OAUTH } from './oauth.ts';
import { SlackWebhookSource } from './webhook-source.ts';

const SLACK = apiVendor({
  vendor: 'Slack',
  token: { field: 'botToken', env: 'SLACK_BOT_TOKEN' },
  webhookSecret: { field: 'signingSecret', env: 'SLACK_SIGNING_SECRET' },
  oauth: SLACK_OAUTH,
});

/** The bot scopes of a public channel whose members may answer (the default). */
const SLACK_SCOPES = ['chat:write', 'channels:history', 'channels:read'] as const;

const CHANNEL_ID = z
  .string()
  .check(z.regex(/^[CG][A-Z0-9]{2,}$/, 'expected a Slack channel id such as C0123456789'));

function slackSchema(kit: SchemaKit) {
  const direct = z.strictObject(
    z.extend(slackConfigSchema, {
      type: z.literal('slack'),
      transport: z._default(z.literal('direct'), 'direct'),
      channel: z.optional(CHANNEL_ID).check(z.describe('#slack.channel')),
      botToken: kit.defaulted(SLACK.token, '#slack.botToken'),
      signingSecret: kit.defaulted(SLACK.webhookSecret, '#slack.signingSecret'),
      botUserId: z.optional(z.string().check(z.minLength(1))).check(z.describe('#slack.botUserId')),
      oauth: kit.oauthClient(SLACK_OAUTH),
    }).shape,
  );
  const relayfile = z.strictObject({
    type: z.literal('slack'),
    transport: z.literal('relayfile'),
    provider: z._default(z.string().check(z.minLength(1)), 'slack'),
    channel: z.string().check(
      z.regex(/^[A-Za-z0-9]+(?:__[A-Za-z0-9._+=@-]+)?$/, {
        error: 'expected a channel folder: the channel id, or <id>__<name> as relayfile names it',
      }),
      z.describe('#slack.relayfile.channel'),
    ),
    botUserId: z.optional(z.string().check(z.minLength(1))).check(z.describe('#slack.relayfile.botUserId')),
    trustedAuthors: z.optional(mountTrustedAuthorsSchema).check(z.describe('#slack.trustedAuthors')),
  });
  return transports(['direct', 'relayfile'], [direct, relayfile]).check(z.describe('#slack'));
}

type SlackEntryConfig = z.output<ReturnType<typeof slackSchema>>;

/** A Slack channel as the clarification channel: one thread per question. */
export const slackProvider = defineProvider({
  type: 'slack',
  title: 'Slack',
  summary: 'a Slack channel',
  roles: ['clarificationChannel'],
  secrets: SLACK.secrets,
  scopes: SLACK_SCOPES,
  oauth: SLACK_OAUTH,
  example: 'clarificationChannel: { type: slack, channel: C0123456789 }',
  setup: {
    questions: [
      {
        field: 'channel',
        flag: 'slack-channel',
        message: 'Slack channel id (e.g. C0123456789)',
        schema: CHANNEL_ID,
        prompt: true,
        required: false,
      },
    ],
  },
  schema: slackSchema,
  build(config: SlackEntryConfig, context: ProviderContext): BuiltProvider<'clarificationChannel'> {
    if (config.transport === 'relayfile')
      return builtOnMount(
        context,
        'clarificationChannel',
        (mount, ports) =>
          new ports.MountClarificationChannel({
            mount,
            provider: config.provider,
            channel: config.channel,
            ...(config.botUserId ? { botUserId: config.botUserId } : {}),
            ...(config.trustedAuthors ? { trustedAuthors: config.trustedAuthors } : {}),
          }),
      );
    const { type: _type, transport: _transport, botToken, signingSecret, botUserId, oauth, ...rest } = config;
    const port = new SlackClarificationChannel({
      ...rest,
      ...SLACK.access(context, rest.provider, botToken, oauth),
    });
    const missing: Requirement[] = [];
    if (!port.channel)
      missing.push({
        field: 'channel',
        what: 'the Slack channel questions are asked in',
        fix: 'add its id, e.g. clarificationChannel: { type: slack, channel: C0123456789 }',
      });
    if (!signingSecret) missing.push(SLACK.missingWebhookSecret());
    if (missing.length > 0) return { port, missing };
    const source = new SlackWebhookSource({
      signingSecret: signingSecret as string,
      channel: port.channel as string,
      ...(botUserId ? { botUserId } : {}),
      ...(port.trustedAuthors ? { trustedAuthors: port.trustedAuthors } : {}),
      members: port.members,
    });
    return { port, sources: [source] };
  },
});
