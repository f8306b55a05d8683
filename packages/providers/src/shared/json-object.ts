import * as z from 'zod/mini';

/**
 * A JSON object whose fields a later schema (or the code) reads, taken as it is. `z.record(z.string(),
 * z.unknown())` says the same but copies every field into a new object, on every delivery, before the
 * schema that reads the fields copies them again.
 */
export const jsonObject = z.custom<Record<string, unknown>>(
  (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
  { error: 'Invalid input: expected an object' },
);
