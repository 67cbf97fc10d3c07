import { AppError } from '@stoa/errors';
import { describe, expect, it } from 'vitest';
import { InvalidJobPayloadError, JOBS, JOB_NAMES, isJobName, jobIdOf, parsePayload } from './catalog.js';
import { deployLogChannel, deployLogKeys, parseDeployLogEvent } from './deploy-log.js';
import { jobOptionsOf } from './queue.js';

const ID = '3f2b8c1e-5d4a-4b6f-9e7d-0a1b2c3d4e5f';

describe('the job catalog', () => {
  it('declares deploy.build and deploy.rollout on their own queues with attempts and exponential backoff', () => {
    expect(JOB_NAMES).toEqual(['deploy.build', 'deploy.rollout']);
    const queues = JOB_NAMES.map((n) => JOBS[n].queue);
    expect(new Set(queues).size).toBe(queues.length);
    for (const name of JOB_NAMES) {
      const def = JOBS[name];
      expect(def.queue).not.toContain(':');
      expect(def.attempts).toBeGreaterThan(1);
      expect(def.backoff.type).toBe('exponential');
      expect(def.backoff.delay).toBeGreaterThan(0);
    }
  });

  it('parses a valid payload and strips nothing silently: unknown keys are refused', () => {
    expect(parsePayload('deploy.build', { deploymentId: ID })).toEqual({ deploymentId: ID });
    expect(() => parsePayload('deploy.rollout', { deploymentId: ID, extra: 1 })).toThrow(/unrecognized key/i);
  });

  it('refuses a bad payload with a clear, permanent error naming the field', () => {
    const attempt = (): unknown => parsePayload('deploy.build', { deploymentId: 'nope' });
    expect(attempt).toThrow(InvalidJobPayloadError);
    expect(attempt).toThrow('job deploy.build: invalid payload: deploymentId: expected the deployment id (a UUID)');
    try {
      attempt();
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('VALIDATION_FAILED');
      expect((error as AppError).data).toEqual({ job: 'deploy.build', field: 'deploymentId' });
    }
    expect(() => parsePayload('deploy.build', null)).toThrow(/invalid payload: \(payload\)/);
    expect(() => parsePayload('deploy.nope' as 'deploy.build', { deploymentId: ID })).toThrow(
      'job deploy.nope: invalid payload: unknown job name',
    );
  });

  it('uses the deployment id as job id, and BullMQ options carry attempts, backoff and retention', () => {
    expect(isJobName('deploy.build')).toBe(true);
    expect(isJobName('toString')).toBe(false);
    expect(jobIdOf('deploy.rollout', { deploymentId: ID })).toBe(ID);
    const opts = jobOptionsOf('deploy.rollout', { deploymentId: ID });
    expect(opts).toMatchObject({
      jobId: ID,
      attempts: JOBS['deploy.rollout'].attempts,
      backoff: { type: 'exponential', delay: JOBS['deploy.rollout'].backoff.delay },
    });
    expect(opts.removeOnComplete).toMatchObject({ age: expect.any(Number) as number });
    expect(opts.removeOnFail).toMatchObject({ age: expect.any(Number) as number });
  });
});

describe('deploy log names and events', () => {
  it('derives the channel and keys from the deployment id', () => {
    expect(deployLogChannel(ID)).toBe(`stoa:deploy-log:${ID}`);
    expect(deployLogKeys(ID)).toEqual({
      channel: `stoa:deploy-log:${ID}`,
      list: `stoa:deploy-log:${ID}:lines`,
      seq: `stoa:deploy-log:${ID}:seq`,
    });
  });

  it('parses the three event kinds and rejects anything else', () => {
    expect(parseDeployLogEvent('{"seq":1,"at":5,"type":"line","level":"info","text":"hi"}')).toEqual({
      seq: 1,
      at: 5,
      type: 'line',
      level: 'info',
      text: 'hi',
    });
    expect(parseDeployLogEvent('{"seq":2,"at":5,"type":"progress","stage":"build","pct":50}')).toMatchObject({
      stage: 'build',
      pct: 50,
    });
    expect(parseDeployLogEvent('{"seq":3,"at":5,"type":"end","status":"live"}')).toMatchObject({ status: 'live' });
    for (const bad of [
      'not json',
      '{"seq":0,"at":5,"type":"line","level":"info","text":"x"}',
      '{"seq":1,"at":5,"type":"progress","stage":"compile"}',
      '{"seq":1,"at":5,"type":"progress","stage":"build","pct":101}',
      '{"seq":1,"at":5,"type":"end","status":"queued"}',
      '{"seq":1,"at":5,"type":"shout","text":"x"}',
    ]) {
      expect(parseDeployLogEvent(bad), bad).toBeUndefined();
    }
  });
});
