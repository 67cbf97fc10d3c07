import cassandra from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import { StorageArgumentError } from '@stoa/storage';
import { MAX_KEYSPACE_NAME, resolveOptions, toKeyspace, toReplicationCql } from './options.js';

describe('toKeyspace', () => {
  it('prefixes short safe names unchanged', () => {
    expect(toKeyspace('stoa_', 'todo_1a2b3c4d')).toBe('stoa_todo_1a2b3c4d');
  });

  it('shortens names that would exceed 48 characters, deterministically and distinctly', () => {
    const a = `${'a'.repeat(38)}_12345678`;
    const b = `${'a'.repeat(38)}_12345679`;
    const ka = toKeyspace('stoa_', a);
    expect(ka.length).toBeLessThanOrEqual(MAX_KEYSPACE_NAME);
    expect(ka).toMatch(/^stoa_a+_[0-9a-f]{8}$/);
    expect(toKeyspace('stoa_', a)).toBe(ka);
    expect(toKeyspace('stoa_', b)).not.toBe(ka);
  });

  it('refuses names that are not safe names', () => {
    for (const bad of ['Todo', 'a-b', '', 'x', '1abc', 'a"; DROP KEYSPACE x; --']) {
      expect(() => toKeyspace('stoa_', bad)).toThrow(StorageArgumentError);
    }
  });
});

describe('toReplicationCql', () => {
  it('renders a CQL map with every value quoted', () => {
    expect(toReplicationCql({ class: 'NetworkTopologyStrategy', dc1: 3, "d'c": 1 })).toBe(
      "{'class': 'NetworkTopologyStrategy', 'dc1': '3', 'd''c': '1'}",
    );
  });

  it('requires a class', () => {
    expect(() => toReplicationCql({ replication_factor: 1 })).toThrow(StorageArgumentError);
  });
});

describe('resolveOptions', () => {
  it('defaults to QUORUM / SERIAL, per-partition batches and SimpleStrategy rf 1', () => {
    const o = resolveOptions({ contactPoints: ['127.0.0.1'] });
    expect(o.consistency).toBe(cassandra.types.consistencies.quorum);
    expect(o.serialConsistency).toBe(cassandra.types.consistencies.serial);
    expect(o.batchMode).toBe('per-partition');
    expect(o.replicationCql).toBe("{'class': 'SimpleStrategy', 'replication_factor': '1'}");
    expect(o.keyspacePrefix).toBe('stoa_');
    expect(o.localDataCenter).toBe('datacenter1');
  });

  it('maps configured levels', () => {
    const o = resolveOptions({ contactPoints: ['h'], consistency: 'local_quorum', serialConsistency: 'local_serial' });
    expect(o.consistency).toBe(cassandra.types.consistencies.localQuorum);
    expect(o.serialConsistency).toBe(cassandra.types.consistencies.localSerial);
  });

  it('refuses bad options', () => {
    expect(() => resolveOptions({ contactPoints: [] })).toThrow(StorageArgumentError);
    expect(() => resolveOptions({ contactPoints: ['h'], keyspacePrefix: 'Bad-' })).toThrow(StorageArgumentError);
    expect(() => resolveOptions({ contactPoints: ['h'], consistency: 'most' as 'one' })).toThrow(StorageArgumentError);
    expect(() => resolveOptions({ contactPoints: ['h'], pageSize: 0 })).toThrow(StorageArgumentError);
    expect(() => resolveOptions({ contactPoints: ['h'], batchMode: 'unlogged' as 'logged' })).toThrow(
      StorageArgumentError,
    );
  });
});
