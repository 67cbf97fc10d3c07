// @stoa/jobs: the typed job catalog, the queue producers use, and the deploy log contract.
export { InvalidJobPayloadError, JOBS, JOB_NAMES, isJobName, jobIdOf, parsePayload } from './catalog.js';
export type { JobBackoff, JobDefinition, JobName, JobPayload } from './catalog.js';
export { JOB_QUEUE_PREFIX, createJobQueue, jobOptionsOf } from './queue.js';
export type { EnqueueOptions, EnqueueResult, JobQueue, JobQueueOptions } from './queue.js';
export {
  DEPLOY_STAGES,
  MAX_DEPLOY_LOG_TEXT,
  deployLogChannel,
  deployLogEventSchema,
  deployLogKeys,
  followDeployLog,
  parseDeployLogEvent,
  readDeployLog,
} from './deploy-log.js';
export type {
  DeployLogEvent,
  DeployLogEventInput,
  DeployLogKeys,
  DeployStage,
  FollowDeployLogOptions,
} from './deploy-log.js';
