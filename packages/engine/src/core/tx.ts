/**
 * Batch and transaction state of the partition single writer. A batch (one future PLog row)
 * collects the events and writes of the commands it executes; each command runs in a Tx whose
 * writes and sequence changes join the batch only if it succeeds.
 */
import type { AppStore } from '../store/app-store.js';
import { StateSource } from './state-source.js';
import { FIRST_USER_ID, type StoredEvent, type WsSeq } from './types.js';
import { WriteSet } from './write-set.js';

export interface SeqSource {
  /** The committed sequences of a workspace (loaded from storage on first use). */
  committedSeq(wsid: number): Promise<WsSeq>;
  readonly store: AppStore;
}

export class Batch {
  readonly writes = new WriteSet();
  readonly seqs = new Map<number, WsSeq>();
  readonly events: StoredEvent[] = [];
  readonly encoded: Uint8Array[] = [];
  size = 0;

  constructor(
    readonly source: SeqSource,
    readonly firstOffset: number,
    public nextWSNumber: number,
  ) {}

  get nextPLogOffset(): number {
    return this.firstOffset + this.events.length;
  }

  async seq(wsid: number): Promise<WsSeq> {
    let s = this.seqs.get(wsid);
    if (s === undefined) {
      s = { ...(await this.source.committedSeq(wsid)) };
      this.seqs.set(wsid, s);
    }
    return s;
  }

  addEvent(event: StoredEvent, bytes: Uint8Array): void {
    this.events.push(event);
    this.encoded.push(bytes);
    this.size += bytes.length + 8;
  }
}

export class Tx {
  readonly writes: WriteSet;
  readonly state: StateSource;
  private readonly seqs = new Map<number, WsSeq>();
  private wsNumbers = 0;
  emitted: { event: StoredEvent; bytes: Uint8Array } | undefined;

  constructor(
    readonly batch: Batch,
    readonly partition: number,
    readonly now: number,
  ) {
    this.writes = batch.writes.child();
    this.state = new StateSource(batch.source.store, this.writes);
  }

  /** The PLog offset this transaction's event gets if it commits. */
  get plogOffset(): number {
    return this.batch.nextPLogOffset;
  }

  async seq(wsid: number): Promise<WsSeq> {
    let s = this.seqs.get(wsid);
    if (s === undefined) {
      s = { ...(await this.batch.seq(wsid)) };
      this.seqs.set(wsid, s);
    }
    return s;
  }

  /** Needs `seq(wsid)` awaited before (the command pipeline loads it first). */
  allocateId(wsid: number): number {
    const s = this.seqs.get(wsid);
    if (s === undefined) throw new Error(`sequence of workspace ${wsid} not loaded`);
    return s.nextId++;
  }

  allocateWSNumber(): number {
    return this.batch.nextWSNumber + this.wsNumbers++;
  }

  emit(event: StoredEvent, bytes: Uint8Array): void {
    if (this.emitted !== undefined) throw new Error('a transaction emits at most one event');
    this.emitted = { event, bytes };
  }

  commit(): void {
    this.writes.mergeIntoParent();
    for (const [wsid, s] of this.seqs) this.batch.seqs.set(wsid, s);
    this.batch.nextWSNumber += this.wsNumbers;
    if (this.emitted !== undefined) this.batch.addEvent(this.emitted.event, this.emitted.bytes);
  }
}

export function defaultSeq(): WsSeq {
  return { nextWLogOffset: 1, nextId: FIRST_USER_ID };
}
