import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { unpack } from './bundle.test-util.js';
import { writeZip } from './zip-write.js';

const ENTRIES: [string, string][] = [
  ['schema/b.vsql', 'WORKSPACE B ( );\n'],
  ['appdef.json', '{}\n'],
  ['schema/a.vsql', 'APPLICATION x();\n'],
];

function zipHash(): string {
  const zip = writeZip(new Map(ENTRIES.map(([name, text]) => [name, new TextEncoder().encode(text)])));
  return createHash('sha256').update(zip).digest('hex');
}

/** `zipHash()` and the local-time meaning of 1980-01-01 in a fresh process in time zone `tz`. */
function zipHashIn(tz: string): { hash: string; epoch: number } {
  const module = pathToFileURL(join(import.meta.dirname, 'zip-write.ts')).href;
  const script = `
    import { createHash } from 'node:crypto';
    const { writeZip } = await import(${JSON.stringify(module)});
    const entries = new Map(${JSON.stringify(ENTRIES)}.map(([n, t]) => [n, new TextEncoder().encode(t)]));
    const hash = createHash('sha256').update(writeZip(entries)).digest('hex');
    console.log(JSON.stringify({ hash, epoch: new Date(1980, 0, 1).getTime() }));
  `;
  // Only TZ in the child's environment: the test must not depend on (or read) this one's.
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: { TZ: tz },
    cwd: join(import.meta.dirname, '..', '..'),
    encoding: 'utf8',
  });
  return JSON.parse(out) as { hash: string; epoch: number };
}

describe('writeZip', () => {
  it('sorts entries by name and sets a fixed timestamp', () => {
    const zip = writeZip(new Map(ENTRIES.map(([name, text]) => [name, new TextEncoder().encode(text)])));
    expect([...unpack(zip).keys()]).toEqual(['appdef.json', 'schema/a.vsql', 'schema/b.vsql']);
    // DOS date of the first local header (offset 12): 1980-01-01 = (0 << 9) | (1 << 5) | 1.
    expect(new DataView(zip.buffer, zip.byteOffset).getUint16(12, true)).toBe(0x21);
    expect(new DataView(zip.buffer, zip.byteOffset).getUint16(10, true)).toBe(0); // 00:00:00
  });

  it('writes the same bytes in every time zone', () => {
    const east = zipHashIn('Pacific/Kiritimati'); // UTC+14
    const west = zipHashIn('Pacific/Niue'); // UTC-11
    expect(east.epoch).not.toBe(west.epoch); // the children really ran in different zones
    expect(east.hash).toBe(zipHash());
    expect(west.hash).toBe(zipHash());
  }, 30_000);
});
