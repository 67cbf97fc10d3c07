/**
 * The deploy worker's environment, parsed once at boot with zod. The only module of apps/worker
 * that reads `process.env` (docs/ARCHITECTURE.md §2, §12). `parseEnv` is pure (tests pass their
 * own); `loadEnv` reads the process environment and the admin key file, and exits with code 2
 * listing every bad variable.
 *
 * Defaults decided here: builds get 5 min wall clock, 120 CPU seconds and 2 GiB (todo builds cold
 * in ~2–10 s and a few hundred MiB); git fetches 2 min and 256 MiB; only https repositories on
 * public addresses (`file`, loopback and private ranges are for tests and private setups).
 * Jobs: one build at a time per worker (CPU-bound, the machine has few cores), four rollouts
 * (network-bound); a 60 s job lock, so a worker that died is noticed within about a minute and a half
 * (lock + stalled check); the reconciler looks every 30 s.
 */
import { readFileSync } from 'node:fs';
import { parseAdminKeyFile, type AdminPrivateJwk } from '@stoa/client/admin';
import { z } from 'zod';
import { REPO_SCHEMES, type RepoScheme } from './build/repo-url.js';

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

const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== ''),
);

const int = (what: string, min: number, max: number, fallback: number) =>
  z.coerce
    .number({ message: `expected ${what}` })
    .int('expected an integer')
    .min(min, `expected ${min}..${max}`)
    .max(max, `expected ${min}..${max}`)
    .default(fallback);

const urlWithProtocols = (protocols: readonly string[], example: string, required = 'expected a URL') =>
  z.string({ message: required }).refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `expected a ${protocols.join(' or ')} URL, e.g. ${example}` },
  );

/** Empty strings count as unset, so `X=` in a compose file means "default". */
const unsetIfEmpty = (value: unknown): unknown => (value === '' ? undefined : value);
const opt = <T extends z.ZodType>(schema: T) => z.preprocess(unsetIfEmpty, schema);

const envSchema = z.object({
  REDIS_URL: opt(urlWithProtocols(['redis:', 'rediss:'], 'redis://127.0.0.1:6379').default('redis://127.0.0.1:6379')),
  DATABASE_URL: opt(
    urlWithProtocols(
      ['postgres:', 'postgresql:'],
      'postgres://stoa@127.0.0.1:5432/stoa',
      'required: the control plane Postgres, e.g. postgres://stoa@127.0.0.1:5432/stoa',
    ),
  ),
  STOA_ADMIN_PRIVATE_KEY: opt(
    z.string({ message: 'required: the private JWK the engine nodes trust (inline JSON, @/path or a path)' }),
  ),
  STOA_ENGINE_URLS: opt(list.pipe(z.array(urlWithProtocols(['http:', 'https:'], 'http://127.0.0.1:8080'))).default([])),
  STOA_LOG_LEVEL: opt(z.enum(LOG_LEVELS, { message: `expected one of ${LOG_LEVELS.join(', ')}` }).default('info')),
  STOA_BUILD_TIMEOUT_MS: opt(int('milliseconds', 1000, 3_600_000, 300_000)),
  STOA_BUILD_CPU_SECONDS: opt(int('CPU seconds', 1, 3600, 120)),
  STOA_BUILD_MEMORY_MB: opt(int('a size in MiB', 256, 65_536, 2048)),
  STOA_BUILD_CACHE_DIR: opt(z.string().optional()),
  STOA_PRLIMIT: opt(z.string().default('/usr/bin/prlimit')),
  STOA_GIT_TIMEOUT_MS: opt(int('milliseconds', 1000, 3_600_000, 120_000)),
  STOA_GIT_MAX_MB: opt(int('a size in MiB', 1, 65_536, 256)),
  STOA_GIT_MAX_FILES: opt(int('a number of files', 1, 1_000_000, 20_000)),
  STOA_GIT_ALLOWED_SCHEMES: opt(
    list
      .pipe(z.array(z.enum(REPO_SCHEMES, { message: `expected a comma-separated list of ${REPO_SCHEMES.join(', ')}` })))
      .default(['https']),
  ),
  STOA_GIT_ALLOW_LOOPBACK: opt(flag.default(false)),
  STOA_GIT_ALLOW_PRIVATE: opt(flag.default(false)),
  STOA_UPLOAD_MAX_MB: opt(int('a size in MiB', 1, 4096, 64)),
  STOA_UPLOAD_MAX_ENTRIES: opt(int('a number of entries', 1, 1_000_000, 10_000)),
  STOA_ROLLOUT_TIMEOUT_MS: opt(int('milliseconds', 1000, 600_000, 60_000)),
  STOA_QUEUE_PREFIX: opt(
    z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected 1-64 letters, digits, _ . or -')
      .default('stoa-jobs'),
  ),
  STOA_BUILD_CONCURRENCY: opt(int('a number of jobs', 1, 64, 1)),
  STOA_ROLLOUT_CONCURRENCY: opt(int('a number of jobs', 1, 256, 4)),
  STOA_JOB_LOCK_MS: opt(int('milliseconds', 1000, 600_000, 60_000)),
  STOA_JOB_STALLED_INTERVAL_MS: opt(int('milliseconds', 500, 600_000, 30_000)),
  STOA_RECONCILE_INTERVAL_MS: opt(int('milliseconds', 100, 3_600_000, 30_000)),
  STOA_RECONCILE_MISSING_MS: opt(int('milliseconds', 0, 3_600_000, 15_000)),
  STOA_RECONCILE_STALE_MS: opt(int('milliseconds', 1000, 86_400_000, 600_000)),
  STOA_SHUTDOWN_TIMEOUT_MS: opt(int('milliseconds', 0, 3_600_000, 60_000)),
});

export type LogLevel = (typeof LOG_LEVELS)[number];

export interface WorkerEnv {
  readonly redisUrl: string;
  readonly databaseUrl: string;
  /** STOA_ADMIN_PRIVATE_KEY as given (inline JWK, `@/path` or a path); `loadEnv` resolves it. */
  readonly adminPrivateKey: string;
  /** Engine nodes to seed the node list with. */
  readonly engineUrls: readonly string[];
  readonly logLevel: LogLevel;
  readonly build: {
    readonly timeoutMs: number;
    readonly cpuSeconds: number;
    readonly memoryMb: number;
    readonly cacheDir: string | undefined;
    readonly prlimit: string;
  };
  readonly git: {
    readonly timeoutMs: number;
    readonly maxBytes: number;
    readonly maxFiles: number;
    readonly allow: {
      readonly schemes: readonly RepoScheme[];
      readonly allowLoopback: boolean;
      readonly allowPrivate: boolean;
    };
  };
  readonly upload: { readonly maxBytes: number; readonly maxEntries: number };
  readonly rollout: { readonly timeoutMs: number };
  readonly jobs: {
    /** Redis key prefix of the queues (@stoa/jobs' JOB_QUEUE_PREFIX unless set). */
    readonly prefix: string;
    readonly buildConcurrency: number;
    readonly rolloutConcurrency: number;
    /** BullMQ lock of a running job (renewed at half-time while it runs; a dead worker's lock lapses). */
    readonly lockMs: number;
    /** How often workers look for jobs whose lock lapsed (stalled: their worker died). */
    readonly stalledIntervalMs: number;
  };
  readonly reconcile: {
    readonly intervalMs: number;
    /** A non-final deployment this old whose job Redis does not have gets it again. */
    readonly missingAfterMs: number;
    /** A non-final deployment unchanged this long gets its job again even if Redis says it finished. */
    readonly staleAfterMs: number;
  };
  /** How long SIGTERM waits for running jobs before it leaves them to another worker. */
  readonly shutdownTimeoutMs: number;
}

export type ParseEnvResult = { ok: true; env: WorkerEnv } | { ok: false; errors: string[] };

const MIB = 1024 * 1024;

/** Pure: parses a given environment. Every bad variable is reported, missing required ones too. */
export function parseEnv(source: Readonly<Record<string, string | undefined>>): ParseEnvResult {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '(env)');
      const value = source[name];
      // Secrets (keys, URLs with passwords) are never echoed.
      const shown = value === undefined || /KEY|URL/.test(name) ? '' : ` (got ${JSON.stringify(value)})`;
      return `${name}: ${issue.message}${shown}`;
    });
    return { ok: false, errors };
  }
  const e = parsed.data;
  return {
    ok: true,
    env: {
      redisUrl: e.REDIS_URL,
      databaseUrl: e.DATABASE_URL,
      adminPrivateKey: e.STOA_ADMIN_PRIVATE_KEY,
      engineUrls: e.STOA_ENGINE_URLS,
      logLevel: e.STOA_LOG_LEVEL,
      build: {
        timeoutMs: e.STOA_BUILD_TIMEOUT_MS,
        cpuSeconds: e.STOA_BUILD_CPU_SECONDS,
        memoryMb: e.STOA_BUILD_MEMORY_MB,
        cacheDir: e.STOA_BUILD_CACHE_DIR,
        prlimit: e.STOA_PRLIMIT,
      },
      git: {
        timeoutMs: e.STOA_GIT_TIMEOUT_MS,
        maxBytes: e.STOA_GIT_MAX_MB * MIB,
        maxFiles: e.STOA_GIT_MAX_FILES,
        allow: {
          schemes: e.STOA_GIT_ALLOWED_SCHEMES,
          allowLoopback: e.STOA_GIT_ALLOW_LOOPBACK,
          allowPrivate: e.STOA_GIT_ALLOW_PRIVATE,
        },
      },
      upload: { maxBytes: e.STOA_UPLOAD_MAX_MB * MIB, maxEntries: e.STOA_UPLOAD_MAX_ENTRIES },
      rollout: { timeoutMs: e.STOA_ROLLOUT_TIMEOUT_MS },
      jobs: {
        prefix: e.STOA_QUEUE_PREFIX,
        buildConcurrency: e.STOA_BUILD_CONCURRENCY,
        rolloutConcurrency: e.STOA_ROLLOUT_CONCURRENCY,
        lockMs: e.STOA_JOB_LOCK_MS,
        stalledIntervalMs: e.STOA_JOB_STALLED_INTERVAL_MS,
      },
      reconcile: {
        intervalMs: e.STOA_RECONCILE_INTERVAL_MS,
        missingAfterMs: e.STOA_RECONCILE_MISSING_MS,
        staleAfterMs: e.STOA_RECONCILE_STALE_MS,
      },
      shutdownTimeoutMs: e.STOA_SHUTDOWN_TIMEOUT_MS,
    },
  };
}

/**
 * The admin private key: inline JSON (starts with `{`), or the file named after `@`, or a plain
 * path. Throws AppError VALIDATION_FAILED (parseAdminKeyFile's reasons) or the file system's error.
 */
export function resolveAdminKey(
  value: string,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): AdminPrivateJwk {
  const trimmed = value.trim();
  if (trimmed.startsWith('{')) return parseAdminKeyFile(trimmed);
  return parseAdminKeyFile(readFile(trimmed.startsWith('@') ? trimmed.slice(1) : trimmed));
}

/** Exit code for an invalid environment (distinct from crashes, which exit 1). */
export const INVALID_ENV_EXIT_CODE = 2;

/** Reads `process.env` and the key; on errors prints every problem to stderr and exits with code 2. */
export function loadEnv(): WorkerEnv & { readonly adminKey: AdminPrivateJwk } {
  const result = parseEnv(process.env);
  let problems = result.ok ? [] : result.errors;
  if (result.ok) {
    try {
      return { ...result.env, adminKey: resolveAdminKey(result.env.adminPrivateKey) };
    } catch (error) {
      problems = [`STOA_ADMIN_PRIVATE_KEY: ${(error as Error).message}`];
    }
  }
  process.stderr.write(
    `stoa worker: invalid environment:\n${problems.map((p) => `  - ${p}`).join('\n')}\n` +
      'See apps/worker/README.md for every variable.\n',
  );
  process.exit(INVALID_ENV_EXIT_CODE);
}
