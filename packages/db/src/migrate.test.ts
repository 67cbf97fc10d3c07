import { describe, expect, it } from 'vitest';
import { parseAppliedMigrations } from './migrate.js';

describe('parseAppliedMigrations', () => {
  it('reads the migration folders of `prisma migrate deploy` 6.19.3', () => {
    const output = [
      'Datasource "db": PostgreSQL database "stoa", schema "public" using driver adapter "@prisma/adapter-pg"',
      '2 migrations found in prisma/migrations',
      '',
      'The following migration(s) have been applied:',
      '',
      'migrations/',
      '  └─ 20261127040520_init/',
      '    └─ migration.sql',
      '  └─ 20261201000000_add_domains/',
      '    └─ migration.sql',
      '      ',
      'All migrations have been successfully applied.',
    ].join('\n');
    expect(parseAppliedMigrations(output)).toEqual(['20261127040520_init', '20261201000000_add_domains']);
  });

  it('finds nothing when nothing was pending', () => {
    expect(parseAppliedMigrations('1 migration found in prisma/migrations\n\nNo pending migrations to apply.')).toEqual(
      [],
    );
  });
});
