// Atomic version swaps of the engine core (activateApp / unloadApp / acquireApp): requests that
// run across a swap all succeed on one version, fields unknown to the active version stay stored
// but hidden, a version that cannot load leaves the old one serving, unload keeps the data.
import { compile } from '@stoa/vsql';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppBundle } from '../app/bundle.js';
import { createEngineCore, type EngineCoreHandle } from './engine-core.js';
import type { AppService } from './service.js';
import { asUser, memResources } from './test-kit.test-util.js';

function notesBundle(version: 'v1' | 'v2' | 'broken'): AppBundle {
  const extra = version === 'v1' ? '' : ', Extra varchar(20)';
  const ext = version === 'broken' ? 'EXTENSION ENGINE BUILTIN (COMMAND Missing());' : '';
  const source = `APPLICATION notes();
WORKSPACE NotesWS (
  DESCRIPTOR Board (Title varchar(50) NOT NULL);
  TABLE Note INHERITS sys.CDoc (Text varchar(50) NOT NULL${extra});
  ${ext}
  GRANT SELECT, INSERT, UPDATE ON TABLE Note TO sys.WorkspaceOwner;
  GRANT EXECUTE ON ALL COMMANDS TO sys.WorkspaceOwner;
);`;
  const r = compile([{ path: 'notes.vsql', source }], { packageName: 'notes' });
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return {
    owner: 'test',
    manifest: { name: 'notes', partitions: 2 },
    appdef: r.appdef,
    modules: {},
    versionHash: version,
  };
}

const opened: EngineCoreHandle[] = [];
afterEach(async () => {
  for (const core of opened.splice(0)) await core.close();
});

async function start(): Promise<{ core: EngineCoreHandle; wsid: number; user: ReturnType<typeof asUser> }> {
  const core = await createEngineCore(memResources(), { jobs: false });
  opened.push(core);
  const service = await core.loadApp(notesBundle('v1'));
  const user = asUser('alice', 'test/notes');
  const { wsid } = await service.createWorkspace(user, {
    kind: 'notes.NotesWS',
    name: 'w',
    descriptor: { Title: 'b' },
  });
  return { core, wsid, user };
}

async function leased(core: EngineCoreHandle): Promise<AppService> {
  const lease = await core.acquireApp('test', 'notes');
  if (lease === undefined) throw new Error('app not served');
  lease.release();
  return lease.service;
}

describe('activateApp', () => {
  it('swaps versions under concurrent commands: every command succeeds exactly once, on one version', async () => {
    const { core, wsid, user } = await start();
    const insert = async (i: number): Promise<string> => {
      const lease = await core.acquireApp('test', 'notes');
      if (lease === undefined) throw new Error('app not served');
      try {
        await lease.service.insertDoc(user, wsid, 'notes.Note', { Text: `n${i}` });
        return lease.service.versionHash;
      } finally {
        lease.release();
      }
    };
    // A request that is still running holds the swap at its drain step.
    const slow = await core.acquireApp('test', 'notes');
    const before = Array.from({ length: 60 }, (_, i) => insert(i));
    const swap = core.activateApp(notesBundle('v2'));
    // The gate closes once v2's extensions are prepared; requests from then on wait for v2.
    while (core.isReady()) await new Promise((r) => setImmediate(r));
    slow?.release();
    const after = Array.from({ length: 60 }, (_, i) => insert(60 + i));
    const versions = await Promise.all([...before, ...after]);
    const { activationMs } = await swap;

    expect(versions.slice(0, 60).every((v) => v === 'v1')).toBe(true);
    expect(versions.slice(60).every((v) => v === 'v2')).toBe(true);
    expect(activationMs).toBeGreaterThanOrEqual(0);
    const service = await leased(core);
    expect(service.versionHash).toBe('v2');
    const { results } = await service.listCDocs(user, wsid, 'notes.Note', {});
    expect(results.map((r) => r['Text']).sort()).toEqual(Array.from({ length: 120 }, (_, i) => `n${i}`).sort());
    expect(core.isReady()).toBe(true);
  });

  it('keeps fields the active version does not know: hidden after a rollback, back with the version that knows them', async () => {
    const { core, wsid, user } = await start();
    await core.activateApp(notesBundle('v2'));
    const v2 = await leased(core);
    const { newIDs } = await v2.insertDoc(user, wsid, 'notes.Note', { Text: 'a', Extra: 'kept' });
    const id = Object.values(newIDs ?? {})[0]!;

    await core.activateApp(notesBundle('v1'));
    const v1 = await leased(core);
    const hidden = await v1.getDoc(user, wsid, 'notes.Note', id, {});
    expect(hidden['Text']).toBe('a');
    expect('Extra' in hidden).toBe(false);
    await v1.updateDoc(user, wsid, 'notes.Note', id, { Text: 'b' });

    await core.activateApp(notesBundle('v2'));
    const back = await (await leased(core)).getDoc(user, wsid, 'notes.Note', id, {});
    expect(back).toMatchObject({ Text: 'b', Extra: 'kept' });
  });

  it('leaves the old version serving when the new one cannot load', async () => {
    const { core, wsid, user } = await start();
    await expect(core.activateApp(notesBundle('broken'))).rejects.toThrow(/Missing/);
    const service = await leased(core);
    expect(service.versionHash).toBe('v1');
    await service.insertDoc(user, wsid, 'notes.Note', { Text: 'still works' });
  });

  it('refuses a different partition count', async () => {
    const { core } = await start();
    const other = { ...notesBundle('v2'), manifest: { name: 'notes', partitions: 3 } };
    await expect(core.activateApp(other)).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});

describe('unloadApp', () => {
  it('stops serving and keeps the data for the next load', async () => {
    const { core, wsid, user } = await start();
    await (await leased(core)).insertDoc(user, wsid, 'notes.Note', { Text: 'persisted' });
    expect(await core.unloadApp('test', 'notes')).toBe(true);
    expect(core.getApp('test', 'notes')).toBeUndefined();
    expect(await core.acquireApp('test', 'notes')).toBeUndefined();
    expect(await core.unloadApp('test', 'notes')).toBe(false);

    await core.activateApp(notesBundle('v1'));
    const { results } = await (await leased(core)).listCDocs(user, wsid, 'notes.Note', {});
    expect(results.map((r) => r['Text'])).toEqual(['persisted']);
  });
});

describe('singleton ids across versions', () => {
  it('never reuses the id of a singleton the active version does not declare', async () => {
    const core = await createEngineCore(memResources(), { jobs: false });
    opened.push(core);
    const withSingleton = (names: string[]): AppBundle => {
      const tables = names.map((n) => `TABLE ${n} INHERITS sys.WSingleton (V int32);`).join('\n  ');
      const r = compile(
        [
          {
            path: 's.vsql',
            source: `APPLICATION notes();\nWORKSPACE NotesWS (\n  DESCRIPTOR Board (Title varchar(50) NOT NULL);\n  ${tables}\n);`,
          },
        ],
        { packageName: 'notes' },
      );
      if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
      return {
        owner: 'test',
        manifest: { name: 'notes', partitions: 1 },
        appdef: r.appdef,
        modules: {},
        versionHash: names.join('+'),
      };
    };
    await core.activateApp(withSingleton(['First']));
    await core.activateApp(withSingleton([]));
    await core.activateApp(withSingleton(['Second']));
    await core.activateApp(withSingleton(['First', 'Second']));
    const runtime = (core.getApp('test', 'notes') as unknown as { runtime: { singletonIds: Map<string, number> } })
      .runtime;
    const ids = [runtime.singletonIds.get('notes.First'), runtime.singletonIds.get('notes.Second')];
    expect(ids[0]).toBeDefined();
    expect(ids[1]).toBeDefined();
    expect(ids[0]).not.toBe(ids[1]);
  });
});
