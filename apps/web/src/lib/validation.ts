/**
 * Input rules shared by the forms (client) and the tRPC procedures (server). Client-safe.
 *
 * - Org slugs follow the engine's owner rule (`/api/v2/apps/{owner}/{app}`), apps the `name` rule
 *   of stoa.json, so everything created here can be deployed as is.
 * - Slugs the engine or the portal already use are reserved: `local` (apps loaded from folders),
 *   `sys` (the engine's own storage) and `new` (the portal's `/orgs/new` page).
 * - Emails are compared in lower case (trimmed); that is how they are stored.
 */
import { z } from 'zod';

export const ORG_SLUG_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const APP_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;
export const RESERVED_ORG_SLUGS: readonly string[] = ['local', 'sys', 'new'];
export const MIN_PASSWORD_LENGTH = 10;
/** Far above any real password; bounds the hashing work a request can ask for. */
export const MAX_PASSWORD_INPUT = 200;

export const orgSlugSchema = z
  .string()
  .trim()
  .regex(
    ORG_SLUG_PATTERN,
    'lowercase letters, digits, "_" and "-", starting with a letter or digit, at most 63 characters',
  );

export const newOrgSlugSchema = orgSlugSchema.refine((slug) => !RESERVED_ORG_SLUGS.includes(slug), {
  message: `reserved: ${RESERVED_ORG_SLUGS.join(', ')}`,
});

export const orgNameSchema = z.string().trim().min(1, 'required').max(100, 'at most 100 characters');

export const appNameSchema = z
  .string()
  .trim()
  .regex(APP_NAME_PATTERN, 'lowercase letters, digits and "-", starting with a letter, at most 63 characters');

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email('expected an email address').max(254, 'at most 254 characters'));

export const userNameSchema = z.string().trim().min(1, 'required').max(100, 'at most 100 characters');

export const passwordSchema = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(MAX_PASSWORD_INPUT, `at most ${MAX_PASSWORD_INPUT} characters`);

export const signUpInputSchema = z.object({
  email: emailSchema,
  name: userNameSchema,
  password: passwordSchema,
});
export type SignUpInput = z.infer<typeof signUpInputSchema>;

/**
 * Repository URLs of git sources: a URL the worker's git fetch understands (`https`, `http`,
 * `ssh`, `git`) with a host and a path, no query or fragment, and no password (a credential in
 * the URL would be stored and shown). Which schemes and hosts a deployment really fetches from is
 * the worker's allow-list (STOA_GIT_ALLOWED_SCHEMES, address checks); this is the shape only.
 */
export const REPO_URL_SCHEMES: readonly string[] = ['https', 'http', 'ssh', 'git'];

export const repoUrlSchema = z
  .string()
  .trim()
  .max(2048, 'at most 2048 characters')
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected a repository URL such as https://github.com/acme/todo.git' });
      return;
    }
    const scheme = url.protocol.replace(/:$/, '');
    const problem = !REPO_URL_SCHEMES.includes(scheme)
      ? `the scheme must be one of ${REPO_URL_SCHEMES.join(', ')}`
      : url.hostname === ''
        ? 'the URL needs a host'
        : url.password !== '' || ((scheme === 'https' || scheme === 'http') && url.username !== '')
          ? 'credentials do not belong in the URL'
          : url.search !== '' || url.hash !== ''
            ? 'no query or fragment'
            : url.pathname.replace(/\/+$/, '') === ''
              ? 'the URL needs the repository path'
              : undefined;
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });

/** A branch name by git's ref rules (the common subset: no `..`, `@{`, `//`, leading `-`, `.lock`). */
export const gitBranchSchema = z
  .string()
  .trim()
  .min(1, 'required')
  .max(255, 'at most 255 characters')
  .regex(/^[A-Za-z0-9._/-]+$/, 'letters, digits, ".", "_", "-" and "/"')
  .refine(
    (b) => !/(^[-/.]|\/\/|\.\.|\/\.|\.lock$|\.lock\/|[/.]$)/.test(b),
    'not a valid branch name (git check-ref-format)',
  );

export const tokenNameSchema = z.string().trim().min(1, 'required').max(100, 'at most 100 characters');

/** Engine node admin API base URLs: http(s), no credentials, query or fragment; stored without a trailing "/". */
export const nodeUrlSchema = z
  .string()
  .trim()
  .max(2048, 'at most 2048 characters')
  .transform((value, ctx) => {
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      // reported below
    }
    const problem =
      url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')
        ? 'expected an http(s) URL'
        : url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== ''
          ? 'no credentials, query or fragment'
          : undefined;
    if (url === undefined || problem !== undefined) {
      ctx.addIssue({ code: 'custom', message: problem ?? 'expected an http(s) URL' });
      return z.NEVER;
    }
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  });

export const nodeNameSchema = z.string().trim().min(1, 'required').max(100, 'at most 100 characters');
