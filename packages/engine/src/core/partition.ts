/**
 * One partition's single writer. Commands queue here (bounded: 503 beyond `maxPartitionQueue`)
 * and run one at a time; everything queued while a batch is being written forms the next batch
 * (group commit): its commands execute one after another against in-memory state (a failing one
 * fails alone), then their events are written as ONE PLog row with one conditional insert — the
 * commit point — and the batch's records, views, indexes and WLog entries are applied: in the same
 * atomic, durable write where the backend offers `insertIfNotExistsWithBatch` (LMDB, mem: one
 * fsync per batch), else right after it. Only then do the commands' promises resolve. Recovery
 * (on start, or after a write error) reloads the checkpoint and re-applies the PLog after it;
 * checkpoints are written every N events or T ms.
 */
import { AppError } from '@stoa/errors';
import type { Item } from '@stoa/storage';
import type { Logger } from 'pino';
import type { PLogRow } from '../store/app-store.js';
import { checkpointKey, wsSeqKey } from '../store/keys.js';
import { decodeValue, encodeValue } from '../store/value-codec.js';
import { applyEvent } from './apply.js';
import type { AppRuntime } from './app-runtime.js';
import { StateSource } from './state-source.js';
import { Batch, defaultSeq, Tx } from './tx.js';
import type { StoredEvent, WsSeq } from './types.js';
import { invalidateSubjects } from './member-cache.js';
import { RecentRows } from './recent-rows.js';
import { flushItems } from './write-set.js';

/** How far a batch got, for answering its commands when it fails unexpectedly. */
interface BatchProgress {
  /** tasks[0..owned) are this batch's; the rest went back to the queue. */
  owned: number;
  /** Set once the batch is durable and applied: its commands and their answers. */
  committed: { task: Task; value: unknown }[] | undefined;
}

interface Task {
  readonly fn: (tx: Tx) => Promise<unknown>;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: unknown) => void;
  readonly internal: boolean;
}

export class Partition {
  private nextPLogOffset = 1;
  private nextWSNumber = 0;
  /** Last PLog offset whose effects are applied. */
  appliedOffset = 0;
  private readonly seqs = new Map<number, WsSeq>();
  private readonly dirty = new Set<number>();
  private readonly queue: Task[] = [];
  private running = false;
  private needsRecovery = true;
  private closed = false;
  private eventsSinceCheckpoint = 0;
  private checkpointDue = false;
  private checkpointTimer: NodeJS.Timeout | undefined;
  private idle: (() => void)[] = [];
  private readonly appliedListeners = new Set<(offset: number) => void>();
  /** The newest applied rows, for the async projectors (recent-rows.ts). */
  private readonly recentRows = new RecentRows();
  readonly logger: Logger;
  ready = false;

  constructor(
    readonly app: AppRuntime,
    readonly id: number,
  ) {
    this.logger = app.logger.child({ partition: id });
  }

  get store() {
    return this.app.store;
  }

  get queueDepth(): number {
    return this.queue.length;
  }

  async start(): Promise<void> {
    await this.recover();
    this.ready = true;
    const every = this.app.options.checkpointIntervalMs;
    this.checkpointTimer = setInterval(() => {
      if (this.eventsSinceCheckpoint > 0) {
        this.checkpointDue = true;
        this.kick();
      }
    }, every);
    this.checkpointTimer.unref();
  }

  onApplied(listener: (offset: number) => void): () => void {
    this.appliedListeners.add(listener);
    return () => this.appliedListeners.delete(listener);
  }

  /**
   * The applied PLog rows from the one starting at `offset` on, from memory; undefined when they
   * are not all there (the caller reads the PLog from storage then).
   */
  appliedRowsFrom(offset: number): readonly PLogRow[] | undefined {
    return this.recentRows.from(offset);
  }

  async committedSeq(wsid: number): Promise<WsSeq> {
    let s = this.seqs.get(wsid);
    if (s === undefined) {
      s = (await this.store.loadWsSeq(wsid)) ?? defaultSeq();
      this.seqs.set(wsid, s);
    }
    return s;
  }

  /** Runs `fn` in the single writer; resolves after the batch holding its event is durable and applied. */
  submit<T>(fn: (tx: Tx) => Promise<T>, options: { internal?: boolean } = {}): Promise<T> {
    if (this.closed)
      return Promise.reject(new AppError('UNAVAILABLE', `partition ${this.id} is closing`, { retryAfterSeconds: 1 }));
    const internal = options.internal === true;
    if (!internal && this.queue.length >= this.app.resources.limits.maxPartitionQueue) {
      return Promise.reject(
        new AppError('UNAVAILABLE', `partition ${this.id} is overloaded: ${this.queue.length} commands queued`, {
          retryAfterSeconds: 1,
        }),
      );
    }
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject, internal });
      this.app.metrics.queueDepth.set({ app: this.app.key, partition: String(this.id) }, this.queue.length);
      this.kick();
    });
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    void this.drain();
  }

  private async drain(): Promise<void> {
    let failed = false;
    try {
      while (this.queue.length > 0 || this.checkpointDue) {
        if (this.needsRecovery) {
          try {
            await this.recover();
          } catch (error) {
            this.logger.error({ err: error }, 'partition recovery failed');
            for (const t of this.queue.splice(0))
              t.reject(new AppError('UNAVAILABLE', `partition ${this.id} is recovering`, { retryAfterSeconds: 1 }));
            await new Promise((r) => setTimeout(r, 100));
            continue;
          }
        }
        if (this.queue.length > 0) await this.runBatch();
        if (this.checkpointDue || this.eventsSinceCheckpoint >= this.app.options.checkpointEveryEvents)
          await this.checkpoint();
      }
    } catch (error) {
      this.logger.error({ err: error }, 'partition executor failed');
      this.needsRecovery = true;
      failed = true;
    } finally {
      this.running = false;
      this.app.metrics.queueDepth.set({ app: this.app.key, partition: String(this.id) }, this.queue.length);
      for (const f of this.idle.splice(0)) f();
      // After a failure, not at once: storage calls that fail synchronously would spin the loop.
      if (this.queue.length > 0) {
        if (failed) setTimeout(() => this.kick(), 100);
        else this.kick();
      }
    }
  }

  /**
   * Runs one batch. Storage failures are handled inside (commands rejected, recovery next); this
   * catches what is left — a bug — so that no command it took is left without an answer: before
   * the commit they are rejected (nothing was written), after it they stand (durable and applied;
   * recovery rebuilds the in-memory state before the next batch).
   */
  private async runBatch(): Promise<void> {
    const tasks = this.queue.splice(0, this.app.resources.limits.maxGroupCommit);
    const progress: BatchProgress = { owned: tasks.length, committed: undefined };
    try {
      await this.executeBatch(tasks, progress);
    } catch (error) {
      this.needsRecovery = true;
      this.logger.error({ err: error }, 'partition batch failed unexpectedly');
      if (progress.committed !== undefined) {
        for (const d of progress.committed) d.task.resolve(d.value);
        return;
      }
      const err = new AppError(
        'INTERNAL',
        `partition ${this.id}: the batch failed before its commit; nothing was written`,
      );
      for (const task of tasks.slice(0, progress.owned)) task.reject(err);
    }
  }

  private async executeBatch(tasks: Task[], progress: BatchProgress): Promise<void> {
    const batch = new Batch(this, this.nextPLogOffset, this.nextWSNumber);
    const maxRow = this.store.storage.limits.maxValueBytes - 1024;
    const done: { task: Task; value: unknown }[] = [];
    for (let i = 0; i < tasks.length; i++) {
      const task = tasks[i]!;
      const tx = new Tx(batch, this.id, this.app.resources.now());
      try {
        const value = await task.fn(tx);
        const size = tx.emitted?.bytes.length ?? 0;
        if (size > maxRow)
          throw new AppError(
            'PAYLOAD_TOO_LARGE',
            `event of ${size} bytes exceeds the storage limit of ${maxRow} bytes`,
          );
        if (batch.events.length > 0 && batch.size + size > maxRow) {
          this.queue.unshift(...tasks.slice(i)); // the rest goes into the next batch (re-executed there)
          progress.owned = i;
          break;
        }
        tx.commit();
        done.push({ task, value });
      } catch (error) {
        task.reject(error);
      }
    }
    if (batch.events.length > 0) {
      const items = batch.writes.toItems();
      let ok = false;
      let applied = false;
      try {
        // One durable commit for the PLog row and its effects where the backend can (LMDB, mem):
        // then there is no committed-but-unapplied window; otherwise two steps (below).
        const oneCommit = this.store.insertPLogRowWith(this.id, batch.firstOffset, batch.encoded, items);
        applied = oneCommit !== undefined;
        ok = await (oneCommit ?? this.store.insertPLogRow(this.id, batch.firstOffset, batch.encoded));
      } catch (error) {
        this.logger.error({ err: error }, 'PLog write failed');
      }
      if (!ok) {
        this.needsRecovery = true;
        const err = new AppError(
          'UNAVAILABLE',
          `partition ${this.id}: the PLog write at offset ${batch.firstOffset} failed; retry`,
          { retryAfterSeconds: 1 },
        );
        for (const d of done) d.task.reject(err);
        return;
      }
      if (!applied && !(await this.flushCommitted(batch, items, done))) return;
    } else if (!batch.writes.isEmpty() && !(await this.flushCommitted(batch, batch.writes.toItems(), done))) return;
    progress.committed = done;
    invalidateSubjects(this.app, batch.events);
    this.afterApply(batch);
    for (const d of done) d.task.resolve(d.value);
  }

  /** Applies a committed batch's writes (two-step path); false = failed, commands rejected. */
  private async flushCommitted(
    batch: Batch,
    items: readonly Item[],
    done: readonly { task: Task }[],
  ): Promise<boolean> {
    try {
      if (items.length > 0) await flushItems(this.store.storage, items);
      return true;
    } catch (error) {
      // Committed but not applied: recovery re-applies it before the next batch.
      invalidateSubjects(this.app, batch.events);
      this.needsRecovery = true;
      this.logger.error({ err: error }, 'applying a committed batch failed');
      const err = new AppError(
        'UNAVAILABLE',
        `partition ${this.id}: the command is committed but applying it failed; it is applied on recovery`,
        { retryAfterSeconds: 1 },
      );
      for (const d of done) d.task.reject(err);
      return false;
    }
  }

  private afterApply(batch: Batch): void {
    for (const [wsid, s] of batch.seqs) {
      this.seqs.set(wsid, s);
      this.dirty.add(wsid);
    }
    this.nextWSNumber = Math.max(this.nextWSNumber, batch.nextWSNumber);
    for (const e of batch.events) if (e.ws?.meta !== undefined) this.app.workspaces.set(e.ws.meta);
    if (batch.events.length > 0) {
      this.nextPLogOffset = batch.nextPLogOffset;
      this.appliedOffset = this.nextPLogOffset - 1;
      this.eventsSinceCheckpoint += batch.events.length;
      this.app.metrics.groupCommitSize.observe({ app: this.app.key }, batch.events.length);
      // Only partitions with async projectors keep a tail (nobody else reads it).
      if (this.appliedListeners.size > 0)
        this.recentRows.append({ firstOffset: batch.firstOffset, events: batch.encoded });
    }
    this.app.publishWrites(batch.writes, batch.events);
    if (batch.events.length > 0) for (const l of this.appliedListeners) l(this.appliedOffset);
  }

  /**
   * Loads the checkpoint and replays the PLog rows after it. Invariant of the single writer: row
   * N+1 is written only after row N's effects are durable (one atomic commit, a two-step flush that
   * succeeded, or a recovery that applied it), so after a crash only the newest row can be
   * committed but not applied. The rows before it need only their sequence metadata (ids, WLog
   * offsets, workspace numbers) — their records, views and WLog are on disk — and the newest is
   * re-applied (idempotently: view rows remember the offset that last wrote them). Recovery time
   * is then bounded by decoding, not by running projectors (WASM) for every event since the
   * checkpoint.
   */
  private async recover(): Promise<void> {
    const started = Date.now();
    const cp = await this.store.loadCheckpoint(this.id);
    this.recentRows.clear();
    this.seqs.clear();
    this.dirty.clear();
    this.nextPLogOffset = (cp?.appliedPLogOffset ?? 0) + 1;
    this.nextWSNumber = cp?.nextWSNumber ?? 0;
    let replayed = 0;
    let previous: PLogRow | undefined;
    for await (const row of this.store.readPLog(this.id, this.nextPLogOffset)) {
      if (previous !== undefined) replayed += await this.replayRow(previous, false);
      previous = row;
    }
    if (previous !== undefined) replayed += await this.replayRow(previous, true);
    this.appliedOffset = this.nextPLogOffset - 1;
    this.needsRecovery = false;
    if (replayed > 0) {
      this.eventsSinceCheckpoint = replayed;
      await this.checkpoint();
      this.logger.info(
        { replayed, ms: Date.now() - started, appliedOffset: this.appliedOffset },
        'partition recovered',
      );
    }
  }

  /** One PLog row in recovery: its sequences always, its effects re-applied when `apply`. */
  private async replayRow(row: PLogRow, apply: boolean): Promise<number> {
    const batch = new Batch(this, row.firstOffset, this.nextWSNumber);
    for (const bytes of row.events) {
      const event = decodeValue<StoredEvent>(bytes);
      const seq = await batch.seq(event.wsid);
      seq.nextWLogOffset = Math.max(seq.nextWLogOffset, event.wlogOffset + 1);
      for (const c of event.cuds) if (c.isNew && c.id >= seq.nextId) seq.nextId = c.id + 1;
      if (event.ws?.op === 'create' && event.ws.number !== undefined)
        batch.nextWSNumber = Math.max(batch.nextWSNumber, event.ws.number + 1);
      if (apply)
        await applyEvent(this.app, new StateSource(this.store, batch.writes), batch.writes, event, bytes, 'recover');
      batch.addEvent(event, bytes);
    }
    if (apply) await flushItems(this.store.storage, batch.writes.toItems());
    invalidateSubjects(this.app, batch.events);
    for (const e of batch.events) if (e.ws?.meta !== undefined) this.app.workspaces.set(e.ws.meta);
    for (const [wsid, s] of batch.seqs) {
      this.seqs.set(wsid, s);
      this.dirty.add(wsid);
    }
    this.nextWSNumber = batch.nextWSNumber;
    this.nextPLogOffset = row.firstOffset + row.events.length;
    return row.events.length;
  }

  /** Saves the dirty workspace sequences, then the checkpoint that vouches for them. */
  private async checkpoint(): Promise<void> {
    this.checkpointDue = false;
    if (this.needsRecovery) return;
    const items = [...this.dirty].map((wsid) => {
      const k = wsSeqKey(wsid);
      return { pk: k.pk, ck: k.ck, value: encodeValue(this.seqs.get(wsid)) };
    });
    await flushItems(this.store.storage, items);
    const k = checkpointKey(this.id);
    await this.store.storage.put(
      k.pk,
      k.ck,
      encodeValue({
        appliedPLogOffset: this.appliedOffset,
        nextWSNumber: this.nextWSNumber,
        savedAt: this.app.resources.now(),
      }),
    );
    this.dirty.clear();
    this.eventsSinceCheckpoint = 0;
  }

  /** Waits for queued work, writes a checkpoint (unless `skipCheckpoint`), and refuses new work. */
  async close(options: { skipCheckpoint?: boolean } = {}): Promise<void> {
    this.closed = true;
    clearInterval(this.checkpointTimer);
    while (this.running || this.queue.length > 0) await new Promise<void>((r) => this.idle.push(r));
    if (options.skipCheckpoint !== true && this.ready && this.eventsSinceCheckpoint > 0) await this.checkpoint();
  }
}
