import { DEPLOY_STAGES } from '@stoa/jobs';
import { describe, expect, it } from 'vitest';
import { DEPLOY_STAGE_ORDER, formatLogEvent, parseLogEventData } from './deploy-log-events';

describe('deploy log events in the browser', () => {
  it('knows the contract’s stages, in order', () => {
    expect(DEPLOY_STAGE_ORDER).toEqual(DEPLOY_STAGES);
  });

  it('parses events and refuses anything else', () => {
    const line = { seq: 1, at: 5, type: 'line', level: 'warn', text: 'careful' };
    expect(parseLogEventData(JSON.stringify(line))).toEqual(line);
    expect(parseLogEventData(JSON.stringify({ seq: 2, at: 5, type: 'progress', stage: 'build', pct: 10 }))).toEqual({
      seq: 2,
      at: 5,
      type: 'progress',
      stage: 'build',
      pct: 10,
    });
    for (const bad of [
      'not json',
      'null',
      JSON.stringify({ seq: 1, at: 5, type: 'progress', stage: 'compile' }),
      JSON.stringify({ seq: 1, at: 5, type: 'end', status: 'done' }),
      JSON.stringify({ at: 5, type: 'line', level: 'info', text: 'no seq' }),
    ]) {
      expect(parseLogEventData(bad)).toBeUndefined();
    }
  });

  it('formats lines, progress and the end for the terminal', () => {
    expect(formatLogEvent({ seq: 1, at: 0, type: 'line', level: 'info', text: 'hello' })).toMatch(/ hello$/);
    expect(formatLogEvent({ seq: 1, at: 0, type: 'line', level: 'error', text: 'boom' })).toContain('\x1b[31mboom');
    expect(formatLogEvent({ seq: 2, at: 0, type: 'progress', stage: 'upload', pct: 33.3 })).toContain('» upload 33%');
    expect(formatLogEvent({ seq: 3, at: 0, type: 'end', status: 'live', text: 'a/b is live' })).toContain(
      '■ live: a/b is live',
    );
  });
});
