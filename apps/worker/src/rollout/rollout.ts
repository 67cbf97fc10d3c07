// `deploy.rollout`: a built bundle onto every registered engine node through the admin API
// (docs/admin-api.md), in three phases so that a refused change leaves every node as it was:
//
// 1. upload the bundle to every node (in parallel; storing a bundle twice is a no-op);
// 2. dry-run the deploy on every node (in parallel): the compatibility check of each node answers
//    before any node switches, so an incompatible change (409) is refused with nothing activated;
// 3. activate node by node, in the given order.
//
// Partial rollouts: after phase 2 the only expected failures of phase 3 are transient (a node
// restarting, a network blip). Those are retryable and a retry converges: uploads answer "already
// stored", nodes already switched answer `unchanged`. A permanent failure in phase 3 (a node whose
// new version cannot start, 400) fails the deployment with the nodes that already switched named in
// the error (`data.nodes`); there is no automatic rollback — an operator decides (rollback
// re-activates an older bundle on the nodes that took the new one).
//
// Rollbacks (`rollback: true`, a deployment re-activating a bundle the app ran before): a node whose
// compatibility check refuses the older bundle (it lacks what a later version added) re-activates it
// with the admin API's rollback, which skips the check and keeps the newer fields' data hidden, not
// deleted. That needs the bundle in the node's own history; a node that never ran it refuses (404).
import type { ErrorCode } from '@stoa/errors';
import {
  createAdminClient,
  isIncompatible,
  type AdminPrivateJwk,
  type ClientError,
  type DeployResult,
  type FetchLike,
  type Result,
} from '@stoa/client/admin';
import { DeployStepError } from '../failures.js';

export interface RolloutNode {
  /** Admin API base URL of the node. */
  readonly url: string;
}

export interface RolloutOptions {
  readonly bundle: { readonly id: string; readonly bytes: Uint8Array };
  readonly owner: string;
  readonly app: string;
  readonly nodes: readonly RolloutNode[];
  readonly adminKey: AdminPrivateJwk;
  /** The admin tokens' `sub`, recorded in each node's deploy history (e.g. `worker:deployment/<id>`). */
  readonly subject: string;
  readonly log?: (line: string) => void;
  /** Phase progress, 0–100 within each phase. */
  readonly progress?: (stage: 'upload' | 'activate', pct: number) => void;
  /** Per request (default 60 s; uploads of large bundles to far nodes need time). */
  readonly timeoutMs?: number;
  /** Re-activating an earlier bundle of the app: an incompatible change is forced (see the header). */
  readonly rollback?: boolean;
  readonly fetch?: FetchLike;
}

export interface NodeRolloutResult {
  readonly url: string;
  /** False when the node already had the bundle. */
  readonly uploaded: boolean;
  /** The node's new deployment version; null when the bundle was already active (`unchanged`). */
  readonly version: number | null;
  readonly unchanged: boolean;
  /** The schema diff against the version the node served before ('' for a first deploy). */
  readonly diff: string;
  readonly activationMs: number;
}

export interface RolloutResult {
  readonly nodes: readonly NodeRolloutResult[];
  /** The schema diff (the first node's; every node checks the same bundle against its active version). */
  readonly diff: string;
}

export type NodeState = 'uploaded' | 'live' | 'failed' | 'untouched';

/** A failed rollout: the failing node(s), what each node is left serving, and whether to retry. */
export class RolloutError extends DeployStepError {
  constructor(
    code: ErrorCode,
    message: string,
    retryable: boolean,
    readonly nodes: Readonly<Record<string, NodeState>>,
    extra: Record<string, unknown> = {},
  ) {
    super(code, message, retryable, { data: { nodes, ...extra } });
  }
}

const DEFAULT_TIMEOUT_MS = 60_000;

interface NodeFailure {
  readonly url: string;
  readonly error: ClientError;
}

export async function rolloutBundle(options: RolloutOptions): Promise<RolloutResult> {
  const { bundle, owner, app } = options;
  const log = options.log ?? (() => undefined);
  const progress = options.progress ?? (() => undefined);
  if (options.nodes.length === 0) {
    throw new RolloutError('VALIDATION_FAILED', 'no engine nodes are registered: nothing to roll out to', false, {});
  }
  const states: Record<string, NodeState> = Object.fromEntries(
    options.nodes.map((n): [string, NodeState] => [n.url, 'untouched']),
  );
  const clients = options.nodes.map((node) => ({
    url: node.url,
    admin: createAdminClient({
      baseUrl: node.url,
      key: options.adminKey,
      subject: options.subject,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    }),
  }));
  const short = bundle.id.slice(0, 12);

  // 1. Upload everywhere.
  log(`uploading bundle ${short} (${bundle.bytes.length} bytes) to ${clients.length} node(s)`);
  let done = 0;
  const uploads = await Promise.all(
    clients.map(async ({ url, admin }) => {
      const res = await admin.putBundle(bundle.id, bundle.bytes);
      progress('upload', Math.round((++done / clients.length) * 100));
      if (res.ok) {
        states[url] = 'uploaded';
        log(`${url}: bundle ${short} ${res.value.created ? 'stored' : 'already stored'}`);
      }
      return { url, res };
    }),
  );
  throwIfAny(failuresOf(uploads), 'upload', states, log);
  const uploaded = new Map(uploads.map(({ url, res }) => [url, res.ok && res.value.created]));

  // 2. Every node checks compatibility before any node switches.
  const checks = await Promise.all(
    clients.map(async ({ url, admin }) => ({
      url,
      res: await admin.deploy(owner, app, { bundle: bundle.id, dryRun: true }),
    })),
  );
  let refused = failuresOf(checks);
  // Nodes that re-activate the bundle with the admin rollback (rollbacks only).
  const forced = new Set<string>();
  if (options.rollback === true) {
    for (const f of refused) {
      if (isIncompatible(f.error)) {
        forced.add(f.url);
        log(`${f.url}: the older bundle drops what a later version added: rolling back (data kept, hidden)`);
      }
    }
    refused = refused.filter((f) => !forced.has(f.url));
  }
  const incompatible = refused.find((f) => isIncompatible(f.error));
  if (incompatible !== undefined && isIncompatible(incompatible.error)) {
    const { error } = incompatible;
    log(`${incompatible.url}: refused: the change is incompatible with the live version`);
    throw new RolloutError(
      'CONFLICT',
      `${owner}/${app}: ${error.message}`,
      false,
      { ...states },
      {
        reason: 'incompatible',
        node: incompatible.url,
        breaking: error.data.breaking,
        diff: error.data.diff.text,
      },
    );
  }
  throwIfAny(refused, 'compatibility check', states, log);
  const firstCheck = checks[0]?.res;
  if (firstCheck?.ok === true && firstCheck.value.diff.text !== '')
    log(`schema changes:\n${firstCheck.value.diff.text}`);

  // 3. Activate node by node.
  const results: NodeRolloutResult[] = [];
  for (const [index, { url, admin }] of clients.entries()) {
    const res = forced.has(url)
      ? await admin.rollback(owner, app, { bundle: bundle.id })
      : await admin.deploy(owner, app, { bundle: bundle.id });
    if (!res.ok) {
      states[url] = 'failed';
      throwIfAny([{ url, error: res.error }], 'activation', states, log);
    } else {
      states[url] = 'live';
      results.push(nodeResult(url, uploaded.get(url) ?? false, res.value));
      const how = res.value.unchanged ? 'already live' : `live as version ${res.value.deployment?.version}`;
      log(`${url}: ${owner}/${app} ${how} (activation ${res.value.activationMs} ms)`);
    }
    progress('activate', Math.round(((index + 1) / clients.length) * 100));
  }
  const diff = results.find((r) => r.diff !== '')?.diff ?? (firstCheck?.ok === true ? firstCheck.value.diff.text : '');
  return { nodes: results, diff };
}

function nodeResult(url: string, uploaded: boolean, value: DeployResult): NodeRolloutResult {
  return {
    url,
    uploaded,
    version: value.deployment?.version ?? null,
    unchanged: value.unchanged,
    diff: value.deployment?.diff ?? value.diff.text,
    activationMs: value.activationMs,
  };
}

function failuresOf<T>(outcomes: readonly { url: string; res: Result<T> }[]): NodeFailure[] {
  const failures: NodeFailure[] = [];
  for (const { url, res } of outcomes) if (!res.ok) failures.push({ url, error: res.error });
  return failures;
}

/** Transient: no answer, a 5xx, 408/429, or an answer we could not read. */
export function isRetryableClientError(error: ClientError): boolean {
  if (error.kind !== 'http') return true;
  return error.status >= 500 || error.status === 408 || error.status === 429;
}

function describe(error: ClientError): string {
  if (error.kind === 'http') return `${error.status} ${error.message}`;
  return error.message;
}

/** Throws a RolloutError for the failures of a phase: permanent if any of them is. */
function throwIfAny(
  failures: readonly NodeFailure[],
  phase: string,
  states: Record<string, NodeState>,
  log: (line: string) => void,
): void {
  if (failures.length === 0) return;
  for (const f of failures) {
    if (states[f.url] !== 'live') states[f.url] = 'failed';
    log(`${f.url}: ${phase} failed: ${describe(f.error)}`);
  }
  const permanent = failures.find((f) => !isRetryableClientError(f.error));
  const first = permanent ?? failures[0];
  if (first === undefined) return;
  const live = Object.entries(states)
    .filter(([, s]) => s === 'live')
    .map(([u]) => u);
  const partial = live.length > 0 ? ` (already live on ${live.join(', ')})` : '';
  const code: ErrorCode =
    first.error.kind === 'http'
      ? first.error.code
      : first.error.kind === 'network' && first.error.timedOut
        ? 'TIMEOUT'
        : 'UNAVAILABLE';
  const nodes = failures.map((f) => f.url).join(', ');
  throw new RolloutError(
    code,
    `${phase} failed on ${nodes}: ${describe(first.error)}${partial}`,
    permanent === undefined,
    { ...states },
    first.error.kind === 'http' && first.error.data !== undefined
      ? { node: first.url, response: first.error.data }
      : { node: first.url },
  );
}
