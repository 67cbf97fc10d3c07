/**
 * Reads through a write set to storage: what a command, a sync projector or recovery sees is
 * storage plus the pending writes of its batch (and of the command itself).
 */
import type { AppStore } from '../store/app-store.js';
import type { StorageKey } from '../store/keys.js';
import type { StoredRecord, StoredViewRow } from './types.js';
import type { WriteSet } from './write-set.js';

export class StateSource {
  constructor(
    readonly store: AppStore,
    readonly writes: WriteSet | undefined,
  ) {}

  async getRecord(wsid: number, id: number): Promise<StoredRecord | undefined> {
    return this.getRecordNow(wsid, id);
  }

  async getViewRow(key: StorageKey): Promise<StoredViewRow | undefined> {
    return this.getViewRowNow(key);
  }

  /**
   * `getRecord` without a promise when the record is pending in the write set (no I/O); otherwise
   * storage's promise. For callers that pay for every await (the WASM host suspends its guest).
   */
  getRecordNow(wsid: number, id: number): StoredRecord | Promise<StoredRecord | undefined> {
    const pending = this.writes?.getRecord(wsid, id);
    if (pending !== undefined) return pending;
    return this.store.getRecord(wsid, id);
  }

  /** `getViewRow` without a promise when the row is pending in the write set; otherwise storage's promise. */
  getViewRowNow(key: StorageKey): StoredViewRow | Promise<StoredViewRow | undefined> {
    const pending = this.writes?.getView(key);
    if (pending !== undefined) return pending.value;
    return this.store.getViewRow(key);
  }

  async getUnique(key: StorageKey): Promise<number | undefined> {
    const pending = this.writes?.getUnique(key);
    if (pending !== undefined) return pending === 0 ? undefined : pending;
    return this.store.getUnique(key);
  }
}
