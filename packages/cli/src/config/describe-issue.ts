import type { core } from 'zod/mini';

type Issue = core.$ZodRawIssue;
type SchemaInstance = core.$ZodType;

/** Turns one zod issue into "expected …, got …" words for a person editing the config file. */
export function describeIssue(issue: Issue): string {
  // A failed check (min, max, format) reports itself as `inst` and its schema as `schema`.
  const schema = ((issue as { schema?: SchemaInstance }).schema ?? issue.inst) as SchemaInstance | undefined;
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return `is required: expected ${expected(schema)}`;
      return `expected ${expected(schema)}, got ${shown(issue.input)}`;
    case 'too_small':
    case 'too_big':
    case 'not_multiple_of':
    case 'invalid_format':
      return `expected ${expected(schema)}, got ${shown(issue.input)}`;
    case 'invalid_value':
      return `expected ${oneOf(issue.values)}, got ${shown(issue.input)}`;
    case 'invalid_union': {
      const discriminator = (issue as { discriminator?: string }).discriminator;
      const options = (issue as { options?: unknown[] }).options;
      if (discriminator && options) {
        // A discriminator with a default accepts "left out" too; that is not a value to name.
        const named = options.filter((option) => option !== undefined && option !== null);
        const value = isRecord(issue.input) ? issue.input[discriminator] : undefined;
        // The members' names, once each: `expected one of: file, relayfile`.
        const list = `one of: ${named.map(String).join(', ')}`;
        return value === undefined || value === null
          ? `is required: expected ${list}`
          : `expected ${list}, got ${shown(value)}`;
      }
      if (issue.input === undefined) return `is required: expected ${expected(schema)}`;
      // A list where a list is allowed, with a bad item: say which item, not "got a list".
      const nested = (issue.errors ?? []).flat().find((inner) => inner.path.length > 0);
      if (nested) return `${nested.path.map((key) => `[${String(key)}]`).join('')} ${nested.message}`;
      return `expected ${expected(schema)}, got ${shown(issue.input)}`;
    }
    case 'invalid_key':
      return issue.issues[0]?.message ?? 'is not a valid key';
    case 'unrecognized_keys':
      return `unknown key`;
    default:
      return issue.message ?? 'is invalid';
  }
}

/** What a schema accepts, in words. */
export function expected(schema: SchemaInstance | undefined): string {
  if (!schema?._zod) return 'a valid value';
  const def = schema._zod.def as core.$ZodTypeDef & Record<string, unknown>;
  switch (def.type) {
    case 'number':
      // `z.int()` is itself a number format (zod/mini writes no `.int()` check on a number).
      return describeNumber([
        ...(def.check === 'number_format' ? [schema as unknown as core.$ZodCheck] : []),
        ...(def.checks ?? []),
      ]);
    case 'string':
      return describeString(def.checks ?? [], def.format);
    case 'boolean':
      return 'true or false';
    case 'array': {
      const nonEmpty = (def.checks ?? []).some(
        (check) => (check._zod.def as { check: string; minimum?: number }).check === 'min_length',
      );
      return `a ${nonEmpty ? 'non-empty ' : ''}list of ${plural(expected(def.element as SchemaInstance))}`;
    }
    case 'object':
    case 'record':
      return 'a mapping of keys to values';
    case 'enum':
      return oneOf(Object.values(def.entries as Record<string, unknown>));
    case 'literal':
      return oneOf(def.values as unknown[]);
    case 'union': {
      const options = def.options as SchemaInstance[];
      // Mappings told apart by `type`: name the types, not "a mapping" once per member.
      const types = options.map(typeLiteral);
      if (types.every((type) => type !== undefined))
        return `a mapping whose type is one of: ${[...new Set(types.flat())].join(', ')}`;
      return [...new Set(options.map(expected))].join(' or ');
    }
    case 'pipe':
      return expected(def.in as SchemaInstance);
    case 'default':
    case 'prefault':
    case 'optional':
    case 'nullable':
    case 'readonly':
      return expected(def.innerType as SchemaInstance);
    default:
      return 'a valid value';
  }
}

/** The values of a mapping schema's `type` literal (or of a union of such), if it has one. */
function typeLiteral(schema: SchemaInstance): string[] | undefined {
  const def = schema._zod.def as core.$ZodTypeDef & Record<string, unknown>;
  if (def.type === 'union')
    return (def.options as SchemaInstance[]).map(typeLiteral).every((values) => values !== undefined)
      ? (def.options as SchemaInstance[]).flatMap((option) => typeLiteral(option) ?? [])
      : undefined;
  if (def.type !== 'object') return undefined;
  const type = (def.shape as Record<string, SchemaInstance> | undefined)?.type;
  const values =
    type?._zod.def.type === 'literal'
      ? (type._zod.def as unknown as { values: unknown[] }).values
      : undefined;
  return values?.map(String);
}

function describeNumber(checks: readonly core.$ZodCheck[]): string {
  let integer = false;
  let min: { value: number; inclusive: boolean } | undefined;
  let max: { value: number; inclusive: boolean } | undefined;
  for (const check of checks) {
    const def = check._zod.def as { check: string; format?: string; value?: number; inclusive?: boolean };
    if (def.check === 'number_format' && (def.format === 'safeint' || def.format?.startsWith('int')))
      integer = true;
    if (def.check === 'greater_than') min = { value: def.value ?? 0, inclusive: def.inclusive ?? false };
    if (def.check === 'less_than') max = { value: def.value ?? 0, inclusive: def.inclusive ?? false };
  }
  const noun = integer ? 'integer' : 'number';
  if (min && min.value === 0 && !min.inclusive && !max) return `a positive ${noun}`;
  if (min && max) return `${article(noun)} ${noun} from ${lowest(min, integer)} to ${highest(max, integer)}`;
  if (min) return `${article(noun)} ${noun} of at least ${lowest(min, integer)}`;
  if (max) return `${article(noun)} ${noun} of at most ${highest(max, integer)}`;
  return `${article(noun)} ${noun}`;
}

function lowest(bound: { value: number; inclusive: boolean }, integer: boolean): string {
  if (bound.inclusive) return String(bound.value);
  return integer ? String(bound.value + 1) : `more than ${bound.value}`;
}

function highest(bound: { value: number; inclusive: boolean }, integer: boolean): string {
  if (bound.inclusive) return String(bound.value);
  return integer ? String(bound.value - 1) : `less than ${bound.value}`;
}

function describeString(checks: readonly core.$ZodCheck[], format: unknown): string {
  if (format === 'url') return 'a URL';
  for (const check of checks) {
    const def = check._zod.def as { check: string; format?: string; minimum?: number };
    if (def.format === 'url') return 'a URL';
    if (def.check === 'min_length' && (def.minimum ?? 0) > 0) return 'a non-empty string';
  }
  return 'a string';
}

function oneOf(values: readonly unknown[]): string {
  const shownValues = values.map((value) => JSON.stringify(value));
  if (shownValues.length === 1) return shownValues[0] as string;
  return `one of ${shownValues.join(', ')}`;
}

function plural(description: string): string {
  return /^an? /.test(description)
    ? `${description.replace(/^an? /, '')}s`
    : `values that are ${description}`;
}

function article(noun: string): string {
  return /^[aeiou]/.test(noun) ? 'an' : 'a';
}

/** The offending value, short; mappings and lists are named, not dumped. */
export function shown(value: unknown): string {
  if (value === null) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  if (isRecord(value)) return 'a mapping';
  if (typeof value === 'string') {
    const text = value.length > 40 ? `${value.slice(0, 37)}...` : value;
    return JSON.stringify(text);
  }
  return String(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
