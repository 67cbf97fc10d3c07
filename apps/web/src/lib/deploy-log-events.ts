/**
 * The deploy log as the browser sees it (client-safe: the contract's types only — importing
 * @stoa/jobs itself would pull BullMQ into the page bundle). `deploy-log-events.test.ts` checks the
 * stage list against @stoa/jobs' DEPLOY_STAGES.
 */
import type { DeployLogEvent, DeployStage } from '@stoa/jobs';

export type { DeployLogEvent, DeployStage };

export const DEPLOY_STAGE_ORDER: readonly DeployStage[] = [
  'queued',
  'fetch',
  'unpack',
  'build',
  'upload',
  'activate',
  'done',
];

/** One SSE `data:` payload as an event; undefined for anything else (the stream is not trusted blindly). */
export function parseLogEventData(data: string): DeployLogEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const event = value as Partial<DeployLogEvent>;
  if (typeof event.seq !== 'number' || typeof event.at !== 'number') return undefined;
  if (event.type === 'line' && typeof event.text === 'string') return event as DeployLogEvent;
  if (event.type === 'progress' && DEPLOY_STAGE_ORDER.includes(event.stage as DeployStage)) {
    return event as DeployLogEvent;
  }
  if (event.type === 'end' && (event.status === 'live' || event.status === 'failed')) return event as DeployLogEvent;
  return undefined;
}

const RESET = '\x1b[0m';
const COLOR = { warn: '\x1b[33m', error: '\x1b[31m', progress: '\x1b[36m', live: '\x1b[1;32m', failed: '\x1b[1;31m' };

function clock(at: number): string {
  return new Date(at).toLocaleTimeString(undefined, { hour12: false });
}

/** The terminal text of one event (ANSI colours; the terminal converts `\n`). */
export function formatLogEvent(event: DeployLogEvent): string {
  const time = `\x1b[2m${clock(event.at)}${RESET} `;
  switch (event.type) {
    case 'line':
      return event.level === 'info' ? `${time}${event.text}` : `${time}${COLOR[event.level]}${event.text}${RESET}`;
    case 'progress':
      return `${time}${COLOR.progress}» ${event.stage}${event.pct === undefined ? '' : ` ${Math.round(event.pct)}%`}${RESET}`;
    case 'end':
      return `${time}${COLOR[event.status]}■ ${event.status}${event.text === undefined ? '' : `: ${event.text}`}${RESET}`;
  }
}
