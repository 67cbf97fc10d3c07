import { describe, expect, it } from 'vitest';
import { toCanonicalJson } from './canonical-json.js';

describe('toCanonicalJson', () => {
  it('sorts keys at every level, keeps array order and drops undefined fields', () => {
    const value = { b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined }, B: null };
    expect(toCanonicalJson(value)).toBe('{"B":null,"a":{"d":[3,{"y":2,"z":1}]},"b":1}');
    expect(toCanonicalJson(value, 2)).toBe(
      '{\n  "B": null,\n  "a": {\n    "d": [\n      3,\n      {\n        "y": 2,\n        "z": 1\n      }\n    ]\n  },\n  "b": 1\n}',
    );
  });

  it('gives equal text for equal values built in another key order', () => {
    expect(toCanonicalJson({ x: { p: 1, q: 2 }, y: 'y' })).toBe(toCanonicalJson({ y: 'y', x: { q: 2, p: 1 } }));
  });

  it('keeps a parsed "__proto__" key as data instead of setting the prototype', () => {
    const parsed: unknown = JSON.parse('{"__proto__":{"polluted":true},"a":1}');
    expect(toCanonicalJson(parsed)).toBe('{"__proto__":{"polluted":true},"a":1}');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
