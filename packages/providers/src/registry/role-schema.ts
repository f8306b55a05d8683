import type { core } from 'zod/mini';
import * as z from 'zod/mini';
import {
  type AnyProviderEntry,
  type ProviderConfig,
  type Role,
  type SchemaKit,
  schemaKit,
} from './provider-entry.ts';
import type { ProviderRegistry } from './provider-registry.ts';
import type { SecretResolver } from './secrets.ts';

/** The role schemas built so far, with the names a bare value may take, for the JSON Schema. */
const SHORTHANDS = new WeakMap<object, readonly string[]>();

/**
 * The schema of one role (`intentProvider`, …): a provider by its bare name (`linear`: the provider
 * with every default), or a mapping with its `type` and settings. Errors name the types there are.
 */
export function roleSchema(
  role: Role,
  registry: ProviderRegistry,
  secrets: SecretResolver | SchemaKit,
): z.ZodMiniType<ProviderConfig, unknown> {
  const kit = 'defaulted' in secrets ? secrets : schemaKit(secrets);
  const entries = registry.forRole(role);
  const names = entries.map((entry) => entry.type);
  if (entries.length === 0)
    return z.never({ error: `no provider that can be the ${role} is registered` }) as never;
  const schemas = new Map(entries.map((entry) => [entry.type, entry.schema(kit)]));
  const mapping = z.discriminatedUnion(
    'type',
    [...schemas.values()] as unknown as [core.$ZodTypeDiscriminable, ...core.$ZodTypeDiscriminable[]],
    {
      error: (issue) =>
        unionMessage(issue, 'type', names, 'a name, or a mapping with `type:` and its settings'),
    },
  );
  const schema = z.pipe(
    z.transform((input, context) => {
      if (typeof input !== 'string') return input;
      const entry = entries.find((candidate) => candidate.type === input);
      // Not a name we know: the union says which names there are.
      if (!entry) return input;
      const shorthand = { type: input };
      const missing = shorthandProblems(entry, schemas.get(entry.type) as z.ZodMiniType, shorthand);
      if (missing) context.issues.push({ code: 'custom', message: missing, input });
      return shorthand;
    }),
    mapping,
  ) as unknown as z.ZodMiniType<ProviderConfig, unknown>;
  SHORTHANDS.set(schema, names);
  SHORTHANDS.set(mapping, names);
  return schema;
}

/** Why a bare name is not enough for this provider, naming what to add with an example; else undefined. */
function shorthandProblems(
  entry: AnyProviderEntry,
  schema: z.ZodMiniType,
  shorthand: { type: string },
): string | undefined {
  const result = schema.safeParse(shorthand);
  if (result.success) return undefined;
  const fields = [
    ...new Set(result.error.issues.map((issue) => issue.path.map(String).join('.')).filter(Boolean)),
  ];
  return `${entry.type} needs more than its name: add ${fields.length > 0 ? fields.join(', ') : 'its settings'}, e.g. ${entry.example}`;
}

/**
 * The words of a failed union over `discriminator`: `expected one of: linear, jira, github-issues, got
 * "asana"`, never one phrase per member.
 */
export function unionMessage(
  issue: core.$ZodRawIssue,
  discriminator: string,
  names: readonly string[],
  /** What a value of the union looks like, said when the value is of another kind. */
  form = `a mapping with \`${discriminator}:\` and its settings`,
): string | undefined {
  const list = `one of: ${names.join(', ')}`;
  if (issue.code === 'invalid_type') {
    if (issue.input === undefined) return `is required: expected ${list}`;
    return `expected ${list} (${form}), got ${shown(issue.input)}`;
  }
  if (issue.code === 'invalid_union') {
    const input = issue.input as Record<string, unknown> | undefined;
    const value = input && typeof input === 'object' ? input[discriminator] : undefined;
    return value === undefined || value === null
      ? `is required: expected ${list}`
      : `expected ${list}, got ${shown(value)}`;
  }
  return undefined;
}

/**
 * A provider's transports as one schema: a discriminated union on `transport`, the first member's
 * literal defaulting (`transport` may be left out for the default).
 */
export function transports<
  const T extends readonly [core.$ZodTypeDiscriminable, ...core.$ZodTypeDiscriminable[]],
>(names: readonly string[], options: T) {
  return z.discriminatedUnion('transport', options, {
    error: (issue) => unionMessage(issue, 'transport', names, 'a transport name'),
  });
}

/**
 * For `z.toJSONSchema`'s `override`: a role accepts a provider's bare name as well as its mapping, which
 * the schema's own JSON (the mappings) does not say.
 */
export function shorthandJsonSchema(context: {
  zodSchema: unknown;
  jsonSchema: Record<string, unknown>;
}): void {
  const names = SHORTHANDS.get(context.zodSchema as object);
  if (!names || context.jsonSchema.anyOf) return;
  const mappings = { ...context.jsonSchema };
  for (const key of Object.keys(context.jsonSchema)) delete context.jsonSchema[key];
  const { description, ...rest } = mappings;
  Object.assign(context.jsonSchema, {
    ...(description !== undefined ? { description } : {}),
    anyOf: [
      {
        type: 'string',
        enum: [...names],
        description: 'The provider by its name, with its defaults (secrets from their usual variables).',
      },
      rest,
    ],
  });
}

/** The offending value, short; mappings and lists are named, not dumped. */
function shown(value: unknown): string {
  if (value === null) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  return String(value);
}
