// codegen(): assertions on the generated text for a handcrafted todo-like AppDef, then the same text
// compiled with asc next to a small guest and run against the test host: arg decode → typed
// getters → intents/results, decoded with msgpackr.
import { format } from 'prettier';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileGuest } from './asc.test-util.js';
import { todoAppDef } from './codegen-fixture.test-util.js';
import { SDK_ABI_IMPORT, codegen } from './codegen.js';
import { Guest, moduleExports, moduleImports } from './guest-harness.test-util.js';

const generated = codegen(todoAppDef(), 'todo');

describe('codegen output', () => {
  it('is deterministic and independent of the AppDef’s key order', () => {
    const def = todoAppDef();
    const reversed = {
      ...def,
      tables: Object.fromEntries(Object.entries(def.tables).reverse()),
      objects: Object.fromEntries(Object.entries(def.objects).reverse()),
      views: Object.fromEntries(Object.entries(def.views).reverse()),
      extensions: Object.fromEntries(Object.entries(def.extensions).reverse()),
    };
    expect(codegen(reversed, 'todo')).toBe(generated);
    expect(codegen(todoAppDef(), 'todo')).toBe(generated);
  });

  it('is already formatted the way the repo’s Prettier config formats it', async () => {
    const formatted = await format(generated, {
      parser: 'typescript',
      singleQuote: true,
      printWidth: 120,
      trailingComma: 'all',
    });
    expect(generated).toBe(formatted);
    expect(generated.split('\n').every((l) => l.length <= 120)).toBe(true);
  });

  it('declares sorted QName constants for the package only', () => {
    const consts = [...generated.matchAll(/^ {2}export const (\w+): string = '([\w.]+)';$/gm)].map((m) => m[2]);
    expect(consts).toEqual([
      'todo.AddTask',
      'todo.AssigneeLoad',
      'todo.Base',
      'todo.CompleteParams',
      'todo.CompleteTask',
      'todo.CountTasks',
      'todo.Legacy',
      'todo.Nightly',
      'todo.Secret',
      'todo.Stats',
      'todo.StatsRow',
      'todo.Task',
      'todo.TaskStats',
      'todo.TaskTag',
      'todo.Weird',
    ]);
    expect(generated).not.toContain('other.');
    expect(generated).toContain("import * as sdk from '@stoa/extension-sdk/assembly';");
  });

  it('maps every field kind to its AssemblyScript type and Obj getter', () => {
    const getters: [string, string, string][] = [
      ['id', 'i64', "getI64('sys.ID')"],
      ['qname', 'string', "getString('sys.QName')"],
      ['isActive', 'bool', "getBool('sys.IsActive', true)"],
      ['Title', 'string', "getString('Title')"],
      ['Done', 'bool', "getBool('Done')"],
      ['DueAt', 'i64', "getI64('DueAt')"],
      ['Priority', 'i32', "getI32('Priority')"],
      ['Small', 'i32', "getI32('Small')"],
      ['Medium', 'i32', "getI32('Medium')"],
      ['Big', 'i64', "getI64('Big')"],
      ['Rating', 'f64', "getF64('Rating')"],
      ['Ratio', 'f64', "getF64('Ratio')"],
      ['Price', 'i64', "getI64('Price')"],
      ['Kind', 'string', "getString('Kind')"],
      ['Photo', 'i64', "getI64('Photo')"],
      ['Data', 'Uint8Array | null', "getBytes('Data')"],
      ['Owner', 'i64', "getI64('Owner')"],
    ];
    const task = section('export class Task {');
    for (const [member, type, call] of getters) {
      expect(task).toContain(`  get ${member}(): ${type} {\n    return this.obj.${call};\n  }`);
    }
    // Presence tests only for nullable non-system fields whose getter returns a default.
    expect(task).toContain("  hasDueAt(): bool {\n    return !this.obj.isNull('DueAt');\n  }");
    expect(task).not.toContain('hasTitle');
    expect(task).not.toContain('hasData');
    expect(generated).toContain('  /** What to do. */\n  get Title(): string {');
  });

  it('writes builders without the read-only system fields', () => {
    const builder = section('export class TaskBuilder {');
    expect(builder).toContain(
      "  Data(v: Uint8Array): TaskBuilder {\n    this.builder.bytes('Data', v);\n    return this;\n  }",
    );
    expect(builder).toContain("  isActive(v: bool): TaskBuilder {\n    this.builder.bool('sys.IsActive', v);");
    expect(builder).not.toMatch(/sys\.ID|sys\.QName/);
    const tag = section('export class TaskTagBuilder {');
    expect(tag).toContain("  parentId(v: i64): TaskTagBuilder {\n    this.builder.i64('sys.ParentID', v);");
    expect(tag).toContain("  container(v: string): TaskTagBuilder {\n    this.builder.str('sys.Container', v);");
  });

  it('generates record helpers for concrete tables only', () => {
    expect(generated).toContain('export function getTask(id: i64): Task | null {');
    expect(generated).toContain('export function insertTask(fields: TaskBuilder): i64 {');
    expect(generated).toContain('export function updateTask(id: i64, fields: TaskBuilder): void {');
    expect(generated).toContain('export class Base {');
    expect(generated).not.toContain('getBase(');
  });

  it('generates key builder, row reader, row builder and helpers per view', () => {
    const key = section('export class TaskStatsKey {');
    expect(key).toContain('Board(v: i32): TaskStatsKey');
    expect(key).toContain('Priority(v: i32): TaskStatsKey');
    expect(key).not.toContain('Open');
    expect(section('export class TaskStatsBuilder {')).toContain('Open(v: i64): TaskStatsBuilder');
    expect(section('export class TaskStats {')).toContain('get Done(): i64');
    expect(generated).toContain('export function getTaskStats(key: TaskStatsKey): TaskStats | null {');
    expect(generated).toContain(
      'export function readTaskStats(prefix: TaskStatsKey, limit: i32 = -1, reverse: bool = false): TaskStatsIterator {',
    );
    expect(generated).toContain('export function putTaskStats(row: TaskStatsBuilder): void {');
    // Too long for one line: wrapped one parameter per line, as Prettier would.
    expect(generated).toContain('export function readAssigneeLoad(\n  prefix: AssigneeLoadKey,\n');
  });

  it('generates typed accessors for WASM commands and queries only', () => {
    expect(generated).toContain('export function argCompleteTask(): CompleteParams {');
    expect(generated).toContain("  if (o == null) throw new Error('todo.CompleteTask: no argument');");
    expect(generated).toContain('export function unloggedArgCompleteTask(): Secret {');
    expect(generated).toContain('export function argAddTask(): sdk.Obj {');
    expect(generated).toContain('export function resultAddTask(row: TaskBuilder): void {');
    expect(generated).toContain('export function resultStats(row: StatsRowBuilder): void {');
    expect(generated).not.toMatch(/argStats|resultCompleteTask|unloggedArgAddTask|Legacy\(|CountTasks\(|Nightly\(/);
  });

  it('escapes reserved and clashing member names and types containers', () => {
    const weird = section('export class Weird {');
    expect(weird).toContain("  get class_(): string {\n    return this.obj.getString('class');");
    expect(weird).toContain("  get obj_(): i32 {\n    return this.obj.getI32('obj');");
    // `hasobj_` is taken by a field, so the presence test of `obj` gets another underscore.
    expect(weird).toContain('  get hasobj_(): bool {');
    expect(weird).toContain('  hasobj__(): bool {');
    expect(weird).not.toContain('Raw');
    expect(weird).toContain("  get Params(): CompleteParams | null {\n    const o = this.obj.getObj('Params');");
    expect(weird).toContain("  get Ext(): sdk.Obj | null {\n    return this.obj.getObj('Ext');");
    const builder = section('export class WeirdBuilder {');
    expect(builder).toContain(
      "  Params(v: CompleteParamsBuilder): WeirdBuilder {\n    this.builder.obj('Params', v.builder);",
    );
    expect(builder).toContain("  Ext(v: sdk.ObjBuilder): WeirdBuilder {\n    this.builder.obj('Ext', v);");
  });

  it('renames a top-level name that clashes with a global or another definition', () => {
    const def = todoAppDef();
    const out = codegen(
      {
        ...def,
        objects: {
          ...def.objects,
          'todo.Map': { ...def.objects['todo.StatsRow'], qname: 'todo.Map' },
          'todo.TaskBuilder': { ...def.objects['todo.StatsRow'], qname: 'todo.TaskBuilder' },
        },
      },
      'todo',
    );
    expect(out).toContain('export class Map_ {');
    expect(out).toContain('export class MapBuilder {');
    expect(out).toContain("export const Map_: string = 'todo.Map';");
    // todo.TaskBuilder (a TYPE) keeps its name; todo.Task's builder takes the next free one.
    expect(out).toContain('export class TaskBuilder {\n  constructor(readonly obj: sdk.Obj) {}');
    expect(out).toContain('export class TaskBuilder_ {\n  readonly builder');
    expect(out).toContain('export function insertTask(fields: TaskBuilder_): i64 {');
  });

  it('generates nothing but the header for a package without definitions', () => {
    const out = codegen(todoAppDef(), 'nothing');
    expect(out).toContain("import * as sdk from '@stoa/extension-sdk/assembly';");
    expect(out).not.toMatch(/QNames|class|function/);
  });
});

/** The text of the class that starts with `head`, up to its closing brace. */
function section(head: string): string {
  const start = generated.indexOf(head);
  expect(start, head).toBeGreaterThanOrEqual(0);
  return generated.slice(start, generated.indexOf('\n}\n', start) + 2);
}

/** The README's worked examples (§4–§7), so the tutorial is compiled and run, not just read. */
function readmeExamples(): string {
  const readme = readFileSync(join(import.meta.dirname, '../README.md'), 'utf8');
  const from = readme.indexOf('<!-- compiled and run by src/codegen.test.ts');
  const to = readme.indexOf('## 8.');
  expect(from).toBeGreaterThan(0);
  const blocks = [...readme.slice(from, to).matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  expect(blocks.length).toBe(5);
  return blocks.join('\n');
}

/** Test-only exports next to the README's: every field kind, reserved names, containers. */
const EXTRA = `
import * as gen from './generated';

/** Copies every user field through the typed reader into the typed builder. */
export function AddTask(): void {
  const t = new gen.Task(gen.argAddTask());
  const b = new gen.TaskBuilder().Title(t.Title).Done(t.Done).Priority(t.Priority);
  if (t.hasDueAt()) b.DueAt(t.DueAt);
  if (t.hasAssignee()) b.Assignee(t.Assignee);
  if (t.hasSmall()) b.Small(t.Small);
  if (t.hasMedium()) b.Medium(t.Medium);
  if (t.hasBig()) b.Big(t.Big);
  if (t.hasRating()) b.Rating(t.Rating);
  if (t.hasRatio()) b.Ratio(t.Ratio);
  if (t.hasPrice()) b.Price(t.Price);
  if (t.hasKind()) b.Kind(t.Kind);
  if (t.hasPhoto()) b.Photo(t.Photo);
  const data = t.Data;
  if (data != null) b.Data(data);
  if (t.hasOwner()) b.Owner(t.Owner);
  const id = gen.insertTask(b);
  b.builder.i64('NewID', id);
  gen.resultAddTask(b);
}

/** Not a declared extension: round-trips the TYPE with reserved names and containers. */
export function WeirdEcho(): void {
  const w = new gen.Weird(sdk.arg()!);
  const b = new gen.WeirdBuilder().class_(w.class_).obj_(w.obj_).hasobj_(w.hasobj_);
  const params = w.Params;
  if (params != null) b.Params(new gen.CompleteParamsBuilder().TaskID(params.TaskID));
  const ext = w.Ext;
  if (ext != null) b.Ext(new sdk.ObjBuilder().str('Name', ext.getString('Name')));
  sdk.result(b.builder);
}
`;

// The build step's virtual entry: the app's exports plus the two the ABI requires.
const ENTRY = `export * from './index';\nexport { __stoa_abi_version, __stoa_alloc } from '${SDK_ABI_IMPORT}';\n`;

describe('generated code in a guest', () => {
  let wasm: Uint8Array;
  let guest: Guest;

  beforeAll(async () => {
    const index = readmeExamples() + EXTRA;
    wasm = await compileGuest({ 'entry.ts': ENTRY, 'index.ts': index, 'generated.ts': generated }, 'entry.ts');
    guest = await Guest.load(wasm);
  }, 60_000);

  it('exports the extensions and the ABI functions, and imports only what ABI v1 allows', () => {
    const functions = moduleExports(wasm).filter((e) => e.kind === 'function');
    expect(
      functions
        .filter((e) => !e.name.startsWith('_'))
        .map((e) => e.name)
        .sort(),
    ).toEqual(['AddTask', 'CompleteTask', 'CountTasks', 'Nightly', 'Stats', 'WeirdEcho']);
    expect(functions.map((e) => e.name)).toEqual(expect.arrayContaining(['__stoa_abi_version', '__stoa_alloc']));
    const allowed = /^(stoa\.\w+|env\.(memory|abort|trace|seed))$/;
    for (const i of moduleImports(wasm)) expect(`${i.module}.${i.name}`).toMatch(allowed);
    expect(moduleImports(wasm)).toContainEqual({ module: 'env', name: 'memory', kind: 'memory' });
    expect(guest.callExport('__stoa_abi_version')).toBe(1);
    const ptr = guest.callExport('__stoa_alloc', 16 * 1024) as number;
    expect(ptr).toBeGreaterThan(0);
  });

  it('CompleteTask: reads the record, updates it, and logs', () => {
    const out = guest.call('CompleteTask', {
      arg: { TaskID: 7 },
      records: new Map([
        [7, { 'sys.ID': 7, 'sys.QName': 'todo.Task', 'sys.IsActive': true, Title: 'Buy milk', Done: false }],
      ]),
    });
    expect(out.error).toBeUndefined();
    expect(out.reads).toEqual(['record 7']);
    expect(out.updates).toEqual([{ id: 7n, fields: { Done: true } }]);
    expect(out.logs).toEqual([{ level: 0, message: 'completed Buy milk' }]);
    expect(out.response).toBeUndefined();
  });

  it('CompleteTask: 404 for a missing record or one of another table; nothing for a done task', () => {
    const missing = guest.call('CompleteTask', { arg: { TaskID: 8 } });
    expect(missing.response).toEqual({ status: 404, message: 'task 8 not found' });
    expect(missing.updates).toEqual([]);
    const other = guest.call('CompleteTask', {
      arg: { TaskID: 9 },
      records: new Map([[9, { 'sys.ID': 9, 'sys.QName': 'todo.TaskTag', Name: 'x' }]]),
    });
    expect(other.response).toEqual({ status: 404, message: 'task 9 not found' });
    const done = guest.call('CompleteTask', {
      arg: { TaskID: 7 },
      records: new Map([[7, { 'sys.ID': 7, 'sys.QName': 'todo.Task', Title: 't', Done: true }]]),
    });
    expect([done.updates, done.logs, done.response, done.error]).toEqual([[], [], undefined, undefined]);
  });

  it('CompleteTask: an id beyond 2^53 arrives as a decimal string and is read exactly', () => {
    const out = guest.call('CompleteTask', { arg: { TaskID: '9007199254740993' } });
    expect(out.reads).toEqual(['record 9007199254740993']);
    expect(out.response?.message).toBe('task 9007199254740993 not found');
  });

  it('CompleteTask: a missing argument aborts naming the extension', () => {
    const out = guest.call('CompleteTask', {});
    expect(out.error).toMatch(/^abort: todo\.CompleteTask: no argument at .*generated\.ts/);
  });

  it('AddTask: every field kind survives arg → typed getters → builder → insert and result', () => {
    const arg = {
      Title: 'Ünïcode ✓',
      Done: false,
      DueAt: 1_700_000_000_000,
      Priority: -2,
      Assignee: 'ann',
      Small: -3,
      Medium: 300,
      Big: 2n ** 62n,
      Rating: 4.5,
      Ratio: 0.25,
      Price: 1999,
      Kind: 'todo.Task',
      Photo: 123_456_789_012,
      Data: Uint8Array.from([1, 2, 3]),
      Owner: '9007199254740993',
    };
    const out = guest.call('AddTask', { arg });
    expect(out.error).toBeUndefined();
    const fields = { ...arg, Owner: 9007199254740993n };
    expect(out.inserts).toEqual([{ table: 'todo.Task', fields }]);
    expect(out.results).toEqual([{ ...fields, NewID: 100_000 }]);
  });

  it('AddTask: absent optional fields stay absent', () => {
    const out = guest.call('AddTask', { arg: { Title: 't', Done: true, Priority: 1 } });
    expect(out.inserts).toEqual([{ table: 'todo.Task', fields: { Title: 't', Done: true, Priority: 1 } }]);
  });

  it('Stats: reads the view by prefix and returns one typed row', () => {
    const rows = [
      { Board: 0, Priority: 1, Open: 2, Done: 3 },
      { Board: 0, Priority: 2, Open: 5, Done: '9007199254740993' },
      { Board: 1, Priority: 1, Open: 100, Done: 100 },
    ];
    const out = guest.call('Stats', { views: { 'todo.TaskStats': rows } });
    expect(out.error).toBeUndefined();
    expect(out.reads).toEqual(['read todo.TaskStats {"Board":0} -1 0']);
    expect(out.results).toEqual([{ Open: 7, Done: 9007199254740996n }]);
  });

  it('CountTasks: walks the event’s cuds and read-modify-writes view rows', () => {
    const event = {
      qname: 'sys.CUD',
      wsid: 140737488355329,
      plogOffset: 10,
      wlogOffset: 3,
      registeredAt: 1_700_000_000_000,
      cuds: [
        { table: 'todo.Task', id: '9007199254740995', isNew: true, fields: { Title: 'a', Done: false, Priority: 1 } },
        { table: 'todo.TaskTag', id: 2, isNew: true, fields: { Name: 'x' } },
        { table: 'todo.Task', id: 3, isNew: false, fields: { Done: true }, oldFields: { Done: false } },
      ],
    };
    const views = { 'todo.TaskStats': [{ Board: 0, Priority: 1, Open: 4, Done: 1 }] };
    const out = guest.call('CountTasks', { event, views });
    expect(out.error).toBeUndefined();
    expect(out.reads).toEqual(['view todo.TaskStats {"Board":0,"Priority":1}']);
    expect(out.puts).toEqual([{ view: 'todo.TaskStats', row: { Board: 0, Priority: 1, Open: 5, Done: 1 } }]);
    expect(out.logs).toEqual([]);
  });

  it('Nightly: context, secret and a warning', () => {
    const context = { abi: 1, qname: 'todo.Nightly', kind: 'job', wsid: 1, partition: 2, now: 1_700_000_000_123 };
    const withToken = guest.call('Nightly', { context, secrets: { token: 'sëcret' } });
    expect(withToken.reads).toEqual(['secret token']);
    expect(withToken.logs).toEqual([{ level: 0, message: 'todo.Nightly ran at 1700000000123' }]);
    const without = guest.call('Nightly', { context });
    expect(without.logs).toEqual([{ level: 1, message: 'no token configured: nightly run skipped' }]);
  });

  it('WeirdEcho: reserved names and nested objects round-trip', () => {
    const arg = { class: 'c', obj: 5, hasobj_: true, Params: { TaskID: 7 }, Ext: { Name: 'n' } };
    const out = guest.call('WeirdEcho', { arg });
    expect(out.error).toBeUndefined();
    expect(out.results).toEqual([arg]);
  });
});
