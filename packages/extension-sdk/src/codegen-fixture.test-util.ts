// A handcrafted, todo-like AppDef (the shape @stoa/vsql's compile() produces, extra properties
// included) for the codegen tests: every field kind, a nested table, an abstract table, a TYPE with
// a container and reserved-word field names, two views, WASM and BUILTIN extensions, and a second
// package whose definitions must not leak into `todo`'s file. Returned untyped, so that passing
// it to codegen() checks that an AppDef-shaped object (extra properties included) is accepted.

interface FixtureField {
  name: string;
  type: { kind: string };
  required: boolean;
  verifiable: boolean;
  system: boolean;
  comment?: string;
}

function field(name: string, kind: string, required = false, system = false): FixtureField {
  return { name, type: { kind }, required, verifiable: false, system };
}

const SYSTEM = [field('sys.QName', 'qname', false, true), field('sys.ID', 'ref', false, true)];
const ACTIVE = field('sys.IsActive', 'bool', false, true);

function table(qname: string, fields: FixtureField[], extra: object = {}) {
  return {
    qname,
    kind: 'CDoc',
    singleton: false,
    abstract: false,
    inherits: 'sys.CDoc',
    fields,
    containers: [],
    uniques: [],
    uniqueField: null,
    tags: [],
    workspace: 'todo.TodoWS',
    ...extra,
  };
}

function ext(qname: string, kind: string, extra: object = {}) {
  return { qname, kind, engine: 'wasm', workspace: 'todo.TodoWS', state: [], intents: [], tags: [], ...extra };
}

export function todoAppDef() {
  return {
    appdefVersion: 1,
    name: 'todo',
    packages: [{ localName: 'sys', path: 'sys' }],
    workspaces: {},
    tables: {
      'todo.Task': table('todo.Task', [
        ...SYSTEM,
        ACTIVE,
        { ...field('Title', 'varchar', true), comment: 'What to do.' },
        field('Done', 'bool', true),
        field('DueAt', 'timestamp'),
        field('Priority', 'int32', true),
        field('Assignee', 'varchar'),
        field('Small', 'int8'),
        field('Medium', 'int16'),
        field('Big', 'int64'),
        field('Rating', 'float64'),
        field('Ratio', 'float32'),
        field('Price', 'currency'),
        field('Kind', 'qname'),
        field('Photo', 'blob'),
        field('Data', 'bytes'),
        field('Owner', 'ref'),
      ]),
      'todo.TaskTag': table(
        'todo.TaskTag',
        [
          ...SYSTEM,
          field('sys.ParentID', 'ref', false, true),
          field('sys.Container', 'varchar', false, true),
          ACTIVE,
          field('Name', 'varchar', true),
        ],
        { kind: 'CRecord', parent: 'todo.Task' },
      ),
      'todo.Base': table('todo.Base', [...SYSTEM, ACTIVE, field('Note', 'varchar')], { abstract: true }),
      'other.Thing': table('other.Thing', [...SYSTEM, field('Name', 'varchar')]),
    },
    objects: {
      'todo.StatsRow': {
        qname: 'todo.StatsRow',
        fields: [field('Open', 'int64', true), field('Done', 'int64', true)],
        containers: [],
        workspace: 'todo.TodoWS',
        tags: [],
      },
      'todo.CompleteParams': {
        qname: 'todo.CompleteParams',
        fields: [field('TaskID', 'ref', true)],
        containers: [],
        workspace: 'todo.TodoWS',
        tags: [],
        comment: 'Which task to complete.',
      },
      'todo.Secret': {
        qname: 'todo.Secret',
        fields: [field('Pin', 'varchar', true)],
        containers: [],
        workspace: 'todo.TodoWS',
        tags: [],
      },
      'todo.Weird': {
        qname: 'todo.Weird',
        fields: [field('class', 'varchar'), field('obj', 'int32'), field('Raw', 'record'), field('hasobj_', 'bool')],
        containers: [
          { name: 'Params', type: 'todo.CompleteParams', minOccurs: 0, maxOccurs: 1 },
          { name: 'Ext', type: 'other.Thing', minOccurs: 1, maxOccurs: 1 },
        ],
        workspace: 'todo.TodoWS',
        tags: [],
      },
    },
    views: {
      'todo.TaskStats': {
        qname: 'todo.TaskStats',
        fields: [
          field('Board', 'int32', true),
          field('Priority', 'int32', true),
          field('Open', 'int64', true),
          field('Done', 'int64', true),
        ],
        partitionKey: ['Board'],
        clusteringColumns: ['Priority'],
        valueFields: ['Open', 'Done'],
        projector: 'todo.CountTasks',
        tags: [],
        workspace: 'todo.TodoWS',
      },
      'todo.AssigneeLoad': {
        qname: 'todo.AssigneeLoad',
        fields: [field('Board', 'int32', true), field('Assignee', 'varchar', true), field('OpenTasks', 'int64', true)],
        partitionKey: ['Board'],
        clusteringColumns: ['Assignee'],
        valueFields: ['OpenTasks'],
        projector: 'todo.CountByAssignee',
        tags: [],
        workspace: 'todo.TodoWS',
      },
    },
    extensions: {
      'todo.CompleteTask': ext('todo.CompleteTask', 'command', {
        param: 'todo.CompleteParams',
        unloggedParam: 'todo.Secret',
        result: 'void',
      }),
      'todo.AddTask': ext('todo.AddTask', 'command', { param: 'any', unloggedParam: 'void', result: 'todo.Task' }),
      'todo.Stats': ext('todo.Stats', 'query', { param: 'void', result: 'todo.StatsRow' }),
      'todo.CountTasks': ext('todo.CountTasks', 'projector', { sync: true }),
      'todo.Nightly': ext('todo.Nightly', 'job', { cron: '0 0 * * *' }),
      'todo.Legacy': ext('todo.Legacy', 'command', { engine: 'builtin', param: 'todo.CompleteParams' }),
      'other.Do': ext('other.Do', 'command', { param: 'other.Thing' }),
    },
    roles: {},
    rates: {},
    limits: {},
    tags: {},
    storages: {},
    constants: {},
  };
}
