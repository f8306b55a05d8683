import { describe, expect, it } from 'vitest';
import { fromAttributeMap, toAttributeMap, toAttributeValue } from '../src/dynamo-attribute-value.ts';

describe('attribute values, as lib-dynamodb marshals them', () => {
  it('round-trips what the store writes: strings, numbers, booleans, null, lists and nested maps', () => {
    const item = {
      pk: 'T#acme',
      version: 3,
      wakeAt: 1_767_225_600_000,
      holders: { 'w-1': 1.5, 'w-2': 0 },
      flags: [true, false, null, 'x', { nested: -7 }],
      empty: '',
    };
    const map = toAttributeMap(item);
    expect(map).toMatchObject({
      pk: { S: 'T#acme' },
      version: { N: '3' },
      holders: { M: { 'w-1': { N: '1.5' }, 'w-2': { N: '0' } } },
      flags: {
        L: [{ BOOL: true }, { BOOL: false }, { NULL: true }, { S: 'x' }, { M: { nested: { N: '-7' } } }],
      },
    });
    expect(fromAttributeMap(JSON.parse(JSON.stringify(map)))).toEqual(item);
  });

  it('leaves out undefined fields, as removeUndefinedValues does', () => {
    expect(toAttributeMap({ a: 'x', b: undefined, c: { d: undefined } })).toEqual({
      a: { S: 'x' },
      c: { M: {} },
    });
  });

  it('refuses what DynamoDB cannot hold as the store means it, naming what it got', () => {
    expect(() => toAttributeValue(Number.NaN)).toThrow('DynamoDB cannot hold the number NaN');
    expect(() => toAttributeValue(new Date(0))).toThrow('got Date');
    expect(() => toAttributeValue(10n)).toThrow('got bigint');
    expect(() => fromAttributeMap({ blob: { B: 'AAAA' } })).toThrow('an attribute value of type B');
  });
});
