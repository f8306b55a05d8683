import * as z from 'zod/mini';
import type { ReplyAuthor } from './events.ts';

/**
 * Who may answer a clarification question on one channel: people holding one of `roles` (named the way
 * the channel's vendor names them) or listed by id in `users`. Each channel package defines its roles,
 * its defaults and what a user id looks like; this is the shape they share, so the config reads the same
 * for every channel.
 */
export interface TrustedAuthorsConfig {
  /** Role names of the channel; absent: the channel's defaults. `[]`: no role, only `users`. */
  roles?: string[];
  /** Ids (or logins) trusted whatever their role. */
  users?: string[];
}

/**
 * The `trustedAuthors` config of a channel whose roles are `roles` and whose user ids match `user`. Its
 * JSON Schema descriptions are keys (`#trusted-authors.roles`), expanded by the config's schema generator
 * (`expandFieldDocs` of the providers): the bundles that parse with it carry no prose.
 */
export function trustedAuthorsSchema<R extends string>(
  roles: readonly [R, ...R[]],
  user: z.ZodMiniType<string>,
) {
  return z
    .strictObject({
      roles: z
        .optional(z.array(z.enum(roles, { error: `expected one of ${roles.join(', ')}` })))
        .check(z.describe(`#trusted-authors.roles: ${roles.join(', ')}. #trusted-authors.absent`)),
      users: z.optional(z.array(user)).check(z.describe('#trusted-authors.users')),
    })
    .check(z.describe('#trusted-authors'));
}

/** A channel's resolved trust rule. */
export interface AuthorPolicy<R extends string = string> {
  readonly roles: ReadonlySet<R>;
  /** Listed ids, as `normalise` wrote them. */
  readonly users: ReadonlySet<string>;
  readonly normalise: (id: string) => string;
}

/** Resolves a parsed `trustedAuthors` against the channel's default roles. */
export function authorPolicy<R extends string>(
  config: { roles?: readonly R[] | undefined; users?: readonly string[] | undefined } | undefined,
  defaults: readonly R[],
  normalise: (id: string) => string = (id) => id,
): AuthorPolicy<R> {
  return {
    roles: new Set(config?.roles ?? defaults),
    users: new Set((config?.users ?? []).map(normalise)),
    normalise,
  };
}

/** The first of `ids` (id, login, …) the policy lists by name, if any. */
export function listedAuthor(policy: AuthorPolicy, ...ids: (string | undefined)[]): string | undefined {
  return ids.find((id) => id !== undefined && policy.users.has(policy.normalise(id)));
}

/** A reply author as a channel reports it to the core. */
export function replyAuthor(
  id: string,
  trusted: boolean,
  reason: string,
  name?: string | undefined,
): ReplyAuthor {
  return { id, ...(name ? { name } : {}), trusted, reason };
}
