import { redirect } from 'next/navigation';
import { isAppError } from '@stoa/errors';
import { getDb } from '../db';
import { loadActor, type Actor } from '../domain/access';
import { getPortalSession } from './session';

/**
 * For server components of signed-in pages: the current user, or a redirect to the sign-in page
 * that comes back to `returnTo` afterwards.
 */
export async function requireActor(returnTo: string): Promise<Actor> {
  const signIn = `/signin?callbackUrl=${encodeURIComponent(returnTo)}`;
  const session = await getPortalSession();
  if (session === null) redirect(signIn);
  try {
    return await loadActor(getDb(), session.user.id);
  } catch (error) {
    if (isAppError(error) && error.code === 'UNAUTHENTICATED') redirect(signIn);
    throw error;
  }
}
