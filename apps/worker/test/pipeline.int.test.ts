// The worker's deploy path end to end, minus the database (packages/db is not wired yet): a git push
// of examples/todo and the same project uploaded as a zip both build — in the limited child — to
// the same bundle, which rolls out to a real engine node and serves there, while progress and log
// lines stream through Redis to a follower.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createClient } from '@stoa/client';
import { generateAdminKeyPair, unwrap, type AdminPrivateJwk } from '@stoa/client/admin';
import { deployLogKeys, followDeployLog, type DeployLogEvent } from '@stoa/jobs';
import { zipSync } from 'fflate';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildInChild, DEFAULT_BUILD_LIMITS } from '../src/build/build-in-child.js';
import { fetchGitCommit } from '../src/build/git-fetch.js';
import { REPO_ROOT, createTestRepo, makeTempDir } from '../src/build/git-repo.test-util.js';
import { unpackUpload } from '../src/build/unpack-upload.js';
import { createDeployLog } from '../src/logs/deploy-log.js';
import { startEngine, type EngineChild } from '../src/rollout/engine-child.test-util.js';
import { rolloutBundle } from '../src/rollout/rollout.js';

const TODO = join(REPO_ROOT, 'examples/todo');
const temp = makeTempDir('pipeline');
let engine: EngineChild;
let key: AdminPrivateJwk;
let redis: Redis;
const deploymentId = crypto.randomUUID();

beforeAll(async () => {
  const pair = await generateAdminKeyPair();
  key = pair.privateJwk;
  redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  [engine] = await Promise.all([startEngine(pair.publicJwk), redis.connect()]);
}, 180_000);

afterAll(async () => {
  await engine.stop();
  const keys = await redis.keys(`${deployLogKeys(deploymentId).channel}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  temp.cleanup();
});

/** The project folder as an upload archive (what the portal or `stoa deploy` sends). */
function zipFolder(dir: string): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  const walk = (at: string): void => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (name === '.stoa') continue;
      if (statSync(path).isDirectory()) walk(path);
      else files[`todo-main/${relative(dir, path)}`] = readFileSync(path);
    }
  };
  walk(dir);
  return zipSync(files);
}

describe('git push or upload → build in child → rollout → live', () => {
  it('deploys examples/todo from a pushed commit and from an upload to the same bundle, with a live log', async () => {
    const events: DeployLogEvent[] = [];
    const follower = (async () => {
      for await (const event of followDeployLog(redis, deploymentId)) events.push(event);
    })();
    const log = createDeployLog(redis, deploymentId);

    log.progress('fetch');
    const repo = createTestRepo(join(temp.dir, 'repo'));
    repo.commitFolder(TODO, { exclude: ['.stoa'] });
    const sha = repo.commit({ 'README.md': 'pushed' });
    const fetched = await fetchGitCommit({
      repoUrl: repo.url,
      commitSha: sha,
      branch: 'main',
      dir: join(temp.dir, 'checkout'),
      limits: { timeoutMs: 60_000, maxBytes: 64 * 1024 * 1024 },
      allow: { schemes: ['file'] },
      log: (line) => log.line(line),
    });

    log.progress('build');
    const fromGit = await buildInChild({
      projectDir: fetched.dir,
      limits: DEFAULT_BUILD_LIMITS,
      log: (line) => log.line(line),
    });

    const unpacked = await unpackUpload(zipFolder(TODO), join(temp.dir, 'upload'));
    const fromUpload = await buildInChild({ projectDir: unpacked.projectDir, limits: DEFAULT_BUILD_LIMITS });
    expect(fromUpload.id).toBe(fromGit.id);

    const rollout = await rolloutBundle({
      bundle: fromGit,
      owner: 'acme',
      app: 'todo',
      nodes: [{ url: engine.url }],
      adminKey: key,
      subject: `worker:deployment/${deploymentId}`,
      log: (line) => log.line(line),
      progress: (stage, pct) => log.progress(stage, pct),
    });
    log.end('live');
    await log.close();
    await follower;

    expect(rollout.nodes).toEqual([expect.objectContaining({ url: engine.url, version: 1, unchanged: false })]);
    const spec = unwrap(await createClient({ baseUrl: engine.url }).app('acme', 'todo').openapi());
    expect(JSON.stringify(spec)).toContain('todo.Task');

    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const stages = events.flatMap((e) => (e.type === 'progress' ? [e.stage] : []));
    expect(stages).toEqual(['fetch', 'build', 'upload', 'activate']);
    const texts = events.flatMap((e) => (e.type === 'line' ? [e.text] : []));
    expect(texts[0]).toBe(`fetching ${repo.url} at ${sha}`);
    expect(texts).toContain(`bundle ${fromGit.id}: ${fromGit.bytes.length} bytes`);
    expect(texts.at(-1)).toMatch(/acme\/todo live as version 1/);
    expect(events.at(-1)).toMatchObject({ type: 'end', status: 'live' });
  });
});
