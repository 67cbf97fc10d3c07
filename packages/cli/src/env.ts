// The only reader of process.env in the CLI. Empty values count as unset, as shells make it easy
// to export `X=` by accident.
import { z } from 'zod';

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

const envSchema = z.object({
  /** Default for `--url` of the admin commands. */
  STOA_ADMIN_URL: optionalString,
  /** Default for `--key` of the admin commands: the private JWK file (`stoa keygen`). */
  STOA_ADMIN_KEY_FILE: optionalString,
  /** Default for `stoa deploy --owner` (else `local`). */
  STOA_OWNER: optionalString,
  /** Default for `stoa deploy --portal`: the portal URL (deploys go through the control plane). */
  STOA_PORTAL_URL: optionalString,
  /** The portal access token (`stoa_pat_…`) for `stoa deploy --portal`; only from the environment. */
  STOA_PORTAL_TOKEN: optionalString,
  /** Default for `stoa deploy --org`: the org's slug in the portal. */
  STOA_ORG: optionalString,
  /** https://no-color.org: any non-empty value turns colors off. */
  NO_COLOR: optionalString,
  /** `dumb` terminals get no colors and no spinner. */
  TERM: optionalString,
  /** Fallbacks for the token subject when the OS user cannot be looked up. */
  USER: optionalString,
  USERNAME: optionalString,
});

export interface CliEnv {
  readonly adminUrl: string | undefined;
  readonly adminKeyFile: string | undefined;
  readonly owner: string | undefined;
  readonly portalUrl: string | undefined;
  readonly portalToken: string | undefined;
  readonly org: string | undefined;
  readonly noColor: boolean;
  readonly dumbTerminal: boolean;
  readonly user: string | undefined;
}

/** Parses an environment (tests pass their own; the CLI passes process.env). */
export function parseCliEnv(env: Readonly<Record<string, string | undefined>>): CliEnv {
  // Every field is an optional string, so parsing cannot fail on a real environment.
  const e = envSchema.parse(env);
  return {
    adminUrl: e.STOA_ADMIN_URL,
    adminKeyFile: e.STOA_ADMIN_KEY_FILE,
    owner: e.STOA_OWNER,
    portalUrl: e.STOA_PORTAL_URL,
    portalToken: e.STOA_PORTAL_TOKEN,
    org: e.STOA_ORG,
    noColor: e.NO_COLOR !== undefined,
    dumbTerminal: e.TERM === 'dumb',
    user: e.USER ?? e.USERNAME,
  };
}

export function readProcessEnv(): CliEnv {
  return parseCliEnv(process.env);
}
