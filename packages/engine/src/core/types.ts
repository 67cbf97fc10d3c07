import type { QName } from '@stoa/vsql';

/** Record ids: 1..65535 raw (client-chosen, per request); singletons fixed per app; user ids after. */
export const MAX_RAW_ID = 65_535;
export const FIRST_SINGLETON_ID = 65_536;
export const MAX_SINGLETON_ID = 66_047;
export const FIRST_USER_ID = 200_001;
export const MAX_CUDS = 100;

/** A stored record: system fields (`sys.QName`, `sys.ID`, …) and field values, flat. */
export type StoredRecord = Record<string, unknown>;

export interface StoredCud {
  readonly table: QName;
  readonly id: number;
  readonly isNew: boolean;
  /** Insert: every field incl. system fields. Update: the changed fields (new values). */
  readonly fields: Record<string, unknown>;
  /** Update: previous values of the changed fields (null where it had none). */
  readonly oldFields?: Record<string, unknown>;
  /** Update: the whole record after the change, so replays and projectors never depend on later state. */
  readonly record?: Record<string, unknown>;
}

/** Engine-internal effects an event carries besides CUDs (workspace lifecycle). */
export interface WorkspaceEffect {
  readonly op: 'create' | 'deactivate';
  readonly meta?: WorkspaceMeta;
  /** create: the allocation counter value used for the WSID (recovery rebuilds the counter). */
  readonly number?: number;
}

/** The unit of the PLog and WLog. Unlogged args are stored masked (`{field: '***'}`). */
export interface StoredEvent {
  readonly qname: QName;
  readonly wsid: number;
  readonly partition: number;
  readonly plogOffset: number;
  readonly wlogOffset: number;
  readonly registeredAt: number;
  readonly arg?: Record<string, unknown>;
  readonly unlogged?: Record<string, string>;
  readonly cuds: readonly StoredCud[];
  /** Who caused it (login / `sys`), for audit. */
  readonly subject?: string;
  readonly error?: string;
  readonly ws?: WorkspaceEffect;
}

export interface WorkspaceMeta {
  readonly wsid: number;
  readonly kind: QName;
  readonly name: string;
  /** Subject (login) of the owner; `sys` for app workspaces. */
  readonly owner: string;
  readonly ownerProfileWSID: number;
  readonly createdAt: number;
  readonly active: boolean;
}

/** Per-workspace sequences the single writer keeps in memory (checkpointed in storage). */
export interface WsSeq {
  nextWLogOffset: number;
  nextId: number;
}

export interface Checkpoint {
  /** Every PLog event up to this offset is applied (records, views, WLog) and its sequences saved. */
  readonly appliedPLogOffset: number;
  readonly nextWSNumber: number;
  readonly savedAt: number;
}

/** A stored view row: the row's fields plus the PLog offset of the event that last wrote it. */
export interface StoredViewRow {
  readonly row: Record<string, unknown>;
  readonly offset: number;
}
