import type { ProviderConfig, ProviderEntry } from './provider-entry.ts';

/** What a channel that asks through the intake declares: everything but what such channels share. */
export type IntakeChannelEntry<C extends ProviderConfig> = Omit<
  ProviderEntry<C, 'clarificationChannel'>,
  'roles' | 'secrets' | 'scopes' | 'commentReplies'
>;

/**
 * Declares a clarification channel that asks through the intake and hears the answers through the
 * intake's webhooks (comments on the item, a Linear agent session): it has no token, secret or scopes of
 * its own, and its `trustedAuthors` is what it hands the intake's webhook source.
 */
export function defineIntakeChannel<C extends ProviderConfig & { trustedAuthors?: unknown }>(
  entry: IntakeChannelEntry<C>,
): ProviderEntry<C, 'clarificationChannel'> {
  return {
    ...entry,
    roles: ['clarificationChannel'],
    secrets: [],
    scopes: [],
    commentReplies: (config) => (config.trustedAuthors ? { trustedAuthors: config.trustedAuthors } : {}),
  };
}
