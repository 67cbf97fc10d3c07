import type { EnqueueOptions, EnqueueResult, JobName, JobPayload } from '@stoa/jobs';
import { describe, expect, it } from 'vitest';
import { jobForStatus, reconcileDeployments, type UnfinishedDeployment } from './reconcile.js';

const NOW = Date.parse('2030-01-01T12:00:00Z');
const ids = [
  '1b4e28ba-2fa1-41d2-883f-0016d3cca427',
  '2c5f39cb-3ab2-42e3-994a-1127e4ddb538',
  '3d604adc-4bc3-43f4-8a5b-2238f5eec649',
];

/** A queue that knows which jobs exist, and how enqueue treats them (see @stoa/jobs' int tests). */
function fakeQueue(existing: Record<string, 'waiting' | 'active' | 'completed' | 'failed'>) {
  const calls: { name: JobName; id: string; options: EnqueueOptions | undefined }[] = [];
  return {
    calls,
    enqueue<N extends JobName>(name: N, payload: JobPayload<N>, options?: EnqueueOptions): Promise<EnqueueResult> {
      calls.push({ name, id: payload.deploymentId, options });
      const state = existing[`${name} ${payload.deploymentId}`];
      const finished = state === 'completed' || state === 'failed';
      const created = state === undefined || (finished && options?.replaceFinished === true);
      return Promise.resolve(
        created
          ? { jobId: payload.deploymentId, created }
          : { jobId: payload.deploymentId, created, existingState: state },
      );
    },
  };
}

describe('reconcileDeployments', () => {
  it('maps statuses to the job that moves them on', () => {
    expect(jobForStatus('queued')).toBe('deploy.build');
    expect(jobForStatus('building')).toBe('deploy.build');
    expect(jobForStatus('built')).toBe('deploy.rollout');
    expect(jobForStatus('rolling_out')).toBe('deploy.rollout');
  });

  it('re-enqueues stuck deployments, leaves running jobs alone, replaces finished ones', async () => {
    const stuck: UnfinishedDeployment[] = [
      { id: ids[0]!, status: 'building', updatedAt: new Date(NOW - 600_000) },
      { id: ids[1]!, status: 'rolling_out', updatedAt: new Date(NOW - 900_000) },
      { id: ids[2]!, status: 'queued', updatedAt: new Date(NOW - 700_000) },
    ];
    let asked: Date | undefined;
    const queue = fakeQueue({ [`deploy.rollout ${ids[1]}`]: 'failed', [`deploy.build ${ids[2]}`]: 'active' });
    const lines: string[] = [];
    const report = await reconcileDeployments({
      listUnfinished: (olderThan) => ((asked = olderThan), Promise.resolve(stuck)),
      queue,
      staleAfterMs: 300_000,
      now: () => NOW,
      log: (l) => lines.push(l),
    });
    expect(asked?.toISOString()).toBe('2030-01-01T11:55:00.000Z');
    expect(queue.calls.map((c) => [c.name, c.id, c.options?.replaceFinished])).toEqual([
      ['deploy.build', ids[0], true],
      ['deploy.rollout', ids[1], true],
      ['deploy.build', ids[2], true],
    ]);
    expect(report).toEqual({ checked: 3, requeued: [`deploy.build ${ids[0]}`, `deploy.rollout ${ids[1]}`] });
    expect(lines[1]).toBe(`deployment ${ids[1]} was rolling_out for 900 s without a job: deploy.rollout enqueued`);
  });

  it('re-creates lost jobs early, but replaces finished ones only when the deployment is stale', async () => {
    const listed: UnfinishedDeployment[] = [
      { id: ids[0]!, status: 'building', updatedAt: new Date(NOW - 20_000) },
      { id: ids[1]!, status: 'built', updatedAt: new Date(NOW - 30_000) },
      { id: ids[2]!, status: 'queued', updatedAt: new Date(NOW - 400_000) },
    ];
    let asked: Date | undefined;
    // ids[0]: Redis lost the job; ids[1]: its rollout failed in Redis but it is young; ids[2]: stale.
    const queue = fakeQueue({ [`deploy.rollout ${ids[1]}`]: 'failed', [`deploy.build ${ids[2]}`]: 'completed' });
    const report = await reconcileDeployments({
      listUnfinished: (olderThan) => ((asked = olderThan), Promise.resolve(listed)),
      queue,
      staleAfterMs: 300_000,
      missingAfterMs: 10_000,
      now: () => NOW,
    });
    expect(asked?.toISOString()).toBe('2030-01-01T11:59:50.000Z');
    expect(queue.calls.map((c) => [c.name, c.id, c.options?.replaceFinished ?? false])).toEqual([
      ['deploy.build', ids[0], false],
      ['deploy.rollout', ids[1], false],
      ['deploy.build', ids[2], true],
    ]);
    expect(report.requeued).toEqual([`deploy.build ${ids[0]}`, `deploy.build ${ids[2]}`]);
  });
});
