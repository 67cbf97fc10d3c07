import { AppError } from '@stoa/errors';
import { toAppError, type Db } from '@stoa/db';
import type { SignUpInput } from '../../lib/validation';
import { hashPassword, verifyAgainstDummy, verifyPassword } from '../auth/password';
import { recordAudit } from './audit';

export interface UserDto {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly createdAt: string;
}

/**
 * Creates a portal user — and nothing else (no org: the user creates or joins one next).
 * `input` is already validated (email lower-cased). A taken email answers CONFLICT.
 */
export async function signUp(db: Db, input: SignUpInput): Promise<UserDto> {
  const passwordHash = await hashPassword(input.password);
  try {
    const user = await db.$transaction(async (tx) => {
      const created = await tx.user.create({ data: { email: input.email, name: input.name, passwordHash } });
      await recordAudit(tx, { orgId: null, actorId: created.id, action: 'user.signUp', target: `user:${created.id}` });
      return created;
    });
    return { id: user.id, email: user.email, name: user.name, createdAt: user.createdAt.toISOString() };
  } catch (error) {
    const appError = toAppError(error);
    if (appError.code === 'CONFLICT') {
      throw new AppError('CONFLICT', 'an account with this email already exists', { data: { field: 'email' } });
    }
    throw appError;
  }
}

export interface AuthenticatedUser {
  readonly id: string;
  readonly email: string;
  readonly name: string;
}

/**
 * The user whose email and password these are, or null. Every failure looks the same and takes
 * about as long (an unknown email still runs one scrypt), so sign-in never reveals whether an
 * email has an account.
 */
export async function authenticateUser(
  db: Db,
  credentials: { readonly email: string; readonly password: string },
): Promise<AuthenticatedUser | null> {
  const email = credentials.email.trim().toLowerCase();
  const user = email === '' ? null : await db.user.findUnique({ where: { email } });
  if (user === null) return verifyAgainstDummy(credentials.password).then(() => null);
  if (!(await verifyPassword(credentials.password, user.passwordHash))) return null;
  return { id: user.id, email: user.email, name: user.name };
}
