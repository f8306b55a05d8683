import type * as z from 'zod/mini';

/** Validates the plain-data part of an options object, throwing one error that names every bad field. */
export function parseOptions<S extends z.ZodMiniType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  throw new Error(`invalid ${what} options: ${problems.join('; ')}`);
}
