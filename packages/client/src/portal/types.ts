/**
 * Wire types of the portal's tool API (`/api/v1`, apps/web), as `stoa deploy` uses it. The deploy
 * log events are the ones the worker writes (`@stoa/jobs` deploy-log contract), relayed as JSON.
 */

export type DeploymentStatus = 'queued' | 'building' | 'built' | 'rolling_out' | 'live' | 'failed' | 'superseded';

/** What `POST /api/v1/orgs/{slug}/apps/{app}/deployments` answers (201). */
export interface CreatedDeployment {
  readonly deploymentId: string;
  readonly deployment: {
    readonly id: string;
    readonly status: DeploymentStatus;
    readonly source: string;
    readonly createdAt: string;
    readonly [key: string]: unknown;
  };
}

export type DeployStage = 'queued' | 'fetch' | 'unpack' | 'build' | 'upload' | 'activate' | 'done';

interface EventBase {
  /** Order within the deployment's log (the SSE id); absent on a closing event made by the portal. */
  readonly seq: number;
  /** Milliseconds since epoch, when the worker wrote it. */
  readonly at: number;
}

export type DeployLogEvent =
  | (EventBase & { readonly type: 'line'; readonly level: 'info' | 'warn' | 'error'; readonly text: string })
  | (EventBase & { readonly type: 'progress'; readonly stage: DeployStage; readonly pct?: number })
  | (EventBase & { readonly type: 'end'; readonly status: 'live' | 'failed'; readonly text?: string });
