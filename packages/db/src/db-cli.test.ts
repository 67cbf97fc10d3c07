import { describe, expect, it } from 'vitest';
import { runDbCli } from './db-cli.js';

describe('runDbCli', () => {
  it('prints the usage and exits 2 for unknown or incomplete commands', async () => {
    for (const argv of [[], ['create-migration'], ['migrate', 'extra'], ['seed']]) {
      const lines: string[] = [];
      expect(await runDbCli(argv, (line) => lines.push(line))).toBe(2);
      expect(lines).toEqual(['usage: db-cli migrate | db-cli create-migration <snake_case_name>']);
    }
  });
});
