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
