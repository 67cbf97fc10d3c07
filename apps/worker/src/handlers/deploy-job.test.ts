// The run frame of the deploy handlers without services: what a failure does to the deployment row
// (recorded through a fake `updateMany`), to the deploy log (a fake Redis that records each event)
// and to the job (UnrecoverableError or not), per attempt.
import type { Db } from '@stoa/db';
import { AppError } from '@stoa/errors';
import { UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { BuildCrashedError, BuildFailedError } from '../build/build-in-child.js';
import { RolloutError } from '../rollout/rollout.js';
import { describeFailure, runDeploymentJob, type DeployJob, type HandlerDeps } from './deploy-job.js';

const ID = '1b4e28ba-2fa1-41d2-883f-0016d3cca427';

interface Update {
  readonly where: unknown;
  readonly data: Record<string, unknown>;
}

function fakes(options: { failDb?: boolean } = {}) {
  const updates: Update[] = [];
  const events: Record<string, unknown>[] = [];
  const jobLog: string[] = [];
  const db = {
    deployment: {
      updateMany: (args: Update) => {
        if (options.failDb === true) return Promise.reject(new Error('connection refused'));
        updates.push(args);
        return Promise.resolve({ count: 1 });
      },
    },
  } as unknown as Db;
  const redis = {
    eval: (_script: string, _keys: number, _list: string, _seq: string, json: string) => {
      events.push(JSON.parse(json) as Record<string, unknown>);
      return Promise.resolve(events.length);
    },
  } as unknown as Redis;
  const deps: HandlerDeps = {
    db,
    redis,
    queue: { enqueue: () => Promise.reject(new Error('not used')) },
    logger: pino({ level: 'silent' }),
    settings: {} as HandlerDeps['settings'],
  };
  const job = (attemptsMade: number, data: unknown = { deploymentId: ID }): DeployJob => ({
    id: ID,
    data,
    attemptsMade,
    opts: { attempts: 3 },
    log: (row) => Promise.resolve(jobLog.push(row)),
    updateProgress: () => Promise.resolve(),
  });
  return { deps, job, updates, events, jobLog };
}

async function failWith(error: Error, attemptsMade: number, failDb = false) {
  const f = fakes({ failDb });
  let afterFinal = 0;
  const thrown = await runDeploymentJob(
    'deploy.build',
    f.deps,
    f.job(attemptsMade),
    { owns: ['queued', 'building'], afterFinalFailure: () => Promise.resolve(void afterFinal++) },
    () => Promise.reject(error),
  ).catch((e: unknown) => e);
  return { ...f, thrown, afterFinal };
}

describe('runDeploymentJob', () => {
  it('returns the work result, with the log flushed', async () => {
    const f = fakes();
    const result = await runDeploymentJob('deploy.build', f.deps, f.job(0), { owns: ['queued'] }, ({ log }) => {
      log.line('hello');
      return Promise.resolve(42);
    });
    expect(result).toBe(42);
    expect(f.events).toMatchObject([{ type: 'line', text: 'hello' }]);
    expect(f.jobLog).toEqual(['hello']);
  });

  it('records a retryable failure and lets BullMQ retry while attempts are left', async () => {
    const { thrown, updates, events, afterFinal } = await failWith(new BuildCrashedError('the child died'), 0);
    expect(thrown).toBeInstanceOf(BuildCrashedError);
    expect(thrown).not.toBeInstanceOf(UnrecoverableError);
    expect(updates).toEqual([
      { where: { id: ID, status: { in: ['queued', 'building'] } }, data: { error: 'the child died' } },
    ]);
    expect(events).toMatchObject([
      { type: 'line', level: 'warn', text: 'attempt 1 of 3 failed (will be retried): the child died' },
    ]);
    expect(afterFinal).toBe(0);
  });

  it('fails the deployment on the last attempt of a retryable failure', async () => {
    const { thrown, updates, events, afterFinal } = await failWith(new BuildCrashedError('the child died'), 2);
    expect(thrown).not.toBeInstanceOf(UnrecoverableError);
    expect(updates[0]?.data).toMatchObject({ status: 'failed', error: 'the child died' });
    expect(updates[0]?.data['finishedAt']).toBeInstanceOf(Date);
    expect(events.at(-1)).toMatchObject({ type: 'end', status: 'failed', text: 'the child died' });
    expect(afterFinal).toBe(1);
  });

  it('fails the deployment at once on a permanent failure, as an UnrecoverableError', async () => {
    const message = 'app folder <project>: 1 VSQL error(s)\n\nschema/app.vsql:3:5: Expected ")"\n> 3 | TABLE';
    const { thrown, updates, events } = await failWith(new BuildFailedError(message), 0);
    expect(thrown).toBeInstanceOf(UnrecoverableError);
    expect((thrown as Error).message).toBe(message);
    expect(updates[0]?.data).toMatchObject({ status: 'failed', error: message });
    expect(events.at(-1)).toMatchObject({
      type: 'end',
      status: 'failed',
      text: 'app folder <project>: 1 VSQL error(s)',
    });
  });

  it('still fails the job when the database cannot take the failure (the reconciler retries later)', async () => {
    const { thrown, updates } = await failWith(new BuildFailedError('bad'), 0, true);
    expect(thrown).toBeInstanceOf(UnrecoverableError);
    expect(updates).toEqual([]);
  });

  it('refuses an invalid payload before touching anything', async () => {
    const f = fakes();
    const thrown = await runDeploymentJob(
      'deploy.rollout',
      f.deps,
      f.job(0, { deploymentId: 'nope' }),
      { owns: ['built'] },
      () => Promise.resolve('ran'),
    ).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(UnrecoverableError);
    expect((thrown as Error).message).toMatch(/^job deploy\.rollout: invalid payload: deploymentId: /);
    expect(f.updates).toEqual([]);
    expect(f.events).toEqual([]);
  });
});

describe('describeFailure', () => {
  it('adds the breaking changes and the diff of a refused change', () => {
    const error = new RolloutError(
      'CONFLICT',
      'acme/todo: field todo.Task.Title retyped',
      false,
      { 'http://a': 'uploaded', 'http://b': 'uploaded' },
      {
        reason: 'incompatible',
        breaking: [
          { code: 'field-retyped', qname: 'todo.Task', field: 'Title', message: 'todo.Task.Title: varchar → int32' },
        ],
        diff: '~ field todo.Task.Title',
      },
    );
    expect(describeFailure(error)).toBe(
      'acme/todo: field todo.Task.Title retyped\nbreaking changes:\n- todo.Task.Title: varchar → int32\n' +
        'schema diff:\n~ field todo.Task.Title\nnodes:\nhttp://a: uploaded\nhttp://b: uploaded',
    );
  });

  it('keeps plain messages, stringifies non-errors and cuts very long text', () => {
    expect(describeFailure(new AppError('TIMEOUT', 'git fetch took too long'))).toBe('git fetch took too long');
    expect(describeFailure('boom')).toBe('boom');
    const long = describeFailure(new Error('x'.repeat(70_000)));
    expect(long.length).toBeLessThan(66_000);
    expect(long.endsWith('… (cut)')).toBe(true);
  });
});
