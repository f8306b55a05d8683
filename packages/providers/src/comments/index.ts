import * as z from 'zod/mini';
import { defineIntakeChannel } from '../registry/intake-channel.ts';
import { type BuiltProvider, directOnly, type ProviderContext } from '../registry/provider-entry.ts';
import { commentsConfigSchema, IssueCommentClarificationChannel } from './clarification-channel.ts';

function commentsSchema() {
  return z
    .strictObject(
      z.extend(commentsConfigSchema, { type: z.literal('comments'), transport: directOnly }).shape,
    )
    .check(z.describe('#comments'));
}

type CommentsEntryConfig = z.output<ReturnType<typeof commentsSchema>>;

/**
 * Comments on the work item as the clarification channel: no vendor of its own, it writes through the
 * intake and hears answers through the intake's webhooks.
 */
export const commentsProvider = defineIntakeChannel({
  type: 'comments',
  title: 'comments',
  summary: 'comments on the work item itself',
  example: 'clarificationChannel: comments',
  schema: commentsSchema,
  build(config: CommentsEntryConfig, context: ProviderContext): BuiltProvider<'clarificationChannel'> {
    if (!context.intake)
      throw new Error('clarificationChannel: the comments channel writes through the intake');
    const { type: _type, transport: _transport, trustedAuthors: _trusted, ...rest } = config;
    return { port: new IssueCommentClarificationChannel({ ...rest, workItems: context.intake }) };
  },
});
