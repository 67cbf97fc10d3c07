/**
 * An async projector on one partition: follows the PLog from its stored offset (the rows just
 * applied come from the partition's in-memory tail, older ones from storage), invokes the
 * projector for every event it fires on, collects view writes in an in-memory bundle (reads see
 * the bundle), and flushes the bundle, then its new offset (a crash in between means redelivery,
 * which the view rows' offsets make a no-op). Always whole PLog rows, so
 * the stored offset is a row boundary. A failure discards the bundle, counts an error and retries
 * from the stored offset with exponential backoff — at-least-once, and a projector that always
 * fails stalls only itself.
 */
import { projectorOffsetKey } from '../store/keys.js';
import { decodeValue, encodeValue } from '../store/value-codec.js';
import type { AppRuntime } from './app-runtime.js';
import { buildExtensionContext } from './ext-context.js';
import type { Partition } from './partition.js';
import { projectorFires, toEventView } from './projectors.js';
import { StateSource } from './state-source.js';
import type { StoredEvent } from './types.js';
import { getViewDef, normalizeViewRow, putViewRow } from './views.js';
import { flushItems, WriteSet } from './write-set.js';
import type { ExtensionDef } from '@stoa/vsql';

export class AsyncProjector {
  private offset = 0;
  private stopped = false;
  private wake: (() => void) | undefined;
  private failures = 0;
  private loop: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly app: AppRuntime,
    private readonly partition: Partition,
    private readonly def: ExtensionDef,
  ) {}

  get storedOffset(): number {
    return this.offset;
  }

  start(): void {
    this.unsubscribe = this.partition.onApplied(() => this.signal());
    this.loop = this.run();
  }

  private signal(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private sleep(ms: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(() => this.signal(), ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private setLag(): void {
    this.app.metrics.projectorLag.set(
      { app: this.app.key, projector: this.def.qname, partition: String(this.partition.id) },
      Math.max(0, this.partition.appliedOffset - this.offset),
    );
  }

  private async run(): Promise<void> {
    this.offset = await this.app.store.loadProjectorOffset(this.partition.id, this.def.qname);
    const log = this.partition.logger.child({ projector: this.def.qname });
    while (!this.stopped) {
      this.setLag();
      if (this.offset >= this.partition.appliedOffset) {
        await this.sleep(undefined);
        continue;
      }
      try {
        await this.step();
        this.failures = 0;
      } catch (error) {
        this.failures++;
        this.app.metrics.projectorErrors.inc({
          app: this.app.key,
          projector: this.def.qname,
          partition: String(this.partition.id),
        });
        const { initial, max } = this.app.options.projectorBackoffMs;
        const delay = Math.min(max, initial * 2 ** Math.min(this.failures - 1, 30));
        log.error(
          { err: error, offset: this.offset, failures: this.failures, retryInMs: delay },
          'async projector failed',
        );
        await this.sleep(delay);
      }
    }
  }

  /** Processes whole PLog rows after the stored offset, up to the batch size, then flushes. */
  private async step(): Promise<void> {
    const bundle = new WriteSet();
    const state = new StateSource(this.app.store, bundle);
    const limit = this.app.options.projectorBatchEvents;
    let processed = 0;
    let offset = this.offset;
    const rows = this.partition.appliedRowsFrom(offset + 1) ?? this.app.store.readPLog(this.partition.id, offset + 1);
    for await (const row of rows) {
      if (this.stopped) return;
      for (const bytes of row.events) await this.handle(decodeValue<StoredEvent>(bytes), state, bundle);
      offset = row.firstOffset + row.events.length - 1;
      processed += row.events.length;
      if (processed >= limit || offset >= this.partition.appliedOffset) break;
    }
    if (offset === this.offset) return;
    const k = projectorOffsetKey(this.partition.id, this.def.qname);
    // View rows first, the offset last and on its own: on backends whose batches are not atomic
    // (Cassandra across partitions, DynamoDB) the offset never gets ahead of the rows; a crash in
    // between means redelivery, which the rows' offsets turn into no-ops.
    const storage = this.app.store.storage;
    await flushItems(storage, bundle.toItems());
    await storage.put(k.pk, k.ck, encodeValue({ offset }));
    this.offset = offset;
    this.app.publishWrites(bundle, []);
    this.setLag();
  }

  private async handle(event: StoredEvent, state: StateSource, bundle: WriteSet): Promise<void> {
    const kind = event.ws?.meta?.kind ?? (await this.app.workspaces.get(event.wsid))?.kind;
    if (!projectorFires(this.app.appdef, this.def, event, kind)) return;
    const app = this.app;
    const built = buildExtensionContext({
      appdef: this.app.appdef,
      ext: this.def,
      wsid: event.wsid,
      partition: this.partition.id,
      state,
      writes: bundle,
      arg: event.arg,
      event: toEventView(event),
      now: this.app.resources.now(),
      logger: this.partition.logger,
      getSecret(name) {
        return app.getSecret(name);
      },
    });
    try {
      await this.app.extensions.invoke(built.ctx);
    } finally {
      built.close();
    }
    for (const { view, row } of built.intents.views) {
      const def = getViewDef(this.app.appdef, view);
      await putViewRow(
        state,
        bundle,
        def,
        event.wsid,
        normalizeViewRow(def, row, `${this.def.qname} putView(${view})`),
        event.plogOffset,
      );
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.signal();
    await this.loop;
  }
}
