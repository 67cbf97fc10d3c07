// The only reader of process.env in @stoa/db (the Prisma CLI's own config, prisma.config.ts at
// the repo root, reads DATABASE_URL for itself). Empty values count as unset.

/** Where the control plane's Postgres is when nothing says otherwise (README "Quick start"). */
export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/stoa';

export interface DbEnv {
  /** `DATABASE_URL`, else DEFAULT_DATABASE_URL. */
  readonly databaseUrl: string;
}

/** Parses an environment (tests pass their own; entry points pass process.env). */
export function parseDbEnv(env: Readonly<Record<string, string | undefined>>): DbEnv {
  const url = env.DATABASE_URL?.trim();
  return { databaseUrl: url === undefined || url === '' ? DEFAULT_DATABASE_URL : url };
}

export function readDbEnv(): DbEnv {
  return parseDbEnv(process.env);
}

/**
 * The environment of a Prisma CLI child process: the parent's (PATH, HOME, proxies) plus
 * `overrides`, with Prisma's update check and telemetry off so nothing tries the network.
 */
export function prismaChildEnv(overrides: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CHECKPOINT_DISABLE: '1',
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    ...overrides,
  };
}
