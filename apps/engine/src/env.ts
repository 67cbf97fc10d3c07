/**
 * The engine node's environment: parsed once at boot with zod. This is the only module of
 * apps/engine that reads `process.env` (docs/ARCHITECTURE.md §2, §12).
 *
 * Defaults decided here:
 * - `STOA_DEV` defaults to true: folder apps (`STOA_APPS`) are a dev/local-mode feature, and their
 *   `extensions/builtin.ts` is the developer's own code on their machine. Set `STOA_DEV=false` to
 *   load folders as a production node would (non-`sys` BUILTIN extensions are then refused).
 * - `STOA_LOCAL_DEMO` defaults to true when `STOA_APPS` is set: a demo workspace per app and a
 *   development token are printed at startup so the curl line works without an open door.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const STORAGE_KINDS = ['lmdb', 'mem', 'cassandra', 'dynamodb'] as const;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const TRUE_WORDS = ['1', 'true', 'yes', 'on'];
const FALSE_WORDS = ['0', 'false', 'no', 'off'];

const flag = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => TRUE_WORDS.includes(v) || FALSE_WORDS.includes(v), {
    message: `expected one of ${[...TRUE_WORDS, ...FALSE_WORDS].join(', ')}`,
  })
  .transform((v) => TRUE_WORDS.includes(v));

/** Comma-separated list; blanks dropped. */
const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== ''),
);

const port = z.coerce
  .number({ message: 'expected a port number' })
  .int('expected an integer')
  .min(0, 'expected 0..65535 (0 = any free port)')
  .max(65535, 'expected 0..65535');

/** Empty strings count as unset, so `STOA_X=` in a compose file means "default". */
const unsetIfEmpty = (value: unknown): unknown => (value === '' ? undefined : value);

const envSchema = z
  .object({
    STOA_ENGINE_PORT: z.preprocess(unsetIfEmpty, port.default(8080)),
    STOA_ENGINE_HOST: z.preprocess(unsetIfEmpty, z.string().min(1).default('127.0.0.1')),
    STOA_DATA_DIR: z.preprocess(unsetIfEmpty, z.string().min(1).default('.stoa/data')),
    STOA_STORAGE: z.preprocess(
      unsetIfEmpty,
      z.enum(STORAGE_KINDS, { message: `expected one of ${STORAGE_KINDS.join(', ')}` }).default('lmdb'),
    ),
    STOA_CASSANDRA_CONTACT_POINTS: z.preprocess(unsetIfEmpty, list.optional()),
    STOA_CASSANDRA_LOCAL_DC: z.preprocess(unsetIfEmpty, z.string().min(1).default('datacenter1')),
    STOA_DYNAMODB_ENDPOINT: z.preprocess(unsetIfEmpty, z.url({ message: 'expected a URL' }).optional()),
    STOA_DYNAMODB_REGION: z.preprocess(unsetIfEmpty, z.string().min(1).optional()),
    STOA_APPS: z.preprocess(unsetIfEmpty, list.default([])),
    STOA_DEV: z.preprocess(unsetIfEmpty, flag.optional()),
    STOA_LOG_LEVEL: z.preprocess(
      unsetIfEmpty,
      z.enum(LOG_LEVELS, { message: `expected one of ${LOG_LEVELS.join(', ')}` }).default('info'),
    ),
    STOA_LOCAL_DEMO: z.preprocess(unsetIfEmpty, flag.optional()),
    STOA_WASM_FUEL: z.preprocess(
      unsetIfEmpty,
      z.coerce
        .number({ message: 'expected a number of fuel units (≈ wasm instructions)' })
        .int('expected an integer')
        .min(10_000, 'expected at least 10000')
        .max(10_000_000_000, 'expected at most 10000000000')
        .default(50_000_000),
    ),
    STOA_WATCHDOG_MS: z.preprocess(
      unsetIfEmpty,
      z.coerce
        .number({ message: 'expected milliseconds' })
        .int('expected an integer')
        .min(0, 'expected 0 (off) or at least 1000')
        .refine((v) => v === 0 || v >= 1000, 'expected 0 (off) or at least 1000')
        .default(30_000),
    ),
    STOA_ADMIN_PUBLIC_KEY: z.preprocess(unsetIfEmpty, z.string().optional()),
    STOA_SECRETS_KEY: z.preprocess(
      unsetIfEmpty,
      z
        .string()
        .refine((v) => Buffer.from(v, 'base64').length === 32, 'expected 32 bytes, base64-encoded')
        .optional(),
    ),
    STOA_WASM_MAX_MEMORY_MB: z.preprocess(
      unsetIfEmpty,
      z.coerce
        .number({ message: 'expected a size in MiB' })
        .int('expected an integer')
        .min(1, 'expected 1..4096')
        .max(4096, 'expected 1..4096')
        .default(16),
    ),
  })
  .superRefine((env, ctx) => {
    if (env.STOA_STORAGE === 'cassandra' && (env.STOA_CASSANDRA_CONTACT_POINTS ?? []).length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['STOA_CASSANDRA_CONTACT_POINTS'],
        message: 'required when STOA_STORAGE=cassandra (e.g. 127.0.0.1:9042)',
      });
    }
    if (env.STOA_STORAGE === 'dynamodb' && env.STOA_DYNAMODB_REGION === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['STOA_DYNAMODB_REGION'],
        message: 'required when STOA_STORAGE=dynamodb (e.g. eu-central-1)',
      });
    }
  });

export type StorageKind = (typeof STORAGE_KINDS)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface EngineEnv {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly storage: StorageKind;
  readonly cassandra: { readonly contactPoints: readonly string[]; readonly localDataCenter: string };
  readonly dynamodb: { readonly endpoint: string | undefined; readonly region: string | undefined };
  /** App folders to load (served as owner `local`). */
  readonly apps: readonly string[];
  /** Folder apps may run their own `extensions/builtin.ts`. */
  readonly dev: boolean;
  readonly logLevel: LogLevel;
  /** Create a demo workspace per folder app and print a dev token + curl line. */
  readonly localDemo: boolean;
  /** WASM extension limits per call / per instance (packages/extension-sdk/ABI.md §6). */
  readonly wasm: { readonly fuel: number; readonly maxMemoryBytes: number };
  /** Kill the process when the event loop is blocked this long (0 = off); see src/watchdog.ts. */
  readonly watchdogMs: number;
  /**
   * STOA_ADMIN_PUBLIC_KEY as given: the key (JWK, JWKS, PEM) or `@/path/to/file`
   * (`readAdminPublicKey` resolves it); unset → the admin API refuses every call.
   */
  readonly adminPublicKey: string | undefined;
  /** STOA_SECRETS_KEY (base64 of 32 bytes) sealing app secrets; unset → `<data dir>/secrets.key`. */
  readonly secretsKey: string | undefined;
}

export type ParseEnvResult = { ok: true; env: EngineEnv } | { ok: false; errors: string[] };

/** Pure: parses a given environment (tests pass their own). Every bad variable is reported. */
export function parseEnv(source: Readonly<Record<string, string | undefined>>): ParseEnvResult {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '(env)');
      const value = source[name];
      const shown = value === undefined ? '' : ` (got ${JSON.stringify(value)})`;
      return `${name}: ${issue.message}${shown}`;
    });
    return { ok: false, errors };
  }
  const e = parsed.data;
  return {
    ok: true,
    env: {
      port: e.STOA_ENGINE_PORT,
      host: e.STOA_ENGINE_HOST,
      dataDir: e.STOA_DATA_DIR,
      storage: e.STOA_STORAGE,
      cassandra: { contactPoints: e.STOA_CASSANDRA_CONTACT_POINTS ?? [], localDataCenter: e.STOA_CASSANDRA_LOCAL_DC },
      dynamodb: { endpoint: e.STOA_DYNAMODB_ENDPOINT, region: e.STOA_DYNAMODB_REGION },
      apps: e.STOA_APPS,
      dev: e.STOA_DEV ?? true,
      logLevel: e.STOA_LOG_LEVEL,
      localDemo: e.STOA_LOCAL_DEMO ?? e.STOA_APPS.length > 0,
      wasm: { fuel: e.STOA_WASM_FUEL, maxMemoryBytes: e.STOA_WASM_MAX_MEMORY_MB * 1024 * 1024 },
      watchdogMs: e.STOA_WATCHDOG_MS,
      adminPublicKey: e.STOA_ADMIN_PUBLIC_KEY,
      secretsKey: e.STOA_SECRETS_KEY,
    },
  };
}

/** Exit code for an invalid environment (distinct from crashes, which exit 1). */
export const INVALID_ENV_EXIT_CODE = 2;

/** The admin key's text: inline, or the content of the file named after `@`. */
export function readAdminPublicKey(value: string | undefined): string | undefined {
  if (value === undefined || !value.startsWith('@')) return value;
  return readFileSync(value.slice(1), 'utf8');
}

/** Reads `process.env`; on errors prints every bad variable to stderr and exits with code 2. */
export function loadEnv(): EngineEnv {
  const result = parseEnv(process.env);
  if (result.ok) {
    try {
      return { ...result.env, adminPublicKey: readAdminPublicKey(result.env.adminPublicKey) };
    } catch (error) {
      process.stderr.write(
        `stoa engine: invalid environment:\n  - STOA_ADMIN_PUBLIC_KEY: ${(error as Error).message}\n`,
      );
      process.exit(INVALID_ENV_EXIT_CODE);
    }
  }
  process.stderr.write(
    `stoa engine: invalid environment:\n${result.errors.map((e) => `  - ${e}`).join('\n')}\n` +
      'See apps/engine/README.md for every variable.\n',
  );
  process.exit(INVALID_ENV_EXIT_CODE);
}
