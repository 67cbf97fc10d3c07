'use client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useState, type FormEvent } from 'react';
import { errorCodeOf } from '../lib/client-errors';
import { useTRPC } from '../lib/trpc';
import { FormError } from './status';

/**
 * Accepts an invitation. The token comes in the URL's fragment (`/invite#stoa_inv_…`), which
 * browsers never send to a server, so it stays out of access logs; it can also be pasted.
 */
export function AcceptInvitation() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const [token, setToken] = useState('');
  const accept = useMutation(
    trpc.invitation.accept.mutationOptions({
      onSuccess: async (joined) => {
        await queryClient.invalidateQueries({ queryKey: trpc.org.listMine.queryKey() });
        router.push(`/orgs/${joined.orgSlug}`);
      },
    }),
  );

  useEffect(() => {
    const fromHash = window.location.hash.replace(/^#/, '');
    if (fromHash !== '') setToken(decodeURIComponent(fromHash));
  }, []);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    accept.mutate({ token });
  }

  return (
    <form className="card form" onSubmit={submit} data-testid="accept-invitation-form">
      <h1>Join an organisation</h1>
      <label>
        Invitation token
        <input
          required
          value={token}
          onChange={(e) => setToken(e.target.value.trim())}
          data-testid="invitation-token"
        />
      </label>
      <button type="submit" disabled={accept.isPending} data-testid="accept-invitation-submit">
        {accept.isPending ? 'Joining…' : 'Accept invitation'}
      </button>
      <FormError error={accept.error} testId="accept-invitation-error" />
      {errorCodeOf(accept.error) === 'UNAUTHORIZED' ? (
        <p>
          <Link href="/signin?callbackUrl=/invite">Sign in</Link> or <Link href="/signup">sign up</Link> with the
          invited email, then open the link again.
        </p>
      ) : null}
    </form>
  );
}
