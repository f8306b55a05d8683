import * as z from 'zod/mini';

/** The registered client and, when given, exactly the scopes to ask for: what every sign-in flow checks first. */
export const clientOptionsSchema = z.object({
  clientId: z.string().check(z.minLength(1, 'clientId is required')),
  clientSecret: z.optional(z.string().check(z.minLength(1))),
  scopes: z.optional(
    z.array(z.string().check(z.minLength(1))).check(z.minLength(1, 'request at least one scope')),
  ),
});

/** The part of a sign-in flow's options that `clientOptionsSchema` checks, as plain data. */
export function clientOptionsOf(options: {
  clientId: string;
  clientSecret?: string | undefined;
  scopes?: readonly string[] | undefined;
}) {
  return {
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    scopes: options.scopes ? [...options.scopes] : undefined,
  };
}
