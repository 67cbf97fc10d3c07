/**
 * The `stoa` exit codes: the one place they are defined (README.md lists them). Scripts branch on
 * them, so a number never changes meaning.
 */
export const EXIT_CODES = {
  /** Done. */
  OK: 0,
  /** The command failed (bad project, refused request, file problem, …). */
  FAILURE: 1,
  /** Wrong command line: unknown command/option, missing or malformed argument, no --url/--key. */
  USAGE: 2,
  /** `stoa deploy` refused by the engine as incompatible with the live version (409). */
  INCOMPATIBLE: 3,
  /** The engine refused the admin token (401) or the action (403). */
  AUTH: 4,
  /** The engine could not be reached (connection refused, DNS, timeout). */
  UNREACHABLE: 5,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];
