/**
 * Jobs: one schedule per (job, app workspace), on the partition that owns the app workspace (so a
 * multi-node cluster runs each tick once, on the lease holder). A tick runs in the partition's
 * single writer (its view writes cannot interleave with a batch) with the app workspace as its
 * workspace. Errors are logged; there is no retry and no catch-up of missed ticks (reference §2.13).
 * Cron expressions go to croner; `@every <duration>` (robfig's dialect, accepted by VSQL) is a timer.
 */
import { Cron } from 'croner';
import type { ExtensionDef } from '@stoa/vsql';
import type { AppRuntime } from './app-runtime.js';
import { buildExtensionContext } from './ext-context.js';
import type { Partition } from './partition.js';
import { getViewDef, normalizeViewRow, viewRowKey } from './views.js';

export interface JobHandle {
  stop(): void;
}

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function parseEvery(expr: string): number | undefined {
  const m = /^@every\s+(.+)$/.exec(expr.trim());
  if (m === null) return undefined;
  let total = 0;
  for (const part of m[1]!.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g))
    total += Number(part[1]) * UNIT_MS[part[2]!]!;
  return Math.max(1000, total);
}

export async function runJobOnce(app: AppRuntime, partition: Partition, job: ExtensionDef): Promise<void> {
  const wsid = app.appWorkspaceWSID(partition.id);
  await partition.submit(
    async (tx) => {
      const built = buildExtensionContext({
        appdef: app.appdef,
        ext: job,
        wsid,
        partition: partition.id,
        state: tx.state,
        writes: tx.writes,
        now: tx.now,
        logger: partition.logger,
        getSecret: (name) => app.getSecret(name),
      });
      try {
        await app.extensions.invoke(built.ctx);
      } finally {
        built.close();
      }
      // Jobs are not events (nothing replays them), so their rows are written as they are, marked
      // with the partition's applied offset; they are rows of the job's own views (AS RESULT OF).
      for (const { view, row } of built.intents.views) {
        const def = getViewDef(app.appdef, view);
        const normalized = normalizeViewRow(def, row, `${job.qname} putView(${view})`);
        const key = viewRowKey(def, wsid, normalized);
        tx.writes.putView({ view, wsid, key, value: { row: normalized, offset: partition.appliedOffset } });
      }
    },
    { internal: true },
  );
}

export function startJobs(app: AppRuntime): JobHandle {
  const handles: { stop(): void }[] = [];
  const jobs = Object.values(app.appdef.extensions).filter((e) => e.kind === 'job' && e.cron !== undefined);
  for (const job of jobs) {
    for (const partition of app.partitions) {
      const tick = (): void => {
        runJobOnce(app, partition, job).catch((error: unknown) =>
          partition.logger.error({ err: error, job: job.qname }, 'job failed'),
        );
      };
      const every = parseEvery(job.cron!);
      if (every !== undefined) {
        const t = setInterval(tick, every);
        t.unref();
        handles.push({ stop: () => clearInterval(t) });
      } else {
        const cron = new Cron(job.cron!, { protect: true, unref: true }, tick);
        handles.push({ stop: () => cron.stop() });
      }
    }
  }
  return {
    stop() {
      for (const h of handles) h.stop();
    },
  };
}
