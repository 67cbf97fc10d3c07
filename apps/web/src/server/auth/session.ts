import type { NextAuthOptions } from 'next-auth';
import { getServerSession } from 'next-auth/next';
import { readEnv } from '../../env';
import { getDb } from '../db';
import type { PortalSession } from '../trpc/context';
import { createAuthOptions } from './auth-options';

let options: NextAuthOptions | undefined;

/** The next-auth options of this process (built on first use, from the environment). */
export function getAuthOptions(): NextAuthOptions {
  options ??= createAuthOptions({ db: getDb(), secret: readEnv().nextAuthSecret });
  return options;
}

/** The signed-in user of the current request (route handlers, server components), or null. */
export async function getPortalSession(): Promise<PortalSession | null> {
  const session = await getServerSession(getAuthOptions());
  const id = session?.user.id;
  return typeof id === 'string' && id !== '' ? { user: { id } } : null;
}
