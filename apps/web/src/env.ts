/**
 * The portal's environment, parsed with zod. This is the only module of apps/web that reads
 * `process.env` (docs/ARCHITECTURE.md §2, §12); test helpers under `test/setup*.ts` are the other
 * readers, for child processes.
 *
 * Parsed lazily, on first use, not at import: `next build` imports the route modules while
 * collecting page data, and a production build must not need the runtime's secrets.
 *
 * Decisions:
 * - `NEXTAUTH_SECRET` is required when `NODE_ENV=production` (≥ 32 characters). Elsewhere a
 *   random per-process secret is generated with a warning: sessions then end when the process
 *   restarts. It is kept on `globalThis` because Next may evaluate this module once per bundle
 *   layer (route handlers, server components) and every layer must sign with the same key.
 * - `NEXTAUTH_URL` is required in production: next-auth v4 builds its callback URLs from it and
 *   sign-in silently loops when it does not match the served origin (port included).
 * - `STOA_ENGINE_URLS` seeds the engine node list (comma-separated admin API base URLs).
 * - `STOA_QUEUE_PREFIX` is the Redis key prefix of the job queues; it must be the worker's
 *   (apps/worker reads the same variable, default `stoa-jobs`), or jobs land where nobody listens.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';

export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/stoa';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** @stoa/jobs' JOB_QUEUE_PREFIX (not imported: this module stays free of the queue library). */
export const DEFAULT_QUEUE_PREFIX = 'stoa-jobs';

/** Empty strings count as unset, so `X=` in a compose file means "default". */
const unsetIfEmpty = (value: unknown): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const httpUrl = z.url({ protocol: /^https?$/, message: 'expected an http(s) URL' });

const urlList = z.string().transform((value, ctx) => {
  const urls = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const url of urls) {
    if (!httpUrl.safeParse(url).success) ctx.addIssue({ code: 'custom', message: `not an http(s) URL: ${url}` });
  }
  return urls;
});

const envSchema = z
  .object({
    NODE_ENV: z.preprocess(unsetIfEmpty, z.enum(['development', 'production', 'test']).default('development')),
    DATABASE_URL: z.preprocess(
      unsetIfEmpty,
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'expected postgresql://user@host:port/database')
        .default(DEFAULT_DATABASE_URL),
    ),
    REDIS_URL: z.preprocess(
      unsetIfEmpty,
      z
        .string()
        .regex(/^rediss?:\/\//, 'expected redis://host:port')
        .default(DEFAULT_REDIS_URL),
    ),
    NEXTAUTH_SECRET: z.preprocess(unsetIfEmpty, z.string().min(32, 'expected at least 32 characters').optional()),
    NEXTAUTH_URL: z.preprocess(unsetIfEmpty, httpUrl.optional()),
    STOA_WEB_PORT: z.preprocess(unsetIfEmpty, z.coerce.number().int().min(1).max(65535).default(3000)),
    STOA_ENGINE_URLS: z.preprocess(unsetIfEmpty, urlList.default([])),
    STOA_QUEUE_PREFIX: z.preprocess(
      unsetIfEmpty,
      z
        .string()
        .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected 1-64 letters, digits, _ . or -')
        .default(DEFAULT_QUEUE_PREFIX),
    ),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV !== 'production') return;
    if (env.NEXTAUTH_SECRET === undefined) {
      ctx.addIssue({ code: 'custom', path: ['NEXTAUTH_SECRET'], message: 'required when NODE_ENV=production' });
    }
    if (env.NEXTAUTH_URL === undefined) {
      ctx.addIssue({ code: 'custom', path: ['NEXTAUTH_URL'], message: 'required when NODE_ENV=production' });
    }
  });

export interface WebEnv {
  readonly nodeEnv: 'development' | 'production' | 'test';
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly nextAuthSecret: string;
  /** True when `nextAuthSecret` was generated for this process (development and tests only). */
  readonly nextAuthSecretGenerated: boolean;
  readonly nextAuthUrl: string | undefined;
  readonly webPort: number;
  readonly engineUrls: readonly string[];
  /** Redis key prefix of the job queues (the worker's STOA_QUEUE_PREFIX). */
  readonly queuePrefix: string;
}

type EnvSource = Readonly<Record<string, string | undefined>>;

const generatedSecretKey = Symbol.for('stoa.web.generatedNextAuthSecret');

function generatedSecret(): string {
  const holder = globalThis as { [generatedSecretKey]?: string };
  holder[generatedSecretKey] ??= randomBytes(32).toString('base64url');
  return holder[generatedSecretKey];
}

/** Parses an environment; throws one error naming every bad variable. */
export function parseEnv(source: EnvSource): WebEnv {
  const result = envSchema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid environment for apps/web:\n${lines.join('\n')}`);
  }
  const env = result.data;
  return {
    nodeEnv: env.NODE_ENV,
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    nextAuthSecret: env.NEXTAUTH_SECRET ?? generatedSecret(),
    nextAuthSecretGenerated: env.NEXTAUTH_SECRET === undefined,
    nextAuthUrl: env.NEXTAUTH_URL,
    webPort: env.STOA_WEB_PORT,
    engineUrls: env.STOA_ENGINE_URLS,
    queuePrefix: env.STOA_QUEUE_PREFIX,
  };
}

let cached: WebEnv | undefined;

/** The process environment, parsed once (on first call). */
export function readEnv(): WebEnv {
  if (cached === undefined) {
    cached = parseEnv(process.env);
    if (cached.nextAuthSecretGenerated) {
      console.warn(
        'apps/web: NEXTAUTH_SECRET is not set; using a random secret for this process (sessions end on restart).',
      );
    }
  }
  return cached;
}
