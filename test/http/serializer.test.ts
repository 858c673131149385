import fastJsonStringify from 'fast-json-stringify';
import fc from 'fast-check';
import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { nullableAsTypeList } from '../../src/http/serializer.js';

const Thing = Type.Object({
  id: Type.String(),
  at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  seats: Type.Union([Type.Integer(), Type.Null()]),
  owner: Type.Union([Type.Object({ name: Type.String() }), Type.Null()]),
  tags: Type.Array(Type.Union([Type.String(), Type.Null()])),
});
const Envelope = Type.Object({ thing: Type.Union([Thing, Type.Null()]) });

describe('nullable unions for the serializer', () => {
  it('turns Union([S, Null]) into a type list at every depth', () => {
    const flat = nullableAsTypeList(Envelope) as {
      properties: {
        thing: { type: unknown; properties: { at: { type: unknown }; owner: { type: unknown } } };
      };
    };
    expect(flat.properties.thing.type).toEqual(['object', 'null']);
    expect(flat.properties.thing.properties.at.type).toEqual(['string', 'null']);
    expect(flat.properties.thing.properties.owner.type).toEqual(['object', 'null']);
    expect(JSON.stringify(flat)).not.toContain('anyOf');
  });

  it('leaves other unions and the original schema alone', () => {
    const either = Type.Union([Type.String(), Type.Integer()]);
    const refOrNull = { anyOf: [{ $ref: 'Problem' }, { type: 'null' }] };
    expect(nullableAsTypeList(either)).toEqual(either);
    expect(nullableAsTypeList(refOrNull)).toEqual(refOrNull);
    nullableAsTypeList(Envelope);
    expect(JSON.stringify(Envelope)).toContain('anyOf');
  });

  it('serializes every value to the same text as the union schema', () => {
    type Serialize = (value: unknown) => string;
    const before = fastJsonStringify(Envelope) as Serialize;
    const after = fastJsonStringify(nullableAsTypeList(Envelope) as object) as Serialize;
    const thing = fc.record({
      id: fc.string(),
      // Values the schema allows: the union's serializer refuses a date-time it would not validate.
      at: fc.option(
        fc
          .date({ min: new Date('2000-01-01'), max: new Date('2199-12-31'), noInvalidDate: true })
          .map((d) => d.toISOString()),
        { nil: null },
      ),
      seats: fc.option(fc.integer(), { nil: null }),
      owner: fc.option(fc.record({ name: fc.string() }), { nil: null }),
      tags: fc.array(fc.option(fc.string(), { nil: null })),
    });
    fc.assert(
      fc.property(fc.option(thing, { nil: null }), (value) => {
        const text = after({ thing: value });
        expect(text).toBe(before({ thing: value }));
        expect(JSON.parse(text)).toEqual({ thing: value });
      }),
    );
  });
});
