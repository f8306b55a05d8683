import { WebhookError } from '@software-factory/sdk';
import type * as z from 'zod/mini';

/** `body` read by `schema`, or a 400 that names every missing or wrong field of the `what` payload. */
export function parsePayload<S extends z.ZodMiniType>(schema: S, body: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`,
  );
  throw new WebhookError(400, `${what} payload is incomplete: ${problems.join('; ')}`);
}
