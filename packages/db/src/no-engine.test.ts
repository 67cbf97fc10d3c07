// "npm ci downloads no engine": Prisma's install scripts never run here (npm 11 runs dependency
// install scripts only when approved), and nothing needs them, so the installed packages must hold
// no native engine; the generated client must be the engine-less one ("client": WASM compiler).
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const prismaDir = dirname(require.resolve('prisma/package.json'));
const nodeModules = dirname(prismaDir);
// Names of Prisma's native engines (`query_engine_bg.*` files are the WASM build and its glue).
const ENGINE_NAME = /\.(so|dylib|dll)\.node$|^libquery_engine|^(query|schema|migration)-engine(-|\.exe$|$)/;
// ELF, Mach-O (both byte orders, 64-bit) and PE/COM magic: catches a native binary by any name.
const NATIVE_MAGIC = ['7f454c46', 'cffaedfe', 'feedfacf', '4d5a'];

function startsLikeNativeBinary(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(4);
    const read = readSync(fd, head, 0, 4, 0);
    const hex = head.subarray(0, read).toString('hex');
    return NATIVE_MAGIC.some((magic) => hex.startsWith(magic));
  } finally {
    closeSync(fd);
  }
}

function findEngineFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = join(entry.parentPath, entry.name);
    if (ENGINE_NAME.test(entry.name) || startsLikeNativeBinary(file)) found.push(file);
  }
  return found;
}

describe('no Prisma engine binary', () => {
  it('is installed under node_modules/@prisma, node_modules/prisma or node_modules/.prisma', () => {
    const dirs = [join(nodeModules, '@prisma'), prismaDir, join(nodeModules, '.prisma')];
    expect(existsSync(join(nodeModules, '@prisma/engines'))).toBe(true);
    expect(dirs.flatMap(findEngineFiles)).toEqual([]);
  });

  it('is needed: the CLI ships its schema engine and query compiler as WASM', () => {
    const build = readdirSync(join(prismaDir, 'build'));
    expect(build).toContain('schema_engine_bg.wasm');
    expect(build).toContain('query_compiler_bg.postgresql.wasm');
  });

  it('is referenced by the generated client (engineType "client")', () => {
    const generated = join(import.meta.dirname, 'generated/prisma/internal/class.ts');
    const source = readFileSync(generated, 'utf8');
    expect(source).toContain('"engineType": "client"');
    expect(source).not.toMatch(/libquery_engine|query-engine-/);
  });
});
