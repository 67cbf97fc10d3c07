// The deploy service over mem storage with real bundles (schema-only projects, built by
// @stoa/bundle): upload, first deploy, compatible redeploy with its diff, 409 with every breaking
// change, dry run, rollback, undeploy, history, sealed secrets, and a restarted node serving the
// same versions.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundle } from '@stoa/bundle/bundle';
import { createMemDriver, createStorageProvider, type StorageProvider } from '@stoa/storage';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEngineCore, type EngineCoreHandle } from '../core/engine-core.js';
import { memResources } from '../core/test-kit.test-util.js';
import { createDeployService, type DeployService } from './deploy-service.js';
import { createDeployStore } from './deploy-store.js';
import { createSecretBox } from './secret-box.js';
import type { AdminCaller } from './types.js';

const caller: AdminCaller = { subject: 'test:ops' };
const root = mkdtempSync(join(tmpdir(), 'stoa-deploy-service-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Built {
  readonly id: string;
  readonly bytes: Uint8Array;
}

async function buildNotes(name: string, fields: string, partitions = 1): Promise<Built> {
  const dir = join(root, `${name}-${randomBytes(4).toString('hex')}`);
  mkdirSync(join(dir, 'schema'), { recursive: true });
  writeFileSync(join(dir, 'stoa.json'), JSON.stringify({ name: 'notes', partitions }));
  writeFileSync(
    join(dir, 'schema', 'notes.vsql'),
    `APPLICATION notes();
WORKSPACE NotesWS (
  DESCRIPTOR Board (Title varchar(50) NOT NULL);
  TABLE Note INHERITS sys.CDoc (${fields});
  GRANT SELECT, INSERT, UPDATE ON TABLE Note TO sys.WorkspaceOwner;
);
`,
  );
  const { id, bytes } = await buildBundle(dir);
  return { id, bytes };
}

let v1: Built;
let v2: Built;
let breaking: Built;
let twoPartitions: Built;
beforeAll(async () => {
  v1 = await buildNotes('v1', 'Text varchar(50) NOT NULL');
  v2 = await buildNotes('v2', 'Text varchar(50) NOT NULL, Extra varchar(20)');
  breaking = await buildNotes('v3', 'Text int32 NOT NULL');
  twoPartitions = await buildNotes('p2', 'Text varchar(50) NOT NULL', 2);
});

const cores: EngineCoreHandle[] = [];
afterEach(async () => {
  for (const core of cores.splice(0)) await core.close();
});

async function startNode(
  provider: StorageProvider,
  key: Uint8Array,
): Promise<{ core: EngineCoreHandle; admin: DeployService }> {
  const core = await createEngineCore(memResources({ storage: provider }), { jobs: false });
  cores.push(core);
  const admin = createDeployService({
    core,
    store: createDeployStore(await provider.openApp('sys/engine')),
    box: createSecretBox(key),
    logger: pino({ level: 'silent' }),
    folderApps: new Set(['local/folder']),
    node: { id: 'node-1', storage: 'mem', engineVersion: 'test' },
  });
  return { core, admin };
}

describe('deploy service', () => {
  it('deploys, redeploys compatibly, refuses breaking changes, rolls back, undeploys, and survives a restart', async () => {
    const provider = createStorageProvider(createMemDriver());
    const key = randomBytes(32);
    const { core, admin } = await startNode(provider, key);

    expect((await admin.putBundle(caller, v1.id, v1.bytes)).created).toBe(true);
    expect((await admin.putBundle(caller, v1.id, v1.bytes)).created).toBe(false);
    expect(await admin.getBundle(caller, v1.id)).toMatchObject({ id: v1.id, bytes: v1.bytes.length, created: false });
    await expect(admin.putBundle(caller, v2.id, v1.bytes)).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(admin.deploy(caller, 'acme', 'notes', { bundle: v2.id, dryRun: false })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    for (const b of [v2, breaking, twoPartitions]) await admin.putBundle(caller, b.id, b.bytes);
    await expect(admin.deploy(caller, 'acme', 'other', { bundle: v1.id, dryRun: false })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      data: { field: 'bundle' },
    });

    const first = await admin.deploy(caller, 'acme', 'notes', { bundle: v1.id, dryRun: false });
    expect(first.deployment).toMatchObject({ version: 1, bundle: v1.id, kind: 'deploy', by: 'test:ops', diff: '' });
    expect(core.getApp('acme', 'notes')?.versionHash).toBe(v1.id);
    expect((await admin.deploy(caller, 'acme', 'notes', { bundle: v1.id, dryRun: false })).unchanged).toBe(true);

    const dry = await admin.deploy(caller, 'acme', 'notes', { bundle: v2.id, dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, deployment: null });
    expect(dry.diff.text).toContain('+ field notes.Note.Extra');
    expect(core.getApp('acme', 'notes')?.versionHash).toBe(v1.id);

    const second = await admin.deploy(caller, 'acme', 'notes', { bundle: v2.id, dryRun: false });
    expect(second.deployment).toMatchObject({ version: 2, kind: 'deploy' });
    expect(second.deployment?.diff).toContain('Extra');
    expect(core.getApp('acme', 'notes')?.versionHash).toBe(v2.id);

    for (const bad of [breaking, twoPartitions]) {
      const refused = await admin.deploy(caller, 'acme', 'notes', { bundle: bad.id, dryRun: false }).then(
        () => undefined,
        (e: unknown) => e as { code: string; message: string; data: Record<string, unknown> },
      );
      expect(refused?.code).toBe('CONFLICT');
      expect(refused?.data['reason']).toBe('incompatible');
      expect((refused?.data['breaking'] as unknown[]).length).toBeGreaterThan(0);
    }
    type Refusal = { message: string; data: { breaking: { code: string; qname: string; field?: string }[] } };
    const refusedRetype = await admin.deploy(caller, 'acme', 'notes', { bundle: breaking.id, dryRun: false }).then(
      () => undefined,
      (e: unknown) => e as Refusal,
    );
    if (refusedRetype === undefined) throw new Error('the breaking deploy was accepted');
    // Against v2, the retyped Text and the dropped Extra: every change is listed.
    expect(refusedRetype.data.breaking.map((b) => `${b.code} ${b.qname}.${b.field ?? ''}`).sort()).toEqual([
      'field-removed notes.Note.Extra',
      'field-retyped notes.Note.Text',
    ]);
    expect(refusedRetype.message).toMatch(/2 breaking change\(s\)/);
    expect(core.getApp('acme', 'notes')?.versionHash).toBe(v2.id);

    const back = await admin.rollback(caller, 'acme', 'notes', { version: 1 });
    expect(back.deployment).toMatchObject({ version: 3, kind: 'rollback', bundle: v1.id });
    expect(core.getApp('acme', 'notes')?.versionHash).toBe(v1.id);
    await expect(admin.rollback(caller, 'acme', 'notes', { version: 99 })).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const detail = await admin.getApp(caller, 'acme', 'notes');
    expect(detail.history.map((d) => d.version)).toEqual([3, 2, 1]);
    expect(detail).toMatchObject({ status: 'active', source: 'admin', partitions: 1, versionHash: v1.id });

    await admin.putSecret(caller, 'acme', 'notes', 'ApiKey', 's3cret');
    expect(await admin.listSecrets(caller, 'acme', 'notes')).toEqual(['ApiKey']);
    expect(await admin.secrets.get('acme/notes', 'ApiKey')).toBe('s3cret');
    await expect(admin.deleteSecret(caller, 'acme', 'notes', 'Nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });

    // A restarted node (same storage, same key) serves the same version and opens the secret.
    await core.close();
    const restarted = await startNode(provider, key);
    expect(await restarted.admin.restoreDeployedApps()).toEqual({ restored: ['acme/notes'], failed: [] });
    expect(restarted.core.getApp('acme', 'notes')?.versionHash).toBe(v1.id);
    expect(await restarted.admin.secrets.get('acme/notes', 'ApiKey')).toBe('s3cret');

    const down = await restarted.admin.undeploy(caller, 'acme', 'notes');
    expect(down).toMatchObject({ status: 'undeployed', active: null });
    expect(restarted.core.getApp('acme', 'notes')).toBeUndefined();
    // After an undeploy a deploy is checked against the last active version (v1): v2 is compatible.
    const again = await restarted.admin.deploy(caller, 'acme', 'notes', { bundle: v2.id, dryRun: false });
    expect(again.deployment).toMatchObject({ version: 5, kind: 'deploy' });
    expect((await restarted.admin.listApps(caller)).map((a) => `${a.owner}/${a.name}:${a.status}`)).toEqual([
      'acme/notes:active',
    ]);
    const [node] = await restarted.admin.listNodes(caller);
    expect(node).toMatchObject({ id: 'node-1', storage: 'mem', apps: 1 });
  });

  it('refuses to manage folder apps', async () => {
    const { admin } = await startNode(createStorageProvider(createMemDriver()), randomBytes(32));
    await admin.putBundle(caller, v1.id, v1.bytes);
    await expect(admin.undeploy(caller, 'local', 'folder')).rejects.toMatchObject({
      code: 'CONFLICT',
      data: { reason: 'folder-app' },
    });
  });
});
