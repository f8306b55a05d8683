/** A DynamoDB attribute value as its JSON protocol writes it: `{ "S": "text" }`, `{ "N": "7" }`, … */
export type AttributeValue =
  | { S: string }
  | { N: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { M: Record<string, AttributeValue> }
  | { L: AttributeValue[] };

/**
 * A plain value as an attribute value, as `@aws-sdk/lib-dynamodb` marshals it with
 * `removeUndefinedValues`: strings, finite numbers, booleans, null, arrays and plain objects (whose
 * undefined fields are left out). What the store writes is no more than that; anything else is refused.
 */
export function toAttributeValue(value: unknown): AttributeValue {
  switch (typeof value) {
    case 'string':
      return { S: value };
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`DynamoDB cannot hold the number ${value}`);
      return { N: String(value) };
    case 'boolean':
      return { BOOL: value };
    case 'object':
      if (value === null) return { NULL: true };
      if (Array.isArray(value)) return { L: value.map(toAttributeValue) };
      if (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)
        return { M: toAttributeMap(value as Record<string, unknown>) };
  }
  throw new TypeError(
    `DynamoDB attribute values are strings, numbers, booleans, null, lists and maps; got ${describe(value)}`,
  );
}

/** An item (or key, or expression values) as an attribute map; undefined fields are left out. */
export function toAttributeMap(item: Readonly<Record<string, unknown>>): Record<string, AttributeValue> {
  const map: Record<string, AttributeValue> = {};
  for (const [name, value] of Object.entries(item))
    if (value !== undefined) map[name] = toAttributeValue(value);
  return map;
}

/** An attribute value as a plain value: numbers as numbers, sets as arrays. */
export function fromAttributeValue(value: unknown): unknown {
  const attribute = value as Record<string, unknown>;
  const [type] = Object.keys(attribute);
  const content = type === undefined ? undefined : attribute[type];
  switch (type) {
    case 'S':
      return content;
    case 'N':
      return Number(content);
    case 'BOOL':
      return content;
    case 'NULL':
      return null;
    case 'M':
      return fromAttributeMap(content as Record<string, unknown>);
    case 'L':
      return (content as unknown[]).map(fromAttributeValue);
    case 'SS':
      return [...(content as string[])];
    case 'NS':
      return (content as string[]).map(Number);
  }
  throw new TypeError(`an attribute value of type ${String(type)} is not one the factory writes`);
}

export function fromAttributeMap(map: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const item: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(map)) item[name] = fromAttributeValue(value);
  return item;
}

function describe(value: unknown): string {
  if (typeof value !== 'object' || value === null) return typeof value;
  return value.constructor?.name ?? 'an object';
}
