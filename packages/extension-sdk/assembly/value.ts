// Decoded MessagePack values (ABI.md §7). `Value` is one tagged class rather than a class per kind:
// AssemblyScript has no union types, and one flat class keeps decoding to one allocation per value.

export enum ValueKind {
  Null,
  Bool,
  Int,
  Float,
  String,
  Bytes,
  Array,
  Map,
}

/** The kind's name for error messages. */
export function kindName(kind: ValueKind): string {
  switch (kind) {
    case ValueKind.Null:
      return 'nil';
    case ValueKind.Bool:
      return 'bool';
    case ValueKind.Int:
      return 'int';
    case ValueKind.Float:
      return 'float';
    case ValueKind.String:
      return 'string';
    case ValueKind.Bytes:
      return 'bytes';
    case ValueKind.Array:
      return 'array';
    default:
      return 'map';
  }
}

// 2^63 as an f64: the first float outside i64.
const I64_LIMIT: f64 = 9223372036854775808.0;

/**
 * Parses a canonical decimal int64 (`-?[0-9]+`), the form the host uses for integers beyond
 * ±2^53−1 (ABI.md §7). Aborts on anything else or on overflow.
 */
export function parseI64(s: string, what: string): i64 {
  const len = s.length;
  let i = 0;
  let negative = false;
  if (len > 0 && s.charCodeAt(0) == 45) {
    negative = true;
    i = 1;
  }
  if (i == len) throw new Error(what + ': expected an integer, got string "' + s + '"');
  // Accumulate as a negative number: i64's range has one more negative value than positive.
  let acc: i64 = 0;
  for (; i < len; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) throw new Error(what + ': expected an integer, got string "' + s + '"');
    if (acc < (i64.MIN_VALUE + c) / 10) throw new Error(what + ': integer out of int64 range: ' + s);
    acc = acc * 10 - c;
  }
  if (!negative) {
    if (acc == i64.MIN_VALUE) throw new Error(what + ': integer out of int64 range: ' + s);
    acc = -acc;
  }
  return acc;
}

const SMALL_INTS = 256;
// Shared small ints: Value pointers in static memory, each pinned (see the caches in msgpack.ts: a
// managed array of slots would be scanned whole on every GC cycle).
const smallInts = memory.data(SMALL_INTS * sizeof<usize>());

export class Value {
  /** Shared immutable instances: nil and the booleans never need an allocation. */
  static readonly NULL: Value = new Value(ValueKind.Null);
  static readonly TRUE: Value = Value.newBool(true);
  static readonly FALSE: Value = Value.newBool(false);

  // One scalar slot and one reference slot instead of a field per kind: a Value is allocated per
  // decoded item, and a small object is cheaper to allocate. `bits` holds the bool (0/1), the int,
  // or the float's bits; `ref` the string, bytes, array or Obj (typed by `kind`; the GC traces it
  // whatever its static type).
  private bits: i64 = 0;
  private ref: Object | null = null;

  /** Values are made by the decoder and the `from…` factories. */
  private constructor(public readonly kind: ValueKind) {}

  private static newBool(v: bool): Value {
    const r = new Value(ValueKind.Bool);
    r.bits = v ? 1 : 0;
    return r;
  }

  static fromBool(v: bool): Value {
    return v ? Value.TRUE : Value.FALSE;
  }

  static fromI64(v: i64): Value {
    // Small ints (counts, flags, enums) are shared: Values are immutable.
    if (<u64>v < <u64>SMALL_INTS) {
      const at = smallInts + ((<usize>v) << alignof<usize>());
      const cached = load<usize>(at);
      if (cached != 0) return changetype<Value>(cached);
      const r = new Value(ValueKind.Int);
      r.bits = v;
      store<usize>(at, __pin(changetype<usize>(r)));
      return r;
    }
    const r = new Value(ValueKind.Int);
    r.bits = v;
    return r;
  }

  static fromF64(v: f64): Value {
    const r = new Value(ValueKind.Float);
    r.bits = reinterpret<i64>(v);
    return r;
  }

  static fromString(v: string): Value {
    const r = new Value(ValueKind.String);
    r.ref = changetype<Object>(v);
    return r;
  }

  static fromBytes(v: Uint8Array): Value {
    const r = new Value(ValueKind.Bytes);
    r.ref = changetype<Object>(v);
    return r;
  }

  static fromArray(v: Array<Value>): Value {
    const r = new Value(ValueKind.Array);
    r.ref = changetype<Object>(v);
    return r;
  }

  static fromObj(v: Obj): Value {
    const r = new Value(ValueKind.Map);
    r.ref = changetype<Object>(v);
    return r;
  }

  isNull(): bool {
    return this.kind == ValueKind.Null;
  }

  asBool(): bool {
    if (this.kind != ValueKind.Bool) this.fail('a bool');
    return this.bits != 0;
  }

  /** Ints as they are; integral floats and canonical decimal strings (ABI.md §7) converted. */
  asI64(): i64 {
    if (this.kind == ValueKind.Int) return this.bits;
    if (this.kind == ValueKind.String) return parseI64(changetype<string>(this.ref), 'value');
    if (this.kind == ValueKind.Float) {
      // A JavaScript host may encode a large integral number (a timestamp) as a float64.
      const f = reinterpret<f64>(this.bits);
      if (f == Math.trunc(f) && f >= -I64_LIMIT && f < I64_LIMIT) return <i64>f;
      throw new Error('value: expected an integer, got float ' + f.toString());
    }
    this.fail('an integer');
    return 0;
  }

  /** Like `asI64`, and aborts when the value does not fit in an i32. */
  asI32(): i32 {
    const v = this.asI64();
    if (v < i32.MIN_VALUE || v > i32.MAX_VALUE) throw new Error('value: integer out of int32 range: ' + v.toString());
    return <i32>v;
  }

  /** Floats as they are; ints converted. */
  asF64(): f64 {
    if (this.kind == ValueKind.Float) return reinterpret<f64>(this.bits);
    if (this.kind == ValueKind.Int) return <f64>this.bits;
    this.fail('a number');
    return 0;
  }

  asString(): string {
    if (this.kind != ValueKind.String) this.fail('a string');
    return changetype<string>(this.ref);
  }

  asBytes(): Uint8Array {
    if (this.kind != ValueKind.Bytes) this.fail('bytes');
    return changetype<Uint8Array>(this.ref);
  }

  asArray(): Array<Value> {
    if (this.kind != ValueKind.Array) this.fail('an array');
    return changetype<Array<Value>>(this.ref);
  }

  asObj(): Obj {
    if (this.kind != ValueKind.Map) this.fail('a map');
    return changetype<Obj>(this.ref);
  }

  private fail(expected: string): void {
    throw new Error('value: expected ' + expected + ', got ' + kindName(this.kind));
  }
}

// Above this many keys a decoded map builds a hash index on first lookup; below it a linear scan
// over a few short strings is cheaper than hashing.
const INDEX_THRESHOLD = 12;

/** A decoded map with string keys (a record, an argument, a view row). */
export class Obj {
  private index: Map<string, i32> | null = null;

  /** Keys and values in wire order; built by the decoder. */
  constructor(
    private readonly ks: StaticArray<string>,
    private readonly vs: StaticArray<Value>,
  ) {}

  static empty(): Obj {
    return new Obj(new StaticArray<string>(0), new StaticArray<Value>(0));
  }

  get size(): i32 {
    return this.ks.length;
  }

  has(name: string): bool {
    return this.find(name) >= 0;
  }

  get(name: string): Value | null {
    const at = this.find(name);
    return at < 0 ? null : unchecked(this.vs[at]);
  }

  /** The key of entry `i` (0 ≤ i < size), in wire order. */
  keyAt(i: i32): string {
    return this.ks[i];
  }

  /** The value of entry `i` (0 ≤ i < size), in wire order. */
  valueAt(i: i32): Value {
    return this.vs[i];
  }

  /** The keys in wire order (a copy). */
  keys(): string[] {
    const n = this.ks.length;
    const out = new Array<string>(n);
    for (let i = 0; i < n; i++) unchecked((out[i] = this.ks[i]));
    return out;
  }

  /** Absent or nil. */
  isNull(name: string): bool {
    const v = this.get(name);
    return v == null || v.isNull();
  }

  getString(name: string, def: string = ''): string {
    const v = this.present(name);
    if (v == null) return def;
    if (v.kind != ValueKind.String) this.wrongKind(name, 'a string', v);
    return v.asString();
  }

  /** Ints, integral floats and the decimal strings the host uses beyond ±2^53−1. */
  getI64(name: string, def: i64 = 0): i64 {
    const v = this.present(name);
    if (v == null) return def;
    return this.intOf(name, v);
  }

  getI32(name: string, def: i32 = 0): i32 {
    const v = this.present(name);
    if (v == null) return def;
    const n = this.intOf(name, v);
    if (n < i32.MIN_VALUE || n > i32.MAX_VALUE)
      throw new Error('field ' + name + ': integer out of int32 range: ' + n.toString());
    return <i32>n;
  }

  getF64(name: string, def: f64 = 0): f64 {
    const v = this.present(name);
    if (v == null) return def;
    if (v.kind != ValueKind.Float && v.kind != ValueKind.Int) this.wrongKind(name, 'a number', v);
    return v.asF64();
  }

  getBool(name: string, def: bool = false): bool {
    const v = this.present(name);
    if (v == null) return def;
    if (v.kind != ValueKind.Bool) this.wrongKind(name, 'a bool', v);
    return v.asBool();
  }

  getBytes(name: string): Uint8Array | null {
    const v = this.present(name);
    if (v == null) return null;
    if (v.kind != ValueKind.Bytes) this.wrongKind(name, 'bytes', v);
    return v.asBytes();
  }

  getObj(name: string): Obj | null {
    const v = this.present(name);
    if (v == null) return null;
    if (v.kind != ValueKind.Map) this.wrongKind(name, 'a map', v);
    return v.asObj();
  }

  getArray(name: string): Array<Value> | null {
    const v = this.present(name);
    if (v == null) return null;
    if (v.kind != ValueKind.Array) this.wrongKind(name, 'an array', v);
    return v.asArray();
  }

  /** The value unless absent or nil (one lookup: every typed getter starts here). */
  // @ts-ignore: decorator
  @inline private present(name: string): Value | null {
    const at = this.find(name);
    if (at < 0) return null;
    const v = unchecked(this.vs[at]);
    return v.kind == ValueKind.Null ? null : v;
  }

  private intOf(name: string, v: Value): i64 {
    if (v.kind == ValueKind.String) return parseI64(v.asString(), 'field ' + name);
    if (v.kind != ValueKind.Int && v.kind != ValueKind.Float) this.wrongKind(name, 'an integer', v);
    return v.asI64();
  }

  private find(name: string): i32 {
    const ks = this.ks;
    const n = ks.length;
    if (n > INDEX_THRESHOLD) {
      let index = this.index;
      if (index == null) {
        index = new Map<string, i32>();
        // Backwards, so that the first of duplicate keys wins, as in the linear scan.
        for (let i = n - 1; i >= 0; i--) index.set(unchecked(ks[i]), i);
        this.index = index;
      }
      return index.has(name) ? index.get(name) : -1;
    }
    // Lengths first: most keys differ in length, and this skips the call to String.__eq for them.
    const len = name.length;
    for (let i = 0; i < n; i++) {
      const k = unchecked(ks[i]);
      if (k.length == len && k == name) return i;
    }
    return -1;
  }

  private wrongKind(name: string, expected: string, v: Value): void {
    throw new Error('field ' + name + ': expected ' + expected + ', got ' + kindName(v.kind));
  }
}
