// The three adapter-pg workarounds Prisma's schema engine needs (README "Workarounds"), checked
// against the local Postgres at the adapter level.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgAdapterFactory } from './pg-adapter.js';
import { createTestDatabase, type TestDatabase } from './testing.js';

// @prisma/driver-adapter-utils' ColumnTypeEnum (6.19.3).
const COLUMN = { Character: 6, Text: 7, TextArray: 71 } as const;

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

async function databaseExists(name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: t.databaseUrl });
  await client.connect();
  try {
    return (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
  } finally {
    await client.end();
  }
}

describe('StoaPgAdapterFactory', () => {
  it('types catalog columns the way the schema engine reads them (workaround 1)', async () => {
    const adapter = await createPgAdapterFactory(t.databaseUrl).connect();
    try {
      const sql = `SELECT 'c'::"char" AS contype, 'x'::name AS relname, 'abc'::bpchar AS padded,
                          ARRAY['a','b']::"char"[] AS chars, ARRAY['n']::name[] AS names`;
      const direct = await adapter.queryRaw({ sql, args: [], argTypes: [] });
      expect(direct.columnNames).toEqual(['contype', 'relname', 'padded', 'chars', 'names']);
      expect(direct.columnTypes).toEqual([
        COLUMN.Character,
        COLUMN.Text,
        COLUMN.Text,
        COLUMN.TextArray,
        COLUMN.TextArray,
      ]);
      expect(direct.rows).toEqual([['c', 'x', 'abc', ['a', 'b'], ['n']]]);
      // A CHECK constraint's row, as the introspection that used to panic reads it.
      const checks = await adapter.queryRaw({
        sql: "SELECT conname, contype FROM pg_constraint WHERE conname = 'Bundle_size_check'",
        args: [],
        argTypes: [],
      });
      expect(checks.columnTypes).toEqual([COLUMN.Text, COLUMN.Character]);
      expect(checks.rows).toEqual([['Bundle_size_check', 'c']]);
      // Same inside a transaction (a checked-out client, promise-style queries).
      const tx = await adapter.startTransaction();
      const inTx = await tx.queryRaw({ sql, args: [], argTypes: [] });
      await tx.commit();
      expect(inTx.columnTypes).toEqual(direct.columnTypes);
    } finally {
      await adapter.dispose();
    }
  });

  it('opens the shadow database as a different database and drops it on dispose (workarounds 2, 3)', async () => {
    const factory = createPgAdapterFactory(t.databaseUrl);
    const shadow = await factory.connectToShadowDb();
    const { rows } = await shadow.queryRaw({ sql: 'SELECT current_database() AS db', args: [], argTypes: [] });
    const shadowName = String(rows[0]?.[0]);
    expect(shadowName).toMatch(/^stoa_db_shadow_[0-9a-f]{32}$/);
    expect(shadowName).not.toBe(new URL(t.databaseUrl).pathname.slice(1));
    expect(await databaseExists(shadowName)).toBe(true);
    await shadow.dispose();
    expect(await databaseExists(shadowName)).toBe(false);
  });
});
