// Generates typed AssemblyScript helpers (`extensions/<pkg>/generated.ts`) for one package of an
// AppDef: QName constants, reader/builder classes per table, TYPE and view, and typed accessors per
// WASM command/query. The build step regenerates it in memory on every build, so it never goes
// stale. This package may import nothing of ours, so the AppDef is described structurally here
// (a subset of @stoa/vsql's AppDef, which is assignable to it). Naming scheme: ../README.md.

/** One field of a table, TYPE or view (`FieldDef` of the AppDef). */
export interface CodegenFieldDef {
  readonly name: string;
  readonly type: { readonly kind: string };
  readonly required: boolean;
  readonly system: boolean;
  readonly comment?: string;
}

export interface CodegenContainerDef {
  readonly name: string;
  readonly type: string;
  readonly minOccurs: number;
  readonly maxOccurs: number;
}

export interface CodegenTableDef {
  readonly qname: string;
  readonly abstract: boolean;
  readonly fields: readonly CodegenFieldDef[];
  readonly comment?: string;
}

export interface CodegenObjectDef {
  readonly qname: string;
  readonly fields: readonly CodegenFieldDef[];
  readonly containers: readonly CodegenContainerDef[];
  readonly comment?: string;
}

export interface CodegenViewDef {
  readonly qname: string;
  readonly fields: readonly CodegenFieldDef[];
  readonly partitionKey: readonly string[];
  readonly clusteringColumns: readonly string[];
  readonly comment?: string;
}

export interface CodegenExtensionDef {
  readonly qname: string;
  readonly kind: string;
  readonly engine: string;
  /** A QName, or `any`/`void` (absent = `void`). */
  readonly param?: string;
  readonly unloggedParam?: string;
  readonly result?: string;
  readonly comment?: string;
}

/** The parts of the AppDef codegen reads. */
export interface CodegenAppDef {
  readonly tables: Readonly<Record<string, CodegenTableDef>>;
  readonly objects: Readonly<Record<string, CodegenObjectDef>>;
  readonly views: Readonly<Record<string, CodegenViewDef>>;
  readonly extensions: Readonly<Record<string, CodegenExtensionDef>>;
}

/** The module path generated code (and apps) import the SDK from. */
export const SDK_IMPORT = '@stoa/extension-sdk/assembly';
/** The module path of the ABI's required exports, for a build step's entry file. */
export const SDK_ABI_IMPORT = '@stoa/extension-sdk/assembly/abi';
/**
 * asc 0.28 ignores `ascMain`: it resolves `import … from '@stoa/extension-sdk'` to
 * `node_modules/@stoa/extension-sdk/index.ts`, which does not exist. A build step that wants the
 * bare name to work serves this text for that path from its `readFile` hook.
 */
export const SDK_BARE_IMPORT_SHIM = "export * from './assembly/index';\n";

/** How a field kind reads and writes: AS type, Obj getter, ObjBuilder setter. */
interface KindMapping {
  readonly type: string;
  readonly getter: string;
  readonly setter: string;
  readonly nullable: boolean;
}

const I32: KindMapping = { type: 'i32', getter: 'getI32', setter: 'i32', nullable: false };
const I64: KindMapping = { type: 'i64', getter: 'getI64', setter: 'i64', nullable: false };
const F64: KindMapping = { type: 'f64', getter: 'getF64', setter: 'f64', nullable: false };
const STR: KindMapping = { type: 'string', getter: 'getString', setter: 'str', nullable: false };
const BOOL: KindMapping = { type: 'bool', getter: 'getBool', setter: 'bool', nullable: false };
const BYTES: KindMapping = { type: 'Uint8Array', getter: 'getBytes', setter: 'bytes', nullable: true };

/** Field kinds (APPDEF.md) → accessors. `record` (only in sys views) and unknown kinds are skipped. */
const KINDS: Readonly<Record<string, KindMapping>> = {
  int8: I32,
  int16: I32,
  int32: I32,
  int64: I64,
  ref: I64,
  timestamp: I64,
  currency: I64,
  // A blob field holds the id of its sys.BLOB record.
  blob: I64,
  float32: F64,
  float64: F64,
  varchar: STR,
  qname: STR,
  bool: BOOL,
  bytes: BYTES,
};

/** Member names for the engine's system fields (VSQL names cannot contain dots, so these never clash). */
const SYSTEM_MEMBERS: Readonly<Record<string, string>> = {
  'sys.ID': 'id',
  'sys.QName': 'qname',
  'sys.IsActive': 'isActive',
  'sys.ParentID': 'parentId',
  'sys.Container': 'container',
};
/** System fields an extension never writes. */
const READ_ONLY_SYSTEM = new Set(['sys.ID', 'sys.QName']);

// Words AssemblyScript will not take as a member or top-level name (JS/TS keywords, AS type names,
// and globals a generated class would shadow). A name among them gets a trailing `_`.
const RESERVED = new Set(
  (
    'abstract any as async await boolean break case catch class const constructor continue debugger declare ' +
    'default delete do else enum export extends false finally for from function get if implements import in ' +
    'instanceof interface is keyof let module namespace never new null number object of package private ' +
    'protected public readonly return set static string super switch symbol this throw true try type typeof ' +
    'undefined unique var void while with yield bool i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 isize usize v128 ' +
    'Array ArrayBuffer DataView Date Error Float32Array Float64Array Function Int8Array Int16Array Int32Array ' +
    'Int64Array JSON Map Math Number Object Promise RangeError Set StaticArray String Symbol TypeError ' +
    'Uint8Array Uint8ClampedArray Uint16Array Uint32Array Uint64Array WeakMap WeakSet Infinity NaN abort ' +
    'assert changetype heap idof load memory offsetof sizeof store trace unchecked unreachable QNames sdk'
  ).split(' '),
);

/**
 * Members every generated class has (`obj` of readers, `builder` of builders). Readers and builders
 * of one definition allocate field names from the same set, so a field gets the same name in both.
 */
const MEMBERS_TAKEN = ['obj', 'builder', 'constructor'];

/** Hands out distinct identifiers within one scope, deterministically (first come keeps the name). */
class Names {
  private readonly used: Set<string>;
  constructor(taken: readonly string[] = []) {
    this.used = new Set(taken);
  }
  take(wanted: string): string {
    // VSQL names are already identifiers ([A-Za-z][A-Za-z0-9_]*); this only guards the contract.
    const id = wanted.replace(/\W/g, '_').replace(/^(?=\d)/, '_');
    let name = RESERVED.has(id) ? `${id}_` : id;
    while (this.used.has(name)) name += '_';
    this.used.add(name);
    return name;
  }
}

function localName(qname: string): string {
  return qname.slice(qname.indexOf('.') + 1);
}

function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const MAX_LINE = 120;

/** A JSDoc comment, wrapped to fit the line width (Prettier leaves comments alone). */
function docLines(comment: string | undefined, indent: string, fallback?: string): string[] {
  const text = (comment ?? fallback)?.replace(/\*\//g, '*\\/').replace(/\s+/g, ' ').trim();
  if (!text) return [];
  const one = `${indent}/** ${text} */`;
  if (one.length <= MAX_LINE) return [one];
  const lines = [`${indent}/**`];
  let cur = '';
  for (const word of text.split(' ')) {
    if (cur && indent.length + 3 + cur.length + 1 + word.length > MAX_LINE) {
      lines.push(`${indent} * ${cur}`);
      cur = word;
    } else {
      cur = cur ? `${cur} ${word}` : word;
    }
  }
  lines.push(`${indent} * ${cur}`, `${indent} */`);
  return lines;
}

/** A declaration head `<head>(<params>)<tail> {`, on one line or, like Prettier, one parameter per line. */
function signature(indent: string, head: string, params: readonly string[], tail: string): string[] {
  const one = `${indent}${head}(${params.join(', ')})${tail} {`;
  if (one.length <= MAX_LINE || params.length === 0) return [one];
  return [`${indent}${head}(`, ...params.map((p) => `${indent}  ${p},`), `${indent})${tail} {`];
}

function sortedOf<T extends { qname: string }>(defs: Readonly<Record<string, T>>, pkg: string): T[] {
  return Object.values(defs)
    .filter((d) => d.qname.startsWith(`${pkg}.`))
    .sort((a, b) => (a.qname < b.qname ? -1 : a.qname > b.qname ? 1 : 0));
}

interface Field {
  readonly def: CodegenFieldDef;
  readonly map: KindMapping;
  /** The getter/setter name. */
  readonly member: string;
}

interface Container {
  readonly def: CodegenContainerDef;
  readonly member: string;
}

/** The member names of one definition, shared by its reader and builders so a field has one name. */
interface Members {
  readonly fields: Field[];
  readonly containers: Container[];
  /** Still open for the reader's presence tests, allocated last. */
  readonly names: Names;
}

/**
 * Fields with a known kind (system fields under their fixed names) and single-occurrence
 * containers, in declaration order.
 */
function membersOf(defs: readonly CodegenFieldDef[], containers: readonly CodegenContainerDef[] = []): Members {
  const names = new Names(MEMBERS_TAKEN);
  const fields: Field[] = [];
  for (const def of defs) {
    const map = KINDS[def.type.kind];
    if (!map) continue;
    const wanted = def.system ? (SYSTEM_MEMBERS[def.name] ?? def.name) : def.name;
    fields.push({ def, map, member: names.take(wanted) });
  }
  const cs = containers.filter((c) => c.maxOccurs === 1).map((def) => ({ def, member: names.take(def.name) }));
  return { fields, containers: cs, names };
}

/** The generator of one package's file. */
class Generator {
  private readonly out: string[] = [];
  private readonly top = new Names();
  /** QName → reader/builder class names of definitions generated in this file. */
  private readonly readers = new Map<string, string>();
  private readonly builders = new Map<string, string>();
  private readonly qnameConst = new Map<string, string>();

  constructor(
    private readonly appdef: CodegenAppDef,
    private readonly pkg: string,
  ) {}

  run(): string {
    const tables = sortedOf(this.appdef.tables, this.pkg);
    const objects = sortedOf(this.appdef.objects, this.pkg);
    const views = sortedOf(this.appdef.views, this.pkg);
    const extensions = sortedOf(this.appdef.extensions, this.pkg);
    const wasm = extensions.filter((e) => e.engine === 'wasm' && (e.kind === 'command' || e.kind === 'query'));

    // Allocate every top-level name up front, in a fixed order, so that references resolve.
    const all = [...tables, ...objects, ...views].sort((a, b) => (a.qname < b.qname ? -1 : 1));
    for (const d of all) this.readers.set(d.qname, this.top.take(localName(d.qname)));
    for (const d of all) this.builders.set(d.qname, this.top.take(`${localName(d.qname)}Builder`));

    this.line(`// Generated by @stoa/extension-sdk codegen for package \`${this.pkg}\`. Do not edit: the build`);
    this.line('// regenerates it from the AppDef. Naming scheme: @stoa/extension-sdk README, "Generated helpers".');
    this.line(`import * as sdk from ${quote(SDK_IMPORT)};`);
    this.line('');
    this.emitQNames([...all, ...extensions].sort((a, b) => (a.qname < b.qname ? -1 : 1)));
    for (const t of tables) this.emitTable(t);
    for (const o of objects) this.emitObject(o);
    for (const v of views) this.emitView(v);
    for (const e of wasm) this.emitExtension(e);
    return `${this.out.join('\n').trimEnd()}\n`;
  }

  private line(s: string): void {
    this.out.push(s);
  }

  private sig(indent: string, head: string, params: readonly string[], tail: string): void {
    this.out.push(...signature(indent, head, params, tail));
  }

  private emitQNames(defs: readonly { qname: string }[]): void {
    if (defs.length === 0) return;
    const names = new Names();
    this.line('/** QNames of the package’s tables, types, views and extensions. */');
    this.line('export namespace QNames {');
    for (const d of defs) {
      const name = names.take(localName(d.qname));
      this.qnameConst.set(d.qname, `QNames.${name}`);
      this.line(`  export const ${name}: string = ${quote(d.qname)};`);
    }
    this.line('}');
  }

  private emitReader(qname: string, doc: string[], m: Members): void {
    const cls = this.readers.get(qname) ?? '';
    this.line('');
    this.out.push(...doc);
    this.line(`export class ${cls} {`);
    this.line('  constructor(readonly obj: sdk.Obj) {}');
    for (const f of m.fields) {
      this.line('');
      this.out.push(...docLines(f.def.comment, '  '));
      const type = f.map.nullable ? `${f.map.type} | null` : f.map.type;
      // A record always carries sys.IsActive; a partial CUD may not, and then it did not change.
      const def = f.def.name === 'sys.IsActive' ? ', true' : '';
      this.line(`  get ${f.member}(): ${type} {`);
      this.line(`    return this.obj.${f.map.getter}(${quote(f.def.name)}${def});`);
      this.line('  }');
    }
    for (const c of m.containers) {
      const reader = this.readers.get(c.def.type);
      this.line('');
      this.line(`  get ${c.member}(): ${reader ?? 'sdk.Obj'} | null {`);
      if (reader) {
        this.line(`    const o = this.obj.getObj(${quote(c.def.name)});`);
        this.line(`    return o == null ? null : new ${reader}(o);`);
      } else {
        this.line(`    return this.obj.getObj(${quote(c.def.name)});`);
      }
      this.line('  }');
    }
    // Presence tests for the fields that may be absent (their getters return a default then).
    for (const f of m.fields.filter((f) => !f.def.required && !f.def.system && !f.map.nullable)) {
      this.line('');
      this.line(`  ${m.names.take(`has${f.member}`)}(): bool {`);
      this.line(`    return !this.obj.isNull(${quote(f.def.name)});`);
      this.line('  }');
    }
    this.line('}');
  }

  private emitBuilder(cls: string, doc: string, fields: readonly Field[], containers: readonly Container[]): void {
    this.line('');
    this.out.push(...docLines(doc, ''));
    this.line(`export class ${cls} {`);
    this.line('  readonly builder: sdk.ObjBuilder = new sdk.ObjBuilder();');
    for (const f of fields) {
      this.line('');
      this.out.push(...docLines(f.def.comment, '  '));
      this.sig('  ', f.member, [`v: ${f.map.type}`], `: ${cls}`);
      this.line(`    this.builder.${f.map.setter}(${quote(f.def.name)}, v);`);
      this.line('    return this;');
      this.line('  }');
    }
    for (const c of containers) {
      const builder = this.builders.get(c.def.type);
      this.line('');
      this.sig('  ', c.member, [`v: ${builder ?? 'sdk.ObjBuilder'}`], `: ${cls}`);
      this.line(`    this.builder.obj(${quote(c.def.name)}, v${builder ? '.builder' : ''});`);
      this.line('    return this;');
      this.line('  }');
    }
    this.line('}');
  }

  private emitTable(t: CodegenTableDef): void {
    const reader = this.readers.get(t.qname) ?? '';
    const builder = this.builders.get(t.qname) ?? '';
    const qn = this.qnameConst.get(t.qname) ?? '';
    const m = membersOf(t.fields);
    this.line('');
    this.line(`// ---- table ${t.qname}`);
    this.emitReader(t.qname, docLines(t.comment, '', `A ${t.qname} record (reader).`), m);
    const writable = m.fields.filter((f) => !READ_ONLY_SYSTEM.has(f.def.name));
    this.emitBuilder(builder, `Fields of ${t.qname} for insert/update.`, writable, []);
    if (t.abstract) return;
    const get = this.top.take(`get${localName(t.qname)}`);
    const insert = this.top.take(`insert${localName(t.qname)}`);
    const update = this.top.take(`update${localName(t.qname)}`);
    this.line('');
    this.line(`/** The ${t.qname} record with this id, or null when there is none or it is of another table. */`);
    this.sig('', `export function ${get}`, ['id: i64'], `: ${reader} | null`);
    this.line('  const o = sdk.getRecord(id);');
    this.line(`  if (o == null || o.getString('sys.QName') != ${qn}) return null;`);
    this.line(`  return new ${reader}(o);`);
    this.line('}');
    this.line('');
    this.sig('', `export function ${insert}`, [`fields: ${builder}`], ': i64');
    this.line(`  return sdk.insertRecord(${qn}, fields.builder);`);
    this.line('}');
    this.line('');
    this.sig('', `export function ${update}`, ['id: i64', `fields: ${builder}`], ': void');
    this.line('  sdk.updateRecord(id, fields.builder);');
    this.line('}');
  }

  private emitObject(o: CodegenObjectDef): void {
    const m = membersOf(o.fields, o.containers);
    this.line('');
    this.line(`// ---- type ${o.qname}`);
    this.emitReader(o.qname, docLines(o.comment, '', `A ${o.qname} (reader).`), m);
    this.emitBuilder(this.builders.get(o.qname) ?? '', `Builds a ${o.qname}.`, m.fields, m.containers);
  }

  private emitView(v: CodegenViewDef): void {
    const name = localName(v.qname);
    const reader = this.readers.get(v.qname) ?? '';
    const builder = this.builders.get(v.qname) ?? '';
    const qn = this.qnameConst.get(v.qname) ?? '';
    const keyCls = this.top.take(`${name}Key`);
    const iterCls = this.top.take(`${name}Iterator`);
    const keyNames = new Set([...v.partitionKey, ...v.clusteringColumns]);
    const m = membersOf(v.fields);
    this.line('');
    this.line(`// ---- view ${v.qname}`);
    this.emitReader(v.qname, docLines(v.comment, '', `A ${v.qname} row (reader).`), m);
    this.emitBuilder(builder, `A whole ${v.qname} row (key and value fields).`, m.fields, []);
    const pk = v.partitionKey.join(', ');
    const cc = v.clusteringColumns.join(', ') || 'none';
    const keyFields = m.fields.filter((f) => keyNames.has(f.def.name));
    this.emitBuilder(
      keyCls,
      `A ${v.qname} key: partition key (${pk}), then clustering columns (${cc}).`,
      keyFields,
      [],
    );
    const get = this.top.take(`get${name}`);
    const read = this.top.take(`read${name}`);
    const put = this.top.take(`put${name}`);
    this.line('');
    this.line(`export class ${iterCls} {`);
    this.line('  constructor(readonly it: sdk.ViewIterator) {}');
    this.line('');
    this.line(`  next(): ${reader} | null {`);
    this.line('    const o = this.it.next();');
    this.line(`    return o == null ? null : new ${reader}(o);`);
    this.line('  }');
    this.line('}');
    this.line('');
    this.line('/** The row for a full key, or null. */');
    this.sig('', `export function ${get}`, [`key: ${keyCls}`], `: ${reader} | null`);
    this.line(`  const o = sdk.getView(${qn}, key.builder);`);
    this.line(`  return o == null ? null : new ${reader}(o);`);
    this.line('}');
    this.line('');
    this.line('/** Rows by key prefix (partition key + leading clustering columns); limit < 0 = all. */');
    this.sig(
      '',
      `export function ${read}`,
      [`prefix: ${keyCls}`, 'limit: i32 = -1', 'reverse: bool = false'],
      `: ${iterCls}`,
    );
    this.line(`  const it = sdk.readView(${qn}, prefix.builder, limit, reverse);`);
    this.line(`  return new ${iterCls}(it);`);
    this.line('}');
    this.line('');
    this.sig('', `export function ${put}`, [`row: ${builder}`], ': void');
    this.line(`  sdk.putView(${qn}, row.builder);`);
    this.line('}');
  }

  private emitExtension(e: CodegenExtensionDef): void {
    const name = localName(e.qname);
    const hasParam = (p: string | undefined): p is string => p !== undefined && p !== 'void';
    if (!hasParam(e.param) && !hasParam(e.unloggedParam) && !hasParam(e.result)) return;
    this.line('');
    this.line(`// ---- ${e.kind} ${e.qname}`);
    if (hasParam(e.param)) this.emitArgAccessor(e.qname, `arg${name}`, 'arg', e.param);
    if (hasParam(e.unloggedParam)) this.emitArgAccessor(e.qname, `unloggedArg${name}`, 'unloggedArg', e.unloggedParam);
    if (hasParam(e.result)) {
      const builder = this.builders.get(e.result);
      const what = e.kind === 'query' ? 'One result row' : 'The result';
      this.line('');
      this.line(`/** ${what} of ${e.qname} (${e.result}). */`);
      this.sig(
        '',
        `export function ${this.top.take(`result${name}`)}`,
        [`row: ${builder ?? 'sdk.ObjBuilder'}`],
        ': void',
      );
      this.line(`  sdk.result(row${builder ? '.builder' : ''});`);
      this.line('}');
    }
  }

  /** `arg<Name>()`: the (unlogged) argument as its reader class; aborts when the host sent none. */
  private emitArgAccessor(qname: string, wanted: string, fn: 'arg' | 'unloggedArg', param: string): void {
    const reader = this.readers.get(param);
    const fnName = this.top.take(wanted);
    this.line('');
    this.line(`/** The ${fn === 'arg' ? 'argument' : 'unlogged argument'} of ${qname} (${param}). */`);
    this.line(`export function ${fnName}(): ${reader ?? 'sdk.Obj'} {`);
    this.line(`  const o = sdk.${fn}();`);
    this.line(
      `  if (o == null) throw new Error(${quote(`${qname}: no ${fn === 'arg' ? 'argument' : 'unlogged argument'}`)});`,
    );
    this.line(reader ? `  return new ${reader}(o);` : '  return o;');
    this.line('}');
  }
}

/**
 * AssemblyScript source of typed helpers for package `pkg` (its local name, e.g. `todo`): only that
 * package's definitions, sorted by QName, so the same AppDef always gives the same text.
 */
export function codegen(appdef: CodegenAppDef, pkg: string): string {
  return new Generator(appdef, pkg).run();
}
